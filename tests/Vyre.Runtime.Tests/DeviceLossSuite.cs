using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using NUnit.Framework;
using Vyre.Backends;

namespace Vyre.Runtime.Tests;

/// <summary>
/// Device loss on every backend: slots in flight end in FAULT DeviceLost (never a hang), new work is refused with a
/// fix, the host shuts down promptly and <c>RestartAsync</c> gives a working replacement; a device loop that exits by
/// itself counts as a loss; on CUDA a handler that traps loses the device for real.
/// </summary>
public abstract class DeviceLossSuite
{
    /// <summary>The backend under test.</summary>
    protected abstract Backend Backend { get; }

    /// <summary>Whether the device loop watches the heartbeat (Managed workers are host threads and do not).</summary>
    protected virtual bool WatchesHeartbeat => true;

    protected virtual void RequireBackend()
    {
    }

    [OneTimeSetUp]
    public void Require() => RequireBackend();

    [Test]
    public async Task Slots_in_flight_when_the_device_is_lost_end_in_FAULT_DeviceLost_and_new_work_is_refused()
    {
        // A heartbeat period of hours keeps the watch out of the way: the test declares the loss itself, as the watch would.
        MegakernelHost host = await TestKernels.StartAsync(Options(TimeSpan.FromDays(1)));
        Assert.That(host.Submit(TestKernels.Opcodes.Increment, 1)[0], Is.EqualTo(2u));
        Assert.That(host.StopDeviceSide(TimeSpan.FromSeconds(10)), Is.True);

        SlotBatch batch = host.PublishBatch([.. Enumerable.Range(0, 20).Select(i => new SlotRequest(TestKernels.Opcodes.Increment, (uint)i))]);
        ValueTask<SlotResult> awaited = host.SubmitAsync(TestKernels.Opcodes.Increment, 5);
        Task<SlotResult> spinning = Task.Run(() => host.Submit(TestKernels.Opcodes.Increment, 6));
        for (int i = 0; i < 1000 && host.Outstanding < 22; i++)
        {
            await Task.Delay(5);
        }

        Assert.That(host.Outstanding, Is.EqualTo(22), "all three submissions published");
        Assert.That(spinning.IsCompleted, Is.False, "nothing runs the ring any more");

        host.LoseDevice(new DeviceFault("lost on purpose by the test", 0x2CF));
        var results = new SlotResult[20];
        host.WaitBatch(batch, results);
        SlotResult[] all = [.. results, await awaited.AsTask().WaitAsync(TimeSpan.FromSeconds(10)), await spinning.WaitAsync(TimeSpan.FromSeconds(10))];
        Assert.That(all.Select(r => (r.State, r.Fault, r.FaultDetail)), Is.All.EqualTo((SlotState.Fault, FaultCode.DeviceLost, 0x2CFu)));

        Assert.That(host.DeviceLoss, Does.Contain("lost on purpose"));
        Assert.That(() => host.Submit(TestKernels.Opcodes.Increment, 1), Throws.InstanceOf<DeviceLostException>().With.Message.Contains("Fix:").And.Message.Contains("lost on purpose"));
        Assert.That(() => host.PublishBatch([new SlotRequest(Opcodes.Nop)]), Throws.InstanceOf<DeviceLostException>());
        Assert.That(() => host.ReadHeap(0, new uint[1]), Throws.InstanceOf<DeviceLostException>());
        Assert.That(host.RingSnapshot().Unfinished, Is.Empty, "no slot is left waiting");
        Assert.That(() => host.Telemetry(), Throws.Nothing, "telemetry still answers");

        MegakernelHost replacement = await host.RestartAsync().WaitAsync(TimeSpan.FromSeconds(60));
        await using (replacement)
        {
            Assert.That(replacement.DeviceLoss, Is.Null);
            Assert.That(replacement.Submit(TestKernels.Opcodes.Increment, 41)[0], Is.EqualTo(42u), "new work proceeds on the new host");
        }

        Assert.That(() => host.Submit(Opcodes.Nop), Throws.InstanceOf<ObjectDisposedException>(), "the lost host stays shut down");
    }

    [Test]
    public async Task A_device_lost_while_the_shutdown_slot_waits_ends_the_wait()
    {
        if (Backend != Backend.Managed)
        {
            Assert.Ignore("The SHUTDOWN slot waits only while every lane is busy: one Managed worker makes that so; the device is asked through the same CheckDevice on every backend.");
        }

        MegakernelHost host = await TestKernels.StartAsync(new MegakernelOptions { Backend = Backend.Managed, SlotCount = 16, Lanes = 1, WaitTimeout = TimeSpan.FromSeconds(60) });
        _ = host.SubmitAsync(TestKernels.Opcodes.SpinUntilDataFlag, 0);
        await Task.Delay(200);
        Task<ShutdownReport> shutdown = host.ShutdownAsync();
        await Task.Delay(500);
        Assert.That(shutdown.IsCompleted, Is.False, "the SHUTDOWN slot waits behind the handler that spins on the only worker");

        host.DeviceCheckForTests = () => new DeviceFault("lost on purpose during the shutdown", 0);
        ShutdownReport report = await shutdown.WaitAsync(TimeSpan.FromSeconds(20)); // Not WaitTimeout's 60 s.
        Assert.That(report.Summary, Does.Contain("lost on purpose during the shutdown"));
        Assert.That(report.MemoryReleased, Is.False, "the worker still runs the handler: its memory is kept");
        unsafe
        {
            Volatile.Write(ref host.DataPointer[0], 1); // Let the worker go.
        }
    }

