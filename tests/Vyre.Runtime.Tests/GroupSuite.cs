using System;
using System.Linq;
using System.Threading.Tasks;
using NUnit.Framework;
using Vyre.Programs;

namespace Vyre.Runtime.Tests;

/// <summary>
/// Warp-wide handlers on every backend: lane indexes, shuffles, reductions, ballots, group scratch (zeroed per slot),
/// faults from any lane, warp-wide slots mixed with lane slots in one batch, and the places a warp-wide handler may not
/// be called from (a packed op, a VIR0 program). Results are compared with plain C#.
/// </summary>
public abstract class GroupSuite
{
    private MegakernelHost _host = null!;

    /// <summary>Options that select the backend under test.</summary>
    protected abstract MegakernelOptions Options();

    /// <summary>Lanes in a group on this backend.</summary>
    protected abstract int GroupSize { get; }

    /// <summary>Called before the fixture starts: Assert.Ignore when the backend is not present.</summary>
    protected virtual void RequireBackend()
    {
    }

    [OneTimeSetUp]
    public async Task StartHost()
    {
        RequireBackend();
        _host = await GroupKernels.StartAsync(Options());
    }

    [OneTimeTearDown]
    public async Task StopHost()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    private static byte[] RandomBytes(int seed, int length)
    {
        byte[] bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    [Test]
    public void Reductions_and_a_ballot_over_a_strided_walk_give_what_plain_CSharp_gives()
    {
        byte[] bytes = RandomBytes(1, 10_007);
        _host.WriteData(4096, bytes);
        SlotResult result = _host.Submit(GroupKernels.Opcodes.ByteStats, 4096, (uint)bytes.Length, 7);
        Assert.That(result.IsDone, result.ToString());
        uint ballot = 0;
        for (int i = 0; i < bytes.Length; i++)
        {
            ballot |= bytes[i] == 7 ? 1u << (i % GroupSize) : 0;
        }

        uint or = bytes.Aggregate(0u, (a, b) => a | b);
        Assert.That(
            (result[0], result[1], result[2], result[3], result[4], result[5]),
            Is.EqualTo(((uint)bytes.Sum(b => b), (uint)bytes.Max(), (uint)bytes.Min(), or, (uint)GroupSize, ballot)));
    }

    [Test]
    public void A_walk_shorter_than_the_group_leaves_the_idle_lanes_neutral()
    {
        _host.WriteData(0, [9, 200, 3]);
        SlotResult result = _host.Submit(GroupKernels.Opcodes.ByteStats, 0, 3, 200);
        Assert.That((result[0], result[1], result[2], result[5]), Is.EqualTo((212u, 200u, 3u, 2u)));
        SlotResult empty = _host.Submit(GroupKernels.Opcodes.ByteStats, 0, 0, 0);
        Assert.That((empty.State, empty[0], empty[1], empty[2], empty[5]), Is.EqualTo((SlotState.Done, 0u, 0u, 255u, 0u)));
    }

    [Test]
    public void Shuffles_move_values_between_lanes_as_specified()
    {
        const uint A = 7, B = 5;
        uint V(int lane) => ((uint)lane * A) + B;
        int last = GroupSize - 1;
        SlotResult result = _host.Submit(GroupKernels.Opcodes.Shuffles, A, B, (uint)(GroupSize + 3), 2);
        Assert.That(result.IsDone, result.ToString());
        uint even = Enumerable.Range(0, GroupSize).Where(l => l % 2 == 0).Aggregate(0u, (m, l) => m | (1u << l));
        Assert.That(
            Enumerable.Range(0, 9).Select(i => result[i]),
            Is.EqualTo(new[] { V(3 % GroupSize), V(1), V(1), V(0), even, 1u, 1u, V(last), V(0) }),
            "shuffle (source taken modulo the size), down, xor, broadcast, ballot, any, all, down past the end, wrap");

        SlotResult none = _host.Submit(GroupKernels.Opcodes.Shuffles, A, B, 0, (uint)GroupSize);
        Assert.That(none[5], Is.Zero, "no lane has an index equal to the size");
    }

    [Test]
    public void Group_scratch_is_shared_by_the_lanes_and_zeroed_for_every_slot()
    {
        byte[] bytes = RandomBytes(2, 5_000);
        _host.WriteData(0, bytes);
        const int Slots = 64;
        SlotRequest[] requests = [.. Enumerable.Range(0, Slots).Select(i => new SlotRequest(GroupKernels.Opcodes.Histogram, (uint)(i * 50), 1_000, (uint)(i * 256)))];
        var results = new SlotResult[Slots];
        _host.WaitBatch(_host.PublishBatch(requests), results);
        uint[] heap = new uint[Slots * 256];
        _host.ReadHeap(0, heap);
        for (int i = 0; i < Slots; i++)
        {
            uint[] expected = new uint[256];
            foreach (byte b in bytes.AsSpan(i * 50, 1_000))
            {
                expected[b]++;
            }

            Assert.That(results[i].IsDone, results[i].ToString());
            Assert.That(heap.AsSpan(i * 256, 256).ToArray(), Is.EqualTo(expected), $"slot {i}");
            Assert.That((results[i][0], results[i][1]), Is.EqualTo(((uint)expected.Count(c => c != 0), 0u)), $"slot {i}: distinct values, and the scratch it found");
        }
    }

    [Test]
    public void A_fault_on_any_lane_faults_the_slot()
    {
        for (uint lane = 0; lane < (uint)GroupSize; lane += (uint)Math.Max(1, GroupSize / 4))
        {
            SlotResult result = _host.Submit(GroupKernels.Opcodes.OneLaneFails, lane, 0);
            Assert.That((result.State, result.Fault, result.FaultDetail), Is.EqualTo((SlotState.Fault, FaultCode.HandlerFault, 100 + lane)), $"lane {lane}");
        }

        SlotResult outside = _host.Submit(GroupKernels.Opcodes.OneLaneFails, 1, 1);
        Assert.That((outside.Fault, outside.FaultDetail), Is.EqualTo((FaultCode.OutOfBounds, 1024u + (1u % (uint)GroupSize))), "a read past the group scratch");

        SlotResult status = _host.Submit(GroupKernels.Opcodes.FaultStatus);
        Assert.That((status.Fault, status.FaultDetail), Is.EqualTo((FaultCode.HandlerFault, 0u)), "lane 0 returned Fault without recording one");

        SlotResult io = _host.Submit(GroupKernels.Opcodes.WaitsForIo);
        Assert.That((io.Fault, io.FaultDetail), Is.EqualTo((FaultCode.BadArgument, (uint)SlotStatus.WaitIo)), "a warp's slot cannot wait for io");

        SlotResult after = _host.Submit(GroupKernels.Opcodes.ByteStats, 0, 0, 0);
        Assert.That(after.State, Is.EqualTo(SlotState.Done), "the next slot on the group runs clean");
    }

    [Test]
    public void Warp_wide_and_lane_slots_mixed_in_one_batch_all_complete_with_their_results()
    {
        byte[] bytes = RandomBytes(3, 4_096);
        _host.WriteData(0, bytes);
        const int Slots = 1_000;
        SlotRequest[] requests = [.. Enumerable.Range(0, Slots).Select(i => (i % 3) switch
        {
            0 => new SlotRequest(GroupKernels.Opcodes.Lane, (uint)i),
            1 => new SlotRequest(GroupKernels.Opcodes.ByteStats, (uint)(i % 1000), (uint)(i % 97), 0),
            _ => new SlotRequest(GroupKernels.Opcodes.Shuffles, (uint)i, 1, 1, 0),
        })];
        var results = new SlotResult[Slots];
        _host.WaitBatch(_host.PublishBatch(requests), results);
        for (int i = 0; i < Slots; i++)
        {
            Assert.That(results[i].IsDone, $"slot {i}: {results[i]}");
            uint expected = (i % 3) switch
            {
                0 => ((uint)i * 3) + 1,
                1 => (uint)bytes.AsSpan(i % 1000, i % 97).ToArray().Sum(b => b),
                _ => GroupSize > 1 ? (uint)i + 1 : 1u,
            };
            Assert.That(results[i][0], Is.EqualTo(expected), $"slot {i}");
        }
    }

    [Test]
    public void A_tenant_without_permission_cannot_run_a_warp_wide_handler()
    {
        _host.SetTenantPermissions(5, TenantPermissions.None);
        SlotResult result = _host.Submit(new SlotRequest(GroupKernels.Opcodes.ByteStats, 0, 0, 0) { Tenant = 5 });
        Assert.That((result.Fault, result.FaultDetail), Is.EqualTo((FaultCode.UnauthorizedTenant, 5u)));
    }

    [Test]
    public void A_packed_op_or_a_program_cannot_call_a_warp_wide_handler()
    {
        uint[] args = new uint[12];
        args[0] = 2;
        args[1] = GroupKernels.Opcodes.Lane;
        args[2] = 4;
        args[3] = GroupKernels.Opcodes.ByteStats;
        SlotResult packed = _host.Submit(Opcodes.PackedSlot, args);
        Assert.That((packed.Fault, packed.FaultDetail), Is.EqualTo((FaultCode.Unsupported, GroupKernels.Opcodes.ByteStats)), packed.ToString());

        Assert.That(_host.HandlerOpcodes.Keys, Does.Contain("Lane").And.Not.Contain("ByteStats"));
        Vir0Program program = Vir0Text.Parse($".fuel 10\ncall {GroupKernels.Opcodes.ByteStats}, r0, 3\nhalt\n");
        Assert.That(() => _host.LoadProgram(program), Throws.ArgumentException.With.Message.Contains("warp-wide").And.Message.Contains("Fix:"));
    }
}

[TestFixture]
public sealed class ManagedGroups : GroupSuite
{
    protected override int GroupSize => 32;

