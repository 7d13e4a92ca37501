using System;
using System.Threading.Tasks;
using NUnit.Framework;

namespace Vyre.Runtime.Tests;

/// <summary>
/// Starting and stopping hosts. Each test starts its own host, so these run in fixtures of their own
/// after the conformance fixture has stopped its host: on CUDA a module cannot load while another
/// persistent kernel runs (FACTS.md).
/// </summary>
public abstract class LifecycleSuite
{
    /// <summary>Options that select the backend under test.</summary>
    protected abstract MegakernelOptions Options(int slotCount);

    /// <summary>Called first: Assert.Ignore when the backend is not present.</summary>
    protected virtual void RequireBackend()
    {
    }

    /// <summary>Whether the device side watches the heartbeat (Managed workers are host threads: they die with the host).</summary>
    protected virtual bool WatchesHeartbeat => true;

    [OneTimeSetUp]
    public void Require() => RequireBackend();

    [Test]
    public async Task A_stale_heartbeat_stops_the_device_side_by_itself()
    {
        if (!WatchesHeartbeat)
        {
            Assert.Ignore("Managed workers are threads of the host process: they end with it, and watch no heartbeat.");
        }

        MegakernelOptions options = Options(slotCount: 64);
        MegakernelHost host = await TestKernels.StartAsync(new MegakernelOptions { Backend = options.Backend, SlotCount = 64, HeartbeatTimeout = TimeSpan.FromSeconds(1) });
        Assert.That(host.Submit(TestKernels.Opcodes.Increment, 1)[0], Is.EqualTo(2u));
        host.StopHeartbeat();
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (host.Telemetry().KernelState != KernelState.Exited && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        TelemetrySnapshot telemetry = host.Telemetry();
        Assert.That((telemetry.KernelState, telemetry.ExitReason), Is.EqualTo((KernelState.Exited, KernelExitReason.HeartbeatStale)));
        await host.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)); // No SHUTDOWN slot to wait for.
    }

    [Test]
    public void Bad_options_throw_before_anything_starts()
    {
        Assert.That(() => TestKernels.StartAsync(Options(slotCount: 1)), Throws.ArgumentException.With.Message.Contains("Fix:"));
        Assert.That(() => TestKernels.StartAsync(new MegakernelOptions { Lanes = 0 }), Throws.ArgumentException.With.Message.Contains("Fix:"));
        Assert.That(() => TestKernels.StartAsync(new MegakernelOptions { Backend = Backend.Managed, Mode = KernelMode.Once }), Throws.ArgumentException.With.Message.Contains("Fix:"));
    }

    [Test]
    public async Task Shutdown_stops_the_device_side_and_later_calls_throw()
    {
        MegakernelHost host = await TestKernels.StartAsync(Options(slotCount: 64));
        Assert.That(host.Submit(TestKernels.Opcodes.Increment, 1)[0], Is.EqualTo(2u));
        Assert.That(host.Telemetry().KernelState, Is.EqualTo(KernelState.Running));
        await host.DisposeAsync();
        Assert.That(() => host.Submit(Opcodes.Nop), Throws.InstanceOf<ObjectDisposedException>().With.Message.Contains("Fix:"));
        await host.DisposeAsync();
    }
}