    [Test]
    public async Task A_restart_with_wrong_options_is_refused_before_anything_stops()
    {
        await using MegakernelHost host = await TestKernels.StartAsync(Options(TimeSpan.FromDays(1)));
        var wrong = new MegakernelOptions { Backend = Backend, SlotCount = 100 };
        Assert.That(() => host.RestartAsync(wrong), Throws.ArgumentException.With.Message.Contains("Fix:"));
        Assert.That(host.Submit(TestKernels.Opcodes.Increment, 1)[0], Is.EqualTo(2u), "the host still serves: nothing was shut down");
        Assert.That(host.DeviceLoss, Is.Null);
    }

    [Test]
    public async Task A_device_loop_that_exits_by_itself_is_a_lost_device()
    {
        if (!WatchesHeartbeat)
        {
            Assert.Ignore("Managed workers are threads of the host process: they end with it, and watch no heartbeat.");
        }

        MegakernelHost host = await TestKernels.StartAsync(Options(TimeSpan.FromMilliseconds(400)));
        await using (host)
        {
            Assert.That(host.Submit(TestKernels.Opcodes.Increment, 1)[0], Is.EqualTo(2u));
            host.StopHeartbeat();
            for (int i = 0; i < 3000 && host.DeviceLoss is null; i++)
            {
                await Task.Delay(10);
            }

            Assert.That(host.DeviceLoss, Does.Contain("heartbeat"));
            Assert.That(() => host.Submit(TestKernels.Opcodes.Increment, 1), Throws.InstanceOf<DeviceLostException>());
        }
    }

    [Test]
    public async Task A_trapping_handler_only_faults_its_slot_off_cuda()
    {
        if (Backend == Backend.Cuda)
        {
            Assert.Ignore("On CUDA a trap poisons CUDA for the whole process: CudaTrapDeviceLoss runs it in a process of its own.");
        }

        await using MegakernelHost host = await DeviceLossKernels.StartAsync(new MegakernelOptions { Backend = Backend, SlotCount = 256 });
        SlotResult trap = host.Submit(DeviceLossKernels.Opcodes.Trap);
        Assert.That((trap.Fault, trap.FaultDetail), Is.EqualTo((FaultCode.HandlerFault, 0x7A9u)));
        Assert.That(host.Submit(DeviceLossKernels.Opcodes.Increment, 1)[0], Is.EqualTo(2u));
        Assert.That(host.DeviceLoss, Is.Null);
    }

    private MegakernelOptions Options(TimeSpan heartbeat) => new()
    {
        Backend = Backend,
        SlotCount = 256,
        HeartbeatTimeout = heartbeat,
        WaitTimeout = TimeSpan.FromSeconds(20),
    };
}

[TestFixture]
public sealed class ManagedDeviceLoss : DeviceLossSuite
{
    protected override Backend Backend => Backend.Managed;

    protected override bool WatchesHeartbeat => false;
}

[TestFixture]
public sealed class IlgpuCpuDeviceLoss : DeviceLossSuite
{
    protected override Backend Backend => Backend.IlgpuCpu;
}

[TestFixture]
[Category("Gpu")]
public sealed class CudaDeviceLoss : DeviceLossSuite
{
    protected override Backend Backend => Backend.Cuda;

    protected override void RequireBackend() => BackendOptions.RequireCuda();
}

/// <summary>
/// A handler that traps on CUDA: the resident kernel dies with CUDA_ERROR_LAUNCH_FAILED, which poisons CUDA for the whole
/// process, so this fixture is explicit and each of its tests runs in a process of its own on the GPU machine
/// (<c>--filter FullyQualifiedName~A_trap_loses</c>, <c>~A_group_keeps</c>, <c>~A_host_shut_down</c>, one per process).
/// </summary>
[TestFixture]
[Category("Gpu")]
[Category("GpuFatal")]
[Explicit("Each test poisons CUDA for the rest of its process: run them one per process (category GpuFatal).")]
public sealed class CudaTrapDeviceLoss
{
    [OneTimeSetUp]
    public void Require() => BackendOptions.RequireCuda();

