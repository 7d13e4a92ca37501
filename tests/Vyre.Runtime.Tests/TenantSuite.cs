using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using NUnit.Framework;

namespace Vyre.Runtime.Tests;

/// <summary>
/// Tenant handles on every backend: the handle stamps its id (another cannot be named), a quota bounds one tenant's
/// slots in flight while the others go on, quiesce drains, revoke stops at once, and the registry's ids run out cleanly.
/// </summary>
public abstract class TenantSuite
{
    private MegakernelHost _host = null!;

    /// <summary>The backend under test.</summary>
    protected abstract Backend Backend { get; }

    protected virtual void RequireBackend()
    {
    }

    [OneTimeSetUp]
    public async Task StartHost()
    {
        RequireBackend();
        _host = await TestKernels.StartAsync(new MegakernelOptions { Backend = Backend, SlotCount = 256, WaitTimeout = TimeSpan.FromSeconds(3) });
    }

    [OneTimeTearDown]
    public async Task StopHost()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    [Test]
    public async Task A_handle_stamps_its_own_tenant_and_refuses_to_name_another()
    {
        await using TenantHandle a = _host.RegisterTenant();
        await using TenantHandle b = _host.RegisterTenant();
        Assert.That(a.Id, Is.Not.EqualTo(b.Id).And.InRange(1u, 29u));
        Assert.That(a.Submit(new SlotRequest(TestKernels.Opcodes.WhoAmI))[0], Is.EqualTo(a.Id));
        Assert.That((await b.SubmitAsync(new SlotRequest(TestKernels.Opcodes.WhoAmI)))[0], Is.EqualTo(b.Id));
        Assert.That(() => a.Submit(new SlotRequest(TestKernels.Opcodes.WhoAmI) { Tenant = b.Id }), Throws.ArgumentException.With.Message.Contains("Fix:"));
        Assert.That(() => a.Submit(new SlotRequest(TestKernels.Opcodes.WhoAmI) { Tenant = a.Id }), Throws.Nothing, "its own id may be written");

        var results = new SlotResult[8];
        SlotBatch batch = a.PublishBatch([.. Enumerable.Repeat(new SlotRequest(TestKernels.Opcodes.WhoAmI), 8)]);
        Assert.That(() => b.WaitBatch(batch, results), Throws.ArgumentException, "another tenant's batch");
        a.WaitBatch(batch, results);
        Assert.That(() => a.WaitBatch(batch, results), Throws.ArgumentException.With.Message.Contains("waited for already"), "a batch is waited for once");
        Assert.That(results.Select(r => r[0]), Is.All.EqualTo(a.Id));
        Assert.That(a.Outstanding, Is.Zero);
    }

    [Test]
    public async Task A_uniform_batch_through_a_handle_runs_as_its_tenant_and_counts_against_its_quota()
    {
        await using TenantHandle a = _host.RegisterTenant(maxOutstanding: 6);
        await using TenantHandle b = _host.RegisterTenant();
        var who = new SlotRequest(TestKernels.Opcodes.WhoAmI);
        SlotBatch batch = a.PublishBatch(who, [0, 0, 0, 0, 0, 0], argsPerSlot: 1);
        Assert.That(a.Outstanding, Is.EqualTo(6));
        Assert.That(() => a.PublishBatch(who, new uint[7], 1), Throws.ArgumentException.With.Message.Contains("quota"));
        Assert.That(() => a.PublishBatch(who with { Tenant = b.Id }, [0], 1), Throws.ArgumentException.With.Message.Contains("Fix:"), "the template names another tenant");
        Assert.That(() => a.PublishBatch(who, [0, 0, 0], 2), Throws.ArgumentException.With.Message.Contains("Fix:"), "a bad shape is refused and takes no quota");
        Assert.That(() => a.PublishBatch(ReadOnlySpan<SlotRequest>.Empty), Throws.ArgumentException.With.Message.Contains("Fix:"), "an empty batch");
        Assert.That(() => a.PublishBatch([new SlotRequest(Vyre.Opcodes.Shutdown)]), Throws.ArgumentException.With.Message.Contains("Fix:"), "a refused request takes no quota either");
        Assert.That(() => b.WaitBatch(batch, new SlotState[6], new uint[6], 1), Throws.ArgumentException, "another tenant's batch");
        Assert.That(() => a.WaitBatch(batch, new SlotState[5], new uint[6], 1), Throws.ArgumentException.With.Message.Contains("Fix:"), "states too short");
        Assert.That(a.Outstanding, Is.EqualTo(6), "a refused wait leaves the batch and its quota as they were");

        uint[] words = new uint[6];
        Assert.That(a.WaitBatch(batch, new SlotState[6], words, 1), Is.Zero);
        Assert.That(words, Is.All.EqualTo(a.Id));
        Assert.That(a.Outstanding, Is.Zero, "the quota is back once the batch is waited for");
    }