    protected override MegakernelOptions Options() => BackendOptions.Managed(1024);

    [Test]
    public async Task An_exception_on_one_lane_faults_the_slot_and_the_other_lanes_go_on()
    {
        await using MegakernelHost host = await GroupKernels.StartAsync(BackendOptions.Managed(64));
        SlotResult thrown = host.Submit(GroupKernels.Opcodes.OneLaneDivides, 5, 0);
        Assert.That(thrown.Fault, Is.EqualTo(FaultCode.HandlerException), thrown.ToString());
        SlotResult fine = host.Submit(GroupKernels.Opcodes.OneLaneDivides, 5, 2);
        Assert.That((fine.State, fine[0]), Is.EqualTo((SlotState.Done, 31u + 5u)));
    }
}

[TestFixture]
public sealed class IlgpuCpuGroups : GroupSuite
{
    protected override int GroupSize => 4;

    protected override MegakernelOptions Options() => BackendOptions.IlgpuCpu(1024);
}

[TestFixture]
public sealed class IlgpuCpuOnceGroups : GroupSuite
{
    protected override int GroupSize => 4;

    protected override MegakernelOptions Options() => BackendOptions.IlgpuCpu(1024, mode: KernelMode.Once);
}

[TestFixture]
[Category("Gpu")]
public sealed class CudaGroups : GroupSuite
{
    protected override int GroupSize => 32;

    protected override void RequireBackend() => BackendOptions.RequireCuda();

    protected override MegakernelOptions Options() => BackendOptions.Cuda(1024);
}

[TestFixture]
[Category("Gpu")]
public sealed class CudaOnceGroups : GroupSuite
{
    protected override int GroupSize => 32;

    protected override void RequireBackend() => BackendOptions.RequireCuda();

    protected override MegakernelOptions Options() => BackendOptions.Cuda(1024, mode: KernelMode.Once);
}