    [Test]
    public async Task A_trap_loses_the_device_every_slot_ends_and_the_host_restarts_on_the_cpu()
    {
        MegakernelHost host = await DeviceLossKernels.StartAsync(new MegakernelOptions { Backend = Backend.Cuda, SlotCount = 256, WaitTimeout = TimeSpan.FromSeconds(20) });
        Assert.That(host.Submit(DeviceLossKernels.Opcodes.Increment, 1)[0], Is.EqualTo(2u));
        ValueTask<SlotResult> trapped = host.SubmitAsync(DeviceLossKernels.Opcodes.Trap);
        SlotBatch after = host.PublishBatch([.. Enumerable.Range(0, 64).Select(i => new SlotRequest(DeviceLossKernels.Opcodes.Increment, (uint)i))]);
        SlotResult trap = await trapped.AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        var results = new SlotResult[64];
        host.WaitBatch(after, results);
        TestContext.Out.WriteLine($"trap: {trap}; loss: {host.DeviceLoss}; after: {results.Count(r => r.IsDone)} done, {results.Count(r => r.Fault == FaultCode.DeviceLost)} lost");

        Assert.That(trap.Fault, Is.EqualTo(FaultCode.DeviceLost));
        Assert.That(host.DeviceLoss, Does.Contain("CUDA_ERROR"));
        Assert.That(results.All(r => r.IsDone || r.Fault == FaultCode.DeviceLost), "every slot ended, none hung");
        Assert.That(() => host.Submit(DeviceLossKernels.Opcodes.Increment, 1), Throws.InstanceOf<DeviceLostException>().With.Message.Contains("Fix:"));
        Assert.That(MegakernelHost.IsCudaAvailable(), Is.False, "CUDA is gone for this process");

        Assert.That(() => host.RestartAsync(), Throws.InstanceOf<InvalidOperationException>().With.Message.Contains("restart the process"));
        await using MegakernelHost cpu = await DeviceLossKernels.StartAsync(new MegakernelOptions { Backend = Backend.Auto, SlotCount = 256 });
        Assert.That(cpu.Backend, Is.EqualTo(Backend.Managed), "Auto chooses the CPU once CUDA is lost");
        Assert.That(cpu.Submit(DeviceLossKernels.Opcodes.Increment, 41)[0], Is.EqualTo(42u), "new work proceeds");
    }

    [Test]
    public async Task A_group_keeps_serving_on_its_cpu_member_when_its_gpu_member_traps()
    {
        await using MegakernelGroup group = await MegakernelGroup.StartAsync(
            o => DeviceLossKernels.StartAsync(o),
            [new MegakernelOptions { Backend = Backend.Cuda, SlotCount = 256 }, new MegakernelOptions { Backend = Backend.Managed, SlotCount = 256 }]);
        MegakernelHost gpu = group.Hosts.Single(h => h.Backend == Backend.Cuda);
        SlotResult trap = await gpu.SubmitAsync(DeviceLossKernels.Opcodes.Trap).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.That(trap.Fault, Is.EqualTo(FaultCode.DeviceLost));
        for (uint i = 0; i < 100; i++)
        {
            Assert.That(group.Submit(new SlotRequest(DeviceLossKernels.Opcodes.Increment, i))[0], Is.EqualTo(i + 1), "the CPU member serves");
        }

        await Task.Delay(500);
        Assert.That(group.Hosts.Select(h => h.Backend), Is.EqualTo(new[] { Backend.Managed }), "the GPU member cannot come back in this process");
        Assert.That(group.MemberCount, Is.EqualTo(2));
    }

    [Test]
    public async Task A_host_shut_down_right_after_a_trap_its_watch_has_not_seen_stops_promptly()
    {
        // A heartbeat period of hours: the watch does not look before the shutdown does.
        MegakernelHost host = await DeviceLossKernels.StartAsync(new MegakernelOptions { Backend = Backend.Cuda, SlotCount = 256, HeartbeatTimeout = TimeSpan.FromDays(1), WaitTimeout = TimeSpan.FromSeconds(20) });
        ValueTask<SlotResult> trapped = host.SubmitAsync(DeviceLossKernels.Opcodes.Trap);
        await Task.Delay(500);
        Assert.That(host.DeviceLoss, Is.Null, "the watch has not looked yet");
        ShutdownReport report = await host.ShutdownAsync().WaitAsync(TimeSpan.FromSeconds(15));
        TestContext.Out.WriteLine(report.Summary);
        Assert.That(report.DeviceExited, Is.True, "a dead kernel counts as exited, without waiting out the bound");
        Assert.That(async () => await trapped, Throws.InstanceOf<ObjectDisposedException>(), "the wait ends with the host");
        Assert.That(() => DeviceLossKernels.StartAsync(new MegakernelOptions { Backend = Backend.Cuda }), Throws.InstanceOf<InvalidOperationException>().With.Message.Contains("restart the process"));
    }
}
