using System;
using System.Threading;
using System.Threading.Tasks;
using Vyre.Backends;
using Vyre.Internals;
using Vyre.Logging;

namespace Vyre;

/// <summary>Device loss: detected by the heartbeat thread's watch, answered by faulting what was in flight; recovery by a new host.</summary>
public sealed unsafe partial class MegakernelHost
{
    private readonly Lock _lossLock = new();
    private volatile string? _deviceLoss;

    /// <summary>Starts the same megakernel again with given options (set at start: it knows the dispatcher type).</summary>
    private Func<MegakernelOptions, Task<MegakernelHost>>? _startAgain;

    /// <summary>
    /// Why the device side was lost (a CUDA error on the resident kernel such as a trap or an illegal address, a failed
    /// Once-mode launch, or a device loop that exited by itself), or null while it is healthy. Once set, slots that were in
    /// flight have ended in FAULT <see cref="FaultCode.DeviceLost"/> and new work throws <see cref="DeviceLostException"/>;
    /// <see cref="RestartAsync"/> starts a replacement. Checked every heartbeat period
    /// (<see cref="MegakernelOptions.HeartbeatTimeout"/> / 8).
    /// </summary>
    public string? DeviceLoss => _deviceLoss;

    /// <summary>
    /// Shuts this host down (see <see cref="ShutdownAsync"/>) and starts the same megakernel again, with
    /// <paramref name="options"/> or, when null, the options this host was started with: the recovery after a device loss
    /// (on the same device, or another through <see cref="MegakernelOptions.CudaDevice"/> or
    /// <see cref="MegakernelOptions.CudaDeviceFilter"/>), or a planned restart. Device memory does not carry over: write
    /// the heap, load programs and set tenant permissions on the new host again. Callers holding this host must move to the
    /// returned one; this one stays shut down.
    /// </summary>
    public Task<MegakernelHost> RestartAsync(MegakernelOptions? options = null)
    {
        Func<MegakernelOptions, Task<MegakernelHost>> start = _startAgain ?? throw new InvalidOperationException("This host cannot start its megakernel again. Fix: start a new one with X.StartAsync.");
        MegakernelOptions next = options ?? _options;
        next.Validate();

        // DisposeAsync never throws.
        return DisposeAsync().AsTask().ContinueWith(_ => start(next), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();
    }

    /// <summary>The heartbeat thread's watch: asks the backend whether the device side failed, or whether it exited by itself.</summary>
    private void Watch()
    {
        if (Volatile.Read(ref _state) != 0 || _deviceLoss is not null)
        {
            return;
        }

        DeviceFault? fault;
        try
        {
            fault = AskDevice();

            // The loop's exit word is written by one warp while others may still finish their claims: the host writes
            // the ring only once the whole device side has ended.
            if (fault is null && ExitedByItself() is { } exited && _backend.WaitForExit(TimeSpan.FromSeconds(1)))
            {
                fault = exited;
            }
        }
        catch (Exception failure)
        {
            fault = new DeviceFault($"asking the device for its state failed: {failure.Message}", 0);
        }

        if (fault is { } lost)
        {
            LoseDevice(lost);
        }
    }

    /// <summary>Tests only: answers in place of the backend's <see cref="IMegakernelBackend.CheckDevice"/> when it gives a fault.</summary>
    internal Func<DeviceFault?>? DeviceCheckForTests { get; set; }

    /// <summary>How often the device is asked whether it failed: the heartbeat's period, and a shutdown's wait for its SHUTDOWN slot.</summary>
    private TimeSpan WatchPeriod => _options.HeartbeatTimeout / 8;

    /// <summary>Whether the device side failed (a CUDA error on the resident kernel, a failed Once launch); null when it did not.</summary>
    private DeviceFault? AskDevice() => DeviceCheckForTests?.Invoke() ?? _backend.CheckDevice();

    /// <summary>A persistent device loop that exited while the host runs has left nobody to run the ring.</summary>
    private DeviceFault? ExitedByItself()
    {
        uint* control = _backend.Control;
        if (_options.Mode != KernelMode.Persistent || Volatile.Read(ref control[ControlWord.KernelState]) != (uint)KernelState.Exited)
        {
            return null;
        }

        var reason = (KernelExitReason)Volatile.Read(ref control[ControlWord.ExitReason]);
        return new DeviceFault(
            reason == KernelExitReason.HeartbeatStale
                ? $"the device loop exited by itself: the host's heartbeat was stale for HeartbeatTimeout ({_options.HeartbeatTimeout.TotalSeconds:0.###} s; a stalled host, or a debugger pausing the process)"
                : $"the device loop exited by itself ({reason}) while the host was running",
            0);
    }

    /// <summary>
    /// Marks the device side lost: the io service stops, new work is refused, and every slot in flight ends in FAULT
    /// DeviceLost (the device side writes nothing any more, so the host may). Once; a host shutting down is left alone.
    /// </summary>
    internal void LoseDevice(DeviceFault fault)
    {
        // Held by a shutdown deciding on its SHUTDOWN slot: the host is stopping anyway, and the heartbeat must not wait.
        if (!_lossLock.TryEnter())
        {
            return;
        }

        try
        {
            if (_deviceLoss is not null || Volatile.Read(ref _state) != 0)
            {
                return;
            }

            // The ring refuses new work first, and only then is the loss visible: a caller that sees DeviceLoss set and then
            // submits gets DeviceLostException, not a slot published while the io service was stopping and then ended in
            // FAULT DeviceLost (a race the IlgpuCpu fixture hit once on the 2-core build machine, 2026-12-02).
            StopLoadMiss();
            int faulted = _ring.Lose(fault.Reason, fault.Detail);
            _deviceLoss = fault.Reason;
            _pendingAdded.Set();
            VyreLog.DeviceLost(_log, Name, fault.Reason, faulted);
        }
        finally
        {
            _lossLock.Exit();
        }
    }

    /// <summary>Throws <see cref="DeviceLostException"/> once the device is lost (before device memory is touched).</summary>
    private void ThrowIfLost()
    {
        if (_deviceLoss is { } reason)
        {
            throw new DeviceLostException(reason);
        }
    }

    /// <summary>Reads device memory; <see cref="DeviceLostException"/> once the device is lost.</summary>
    private void ReadDevice(DeviceRegion region, int offset, Span<uint> into)
    {
        ThrowIfLost();
        _backend.Read(region, offset, into);
    }

    /// <summary>Writes device memory; <see cref="DeviceLostException"/> once the device is lost.</summary>
    private void WriteDevice(DeviceRegion region, int offset, ReadOnlySpan<uint> from)
    {
        ThrowIfLost();
        _backend.Write(region, offset, from);
    }
}
