using System;
using Vyre.Internals;

namespace Vyre;

/// <summary>Tenants handed out as handles (<see cref="TenantHandle"/>).</summary>
public sealed unsafe partial class MegakernelHost
{
    // Index = tenant id; the handle holding it. Guarded by itself.
    private readonly TenantHandle?[] _tenantHandles = new TenantHandle?[ControlWord.TenantCount + 1];

    /// <summary>
    /// Registers a tenant and returns its handle: a free tenant id (one no handle holds and whose permissions are
    /// <see cref="TenantPermissions.None"/>, so ids the owner set by hand with <see cref="SetTenantPermissions"/> are left
    /// alone) is given <paramref name="permissions"/>, and everything submitted through the handle carries that id, at most
    /// <paramref name="maxOutstanding"/> slots in flight at once. Hand the handle, not the host, to code that should act
    /// only as that tenant. docs/sharing.md.
    /// </summary>
    /// <exception cref="ArgumentException">A permission outside <see cref="TenantPermissions.All"/>, or a quota outside 1..SlotCount.</exception>
    /// <exception cref="InvalidOperationException">Every tenant id is taken.</exception>
    public TenantHandle RegisterTenant(TenantPermissions permissions = TenantPermissions.User, int maxOutstanding = 256)
    {
        ThrowIfUnknownPermissions(permissions);
        if (maxOutstanding < 1 || maxOutstanding > SlotCount)
        {
            throw new ArgumentException($"maxOutstanding {maxOutstanding} is outside 1..{SlotCount} (the ring's slots). Fix: give a quota in that range.", nameof(maxOutstanding));
        }

        using CallScope call = EnterCall();
        lock (_tenantHandles)
        {
            for (uint id = 1; id <= ControlWord.TenantCount; id++)
            {
                if (_tenantHandles[id] is null && System.Threading.Volatile.Read(ref _backend.Control[ControlWord.TenantMaskFirst + (int)id - 1]) == 0)
                {
                    var handle = new TenantHandle(this, id, maxOutstanding);
                    SetTenantPermissions(id, permissions);
                    _tenantHandles[id] = handle;
                    return handle;
                }
            }
        }

        throw new InvalidOperationException($"All {ControlWord.TenantCount} tenant ids are taken (by handles, or set by hand with SetTenantPermissions). Fix: dispose a TenantHandle no longer used.");
    }

    /// <summary>Refuses permission bits no <see cref="TenantPermissions"/> value has.</summary>
    private static void ThrowIfUnknownPermissions(TenantPermissions permissions)
    {
        if ((permissions & ~TenantPermissions.All) != 0)
        {
            throw new ArgumentException($"Permissions 0x{(uint)permissions:X} include bits no TenantPermissions value has. Fix: combine System, User and OwnWindow.", nameof(permissions));
        }
    }

    /// <summary>Frees a disposed handle's id (its permissions are None already).</summary>
    internal void ReleaseTenant(TenantHandle handle)
    {
        lock (_tenantHandles)
        {
            if (ReferenceEquals(_tenantHandles[handle.Id], handle))
            {
                _tenantHandles[handle.Id] = null;
            }
        }
    }
}
