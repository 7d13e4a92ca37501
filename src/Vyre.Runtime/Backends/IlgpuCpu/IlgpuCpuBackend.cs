using System;
using System.Threading;
using ILGPU.Runtime;
using Vyre.Internals;

namespace Vyre.Backends.IlgpuCpu;

/// <summary>
/// The generated ILGPU kernels on ILGPU's CPU accelerator: one warp of <see cref="CpuMemoryBackend.CpuWarpLanes"/>
/// lanes. A launch there runs on the calling thread until the kernel ends (FACTS.md), so the persistent
/// kernel gets a thread of its own; the finite kernel runs per published range on Once mode's launch thread. The
/// kernel runs the generated dispatcher inside <see cref="GuardedDispatcher{TDispatcher}"/>, so a handler's
/// exception ends its slot in FAULT instead of ILGPU's thread (and the process).
/// </summary>
internal sealed class IlgpuCpuBackend<TDispatcher> : CpuMemoryBackend
    where TDispatcher : struct, IMegakernelDispatcher
{
    private readonly KernelMode _mode;
    private readonly Thread _clock;
    private volatile bool _clockStopped;
    private Thread? _launcher;
    private Exception? _failure;

    public IlgpuCpuBackend(MegakernelOptions options)
        : base(CreateContext())
    {
        // Warp-wide slots need scratch per warp: one warp persistent; in Once mode a launch of up to a ring's slots.
        int warps = options.Mode == KernelMode.Once ? (options.SlotCount + CpuWarpLanes - 1) / CpuWarpLanes : 1;
        AllocateAll(options, (ulong)options.HeartbeatTimeout.Ticks * 100, default(TDispatcher).HasGroupHandlers ? warps : 0);
        _mode = options.Mode;
        GuardedDispatcher<TDispatcher>.RegisterWithIlgpu();
        LoadKernel(MegakernelLoop.RunPersistent<GuardedDispatcher<TDispatcher>>, MegakernelLoop.RunOnce<GuardedDispatcher<TDispatcher>>, _mode, CpuWarpLanes);

        // The CPU accelerator has no GPU timer: this thread is the device's clock (DeviceStateWord.HostClock).
        _clock = new Thread(Tick) { IsBackground = true, Name = "vyre-ilgpu-cpu-clock" };
        _clock.Start();
    }

    public override Backend Kind => Backend.IlgpuCpu;

    public override string Description => $"IlgpuCpu: {_mode} kernel, {CpuWarpLanes} lanes on ILGPU's CPU accelerator";

    public override unsafe void Start(TimeSpan timeout)
    {
        if (_mode == KernelMode.Once)
        {
            StartOnceMode();
            return;
        }

        _launcher = new Thread(RunPersistent) { IsBackground = true, Name = "vyre-ilgpu-cpu" };
        _launcher.Start();
        if (!WaitForControl(ControlWord.KernelState, (uint)KernelState.Running, timeout))
        {
            throw new TimeoutException($"The IlgpuCpu kernel did not start within {timeout.TotalSeconds:0.#} s{(_failure is null ? string.Empty : ": " + _failure.Message)}. Fix: check the log for a kernel compile error.");
        }
    }

    protected override void LaunchOnce(long first, int count)
    {
        int padded = (count + CpuWarpLanes - 1) / CpuWarpLanes * CpuWarpLanes;
        OnceKernel!(Accelerator.DefaultStream, padded, Buffers, (uint)first, count);
        Accelerator.Synchronize();
    }

    public override unsafe bool WaitForExit(TimeSpan timeout)
    {
        return _launcher is null ? StopOnceMode(timeout) : _launcher.Join(timeout);
    }

    protected override void Dispose(bool disposing)
    {
        _clockStopped = true;
        _clock.Join();
        base.Dispose(disposing);
    }

    private void Tick()
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        while (!_clockStopped)
        {
            Buffers.State.Write(DeviceStateWord.HostClock, (uint)System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            Thread.Sleep(1);
        }
    }

    private void RunPersistent()
    {
        try
        {
            PersistentKernel!(Accelerator.DefaultStream, CpuWarpLanes, Buffers);
            Accelerator.Synchronize();
        }
        catch (Exception ex)
        {
            _failure = ex;
        }
    }
}