    [Test]
    public async Task A_tenant_at_its_quota_waits_while_another_goes_on()
    {
        // The flooder's four slots run at once but stay outstanding until it waits for them: its quota is full. (Slots that
        // block a lane would stall the others too, on IlgpuCpu's one warp: a quota bounds ring slots, not lanes.)
        await using TenantHandle flooder = _host.RegisterTenant(maxOutstanding: 4);
        await using TenantHandle other = _host.RegisterTenant();
        SlotBatch held = flooder.PublishBatch([.. Enumerable.Repeat(new SlotRequest(TestKernels.Opcodes.Increment, 0), 4)]);
        Assert.That(flooder.Outstanding, Is.EqualTo(4));
        Assert.That(() => flooder.PublishBatch([.. Enumerable.Repeat(new SlotRequest(Vyre.Opcodes.Nop), 5)]), Throws.ArgumentException.With.Message.Contains("quota"));
        Assert.That(() => flooder.Submit(new SlotRequest(Vyre.Opcodes.Nop)), Throws.InstanceOf<TimeoutException>().With.Message.Contains("Fix:"), "bounded by the wait timeout");
        ValueTask<SlotResult> waiting = flooder.SubmitAsync(new SlotRequest(TestKernels.Opcodes.Increment, 1));
        for (uint i = 0; i < 200; i++)
        {
            Assert.That(other.Submit(new SlotRequest(TestKernels.Opcodes.Increment, i))[0], Is.EqualTo(i + 1), "the other tenant goes on");
        }

        Assert.That(waiting.IsCompleted, Is.False, "the flooder's fifth slot waits for its quota");
        var results = new SlotResult[4];
        flooder.WaitBatch(held, results);
        Assert.That((await waiting)[0], Is.EqualTo(2u), "it runs once the quota has room");
        Assert.That(results.Select(r => r[0]), Is.All.EqualTo(1u));
    }

    [Test]
    public async Task Quiesce_refuses_new_work_and_waits_for_what_is_in_flight()
    {
        await using TenantHandle tenant = _host.RegisterTenant();
        SlotBatch held = tenant.PublishBatch([new SlotRequest(TestKernels.Opcodes.Increment, 1), new SlotRequest(TestKernels.Opcodes.Increment, 7)]);
        Task quiesced = tenant.QuiesceAsync();
        await Task.Delay(100);
        Assert.That(quiesced.IsCompleted, Is.False, "its batch has not been waited for");
        Assert.That(tenant.IsOpen, Is.False);
        Assert.That(() => tenant.Submit(new SlotRequest(Vyre.Opcodes.Nop)), Throws.InvalidOperationException.With.Message.Contains("quiesced"));

        var results = new SlotResult[2];
        tenant.WaitBatch(held, results);
        await quiesced.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(results[1][0], Is.EqualTo(8u), "work in flight finished normally");
    }

    [Test]
    public async Task Revoke_stops_the_tenant_at_once()
    {
        await using TenantHandle tenant = _host.RegisterTenant();
        uint id = tenant.Id;
        tenant.Revoke();
        Assert.That(() => tenant.Submit(new SlotRequest(Vyre.Opcodes.Nop)), Throws.InvalidOperationException.With.Message.Contains("revoked"));
        SlotResult raw = _host.Submit(new SlotRequest(TestKernels.Opcodes.WhoAmI) { Tenant = id });
        Assert.That((raw.Fault, raw.FaultDetail), Is.EqualTo((FaultCode.UnauthorizedTenant, id)), "its permissions are gone on the device");
    }

    [Test]
    public async Task The_device_checks_its_own_copy_of_the_masks_which_every_change_writes_before_it_returns()
    {
        await using TenantHandle tenant = _host.RegisterTenant(TenantPermissions.User);
        uint id = tenant.Id;
        ref uint hostWord = ref _host.ControlWordOf(Vyre.Internals.ControlWord.TenantMaskFirst + (int)id - 1);
        Assert.That(hostWord, Is.EqualTo((uint)TenantPermissions.User), "the host keeps its own record");

        // The host's word cleared behind the host's back: the device goes by its copy in device memory (reading host memory
        // cost a PCIe round trip per slot), so the tenant still runs.
        hostWord = 0;
        try
        {
            Assert.That(tenant.Submit(new SlotRequest(TestKernels.Opcodes.WhoAmI))[0], Is.EqualTo(id));
        }
        finally
        {
            hostWord = (uint)TenantPermissions.User;
        }

        // Every change reaches the copy before it returns: revoked, granted again, revoked, each seen by the next slot.
        foreach (TenantPermissions permissions in new[] { TenantPermissions.None, TenantPermissions.User, TenantPermissions.None, TenantPermissions.User })
        {
            _host.SetTenantPermissions(id, permissions);
            SlotResult result = _host.Submit(new SlotRequest(TestKernels.Opcodes.WhoAmI) { Tenant = id });
            Assert.That(result.State, Is.EqualTo(permissions == TenantPermissions.None ? SlotState.Fault : SlotState.Done), $"after setting {permissions}");
            Assert.That(hostWord, Is.EqualTo((uint)permissions));
        }
    }

