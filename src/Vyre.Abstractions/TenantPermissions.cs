using System;

namespace Vyre;

/// <summary>
/// A tenant's mask word (control words 3..31). A tenant whose mask is zero is disabled. Opcodes in a
/// tenant opcode window (<see cref="Opcodes.TenantWindowBase"/>) may be run only by their own tenant
/// (window <c>w</c> belongs to tenant <c>w</c>) and by tenant 0.
/// </summary>
[Flags]
public enum TenantPermissions : uint
{
    /// <summary>The tenant may run nothing.</summary>
    None = 0,

    /// <summary>The tenant may run built-in (system-range) opcodes.</summary>
    System = 1,

    /// <summary>The tenant may run user opcodes outside the tenant windows.</summary>
    User = 2,

    /// <summary>The tenant may run opcodes in its own window.</summary>
    OwnWindow = 4,

    /// <summary>Everything a tenant can be given.</summary>
    All = System | User | OwnWindow,
}