    [Test]
    public async Task Setting_a_mask_refuses_a_tenant_without_a_word_and_unknown_bits_and_changes_nothing()
    {
        await using TenantHandle tenant = _host.RegisterTenant(TenantPermissions.User);
        Assert.That(() => _host.SetTenantPermissions(0, TenantPermissions.User), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("Fix:"));
        Assert.That(() => _host.SetTenantPermissions(30, TenantPermissions.User), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("Fix:"));
        Assert.That(() => _host.SetTenantPermissions(tenant.Id, (TenantPermissions)0x100 | TenantPermissions.System), Throws.ArgumentException.With.Message.Contains("Fix:"));
        Assert.That(_host.ControlWordOf(Vyre.Internals.ControlWord.TenantMaskFirst + (int)tenant.Id - 1), Is.EqualTo((uint)TenantPermissions.User), "the refused call wrote nothing");
        Assert.That(tenant.Submit(new SlotRequest(TestKernels.Opcodes.WhoAmI))[0], Is.EqualTo(tenant.Id), "nor did it reach the device");
        Assert.That(_host.Submit(new SlotRequest(Vyre.Opcodes.Nop) { Tenant = tenant.Id }).Fault, Is.EqualTo(FaultCode.UnauthorizedTenant), "System was not granted");
    }

    [Test]
    public async Task Masks_set_from_racing_threads_leave_the_host_and_the_device_agreeing()
    {
        await using TenantHandle tenant = _host.RegisterTenant(TenantPermissions.User);
        uint id = tenant.Id;
        for (int round = 0; round < 8; round++)
        {
            // Two threads set opposite masks at once; whichever call ends last, both copies must hold its mask.
            TenantPermissions[] sides = [TenantPermissions.None, TenantPermissions.User];
            await Task.WhenAll(sides.Select(side => Task.Run(() =>
            {
                for (int i = 0; i < 50; i++)
                {
                    _host.SetTenantPermissions(id, side);
                }
            })));

            uint hostWord = _host.ControlWordOf(Vyre.Internals.ControlWord.TenantMaskFirst + (int)id - 1);
            SlotResult result = _host.Submit(new SlotRequest(TestKernels.Opcodes.WhoAmI) { Tenant = id });
            Assert.That(result.State, Is.EqualTo(hostWord == (uint)TenantPermissions.None ? SlotState.Fault : SlotState.Done), $"round {round}: the host's word says {hostWord}");
        }

        _host.SetTenantPermissions(id, TenantPermissions.User);
    }

    [Test]
    public async Task Ids_run_out_with_a_clear_error_and_come_back_when_a_handle_is_disposed()
    {
        var handles = new List<TenantHandle>();
        try
        {
            while (true)
            {
                try
                {
                    handles.Add(_host.RegisterTenant());
                }
                catch (InvalidOperationException full)
                {
                    Assert.That(full.Message, Does.Contain("Fix:"));
                    break;
                }

                Assert.That(handles.Count, Is.LessThanOrEqualTo(29), "at most 29 tenant ids");
            }

            uint freed = handles[^1].Id;
            await handles[^1].DisposeAsync();
            handles.RemoveAt(handles.Count - 1);
            TenantHandle again = _host.RegisterTenant();
            handles.Add(again);
            Assert.That(again.Id, Is.EqualTo(freed));
            Assert.That(() => _host.RegisterTenant(maxOutstanding: 0), Throws.ArgumentException);
            Assert.That(() => _host.RegisterTenant((TenantPermissions)0x100), Throws.ArgumentException);
        }
        finally
        {
            foreach (TenantHandle handle in handles)
            {
                await handle.DisposeAsync();
            }
        }
    }
}

[TestFixture]
public sealed class ManagedTenants : TenantSuite
{
    protected override Backend Backend => Backend.Managed;
}

[TestFixture]
public sealed class IlgpuCpuTenants : TenantSuite
{
    protected override Backend Backend => Backend.IlgpuCpu;
}

[TestFixture]
[Category("Gpu")]
public sealed class CudaTenants : TenantSuite
{
    protected override Backend Backend => Backend.Cuda;

    protected override void RequireBackend() => BackendOptions.RequireCuda();
}
