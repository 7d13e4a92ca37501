using System;
using System.ComponentModel;
using System.Threading;
using System.Threading.Tasks;
using Vyre.Backends;
using Vyre.Backends.Cuda;
using Vyre.Backends.IlgpuCpu;
using Vyre.Backends.Managed;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Vyre.Internals;
using Vyre.Logging;
using Vyre.Ring;

namespace Vyre;

/// <summary>
/// A running megakernel: the device side (a resident CUDA kernel, CPU workers, or ILGPU's CPU
/// accelerator) fed through the ring. Start it with the generated <c>X.StartAsync</c>; submit slots
/// (<c>Submit</c>, <c>SubmitAsync</c>, <see cref="PublishBatch(ReadOnlySpan{SlotRequest})"/>); stop it with
/// <see cref="DisposeAsync"/>. Thread-safe: any number of threads may submit at once.
/// </summary>
public sealed unsafe partial class MegakernelHost : IAsyncDisposable
{
    private readonly IMegakernelBackend _backend;
    private readonly HostRing _ring;
    private readonly MegakernelOptions _options;

    /// <summary>Where this host logs (<see cref="MegakernelOptions.Logger"/>, or nowhere).</summary>
    internal ILogger Logger => _log;

    /// <summary>Whether an opcode is a warp-wide handler's (the dispatcher's answer, taken at start).</summary>
    private Func<uint, bool> _isGroupOpcode = static _ => false;
    private readonly Heartbeat _heartbeat;
    private readonly HostMeter _meter;
    private readonly Action<long, int> _onPublished;
    private readonly ILogger _log;
    private readonly TaskCompletionSource<Task<ShutdownReport>> _shutdown = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _state; // 0 running, 1 shutting down, 2 stopped
    private int _calls; // public calls inside the host (they touch its memory)

    private MegakernelHost(MegakernelDefinition definition, IMegakernelBackend backend, MegakernelOptions options)
    {
        Definition = definition;
        _backend = backend;
        _options = options;
        _meter = new HostMeter(definition.Template, ReadCounters);
        _ring = new HostRing(backend.Ring, backend.Control, backend.GroupDone, backend.IoCompleted, options.SlotCount, options.CreatePriorityGate(), _meter)
        {
            ExpressWrites = backend.Kind == Backend.Cuda && options.Mode == KernelMode.Persistent && options.MaxClaim is null,
        };
        _onPublished = backend.OnPublished;
        _log = options.Logger ?? NullLogger.Instance;
        _heartbeat = new Heartbeat(&backend.Control[ControlWord.Heartbeat], WatchPeriod, Watch);
    }

    /// <summary>The megakernel being run (its generated definition).</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public MegakernelDefinition Definition { get; }

    /// <summary>The megakernel's name: its class, with namespace.</summary>
    public string Name => Definition.Name;

    /// <summary>The backend in use (never <see cref="Backend.Auto"/>).</summary>
    public Backend Backend => _backend.Kind;

    /// <summary>What runs where, in words.</summary>
    public string Description => _backend.Description;

    /// <summary>Slots in the ring.</summary>
    public int SlotCount => _ring.SlotCount;

    /// <summary>Whether a CUDA device and driver are present (what <see cref="Backend.Auto"/> checks).</summary>
    public static bool IsCudaAvailable() => OperatingSystem.IsLinux() && CudaBackend.IsAvailable();

    /// <summary>The CUDA devices of this machine, by index; empty without a CUDA driver or device (never throws for that).</summary>
    public static System.Collections.Generic.IReadOnlyList<GpuDevice> CudaDevices() => OperatingSystem.IsLinux() ? CudaBackend.Devices() : [];

    /// <summary>
    /// Starts <paramref name="definition"/> (the generated <c>X.Definition</c>) specialised to its
    /// dispatcher. The generated <c>X.StartAsync</c> calls this.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static Task<MegakernelHost> StartAsync<TDispatcher>(MegakernelDefinition definition, MegakernelOptions? options = null, CancellationToken cancellationToken = default)
        where TDispatcher : struct, IMegakernelDispatcher
    {
        ArgumentNullException.ThrowIfNull(definition);
        options ??= new MegakernelOptions();
        options.Validate();
        return Task.Run(() => Start<TDispatcher>(definition, options), cancellationToken);
    }

    private static MegakernelHost Start<TDispatcher>(MegakernelDefinition definition, MegakernelOptions options)
        where TDispatcher : struct, IMegakernelDispatcher
    {
        ILogger log = options.Logger ?? NullLogger.Instance;
        Backend backend = options.Backend;
        if (backend == Backend.Auto)
        {
            backend = IsCudaAvailable() ? Backend.Cuda : Backend.Managed;
            VyreLog.BackendChosen(log, backend, backend == Backend.Cuda ? "a CUDA device is present" : "no CUDA device found");
        }

        options.CheckLanesFor(backend);
        IMegakernelBackend created = backend switch
        {
            Backend.Cuda when OperatingSystem.IsLinux() => CudaBackend.Create(definition, options, default(TDispatcher).HasGroupHandlers),
            Backend.Cuda => throw new PlatformNotSupportedException("Backend.Cuda runs on Linux only (the ring is host memory mapped into the GPU through the Linux driver). Fix: use Backend.Managed here."),
            Backend.IlgpuCpu => new IlgpuCpuBackend<TDispatcher>(options),
            _ => new ManagedBackend<TDispatcher>(options),
        };

        MegakernelHost? host = null;
        try
        {
            host = new MegakernelHost(definition, created, options)
            {
                _isGroupOpcode = static opcode => default(TDispatcher).IsGroupOpcode(opcode),
                _startAgain = next => StartAsync<TDispatcher>(definition, next),
            };
            created.Start(options.WaitTimeout);
            VyreLog.Started(log, definition.Name, created.Description, options.SlotCount);
            return host;
        }
        catch
        {
            host?._heartbeat.Dispose(); // Before the control block it beats in is freed.
            host?._meter.Dispose();
            created.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Stops the megakernel (see <see cref="ShutdownAsync"/>) and never throws: a device side that did not stop is
    /// reported through <see cref="MegakernelOptions.Logger"/> and its memory is left allocated rather than freed
    /// under it. A second call does nothing.
    /// </summary>
    public ValueTask DisposeAsync() => new(ShutdownAsync().ContinueWith(
        shutdown =>
        {
            if (shutdown.IsFaulted)
            {
                VyreLog.ShutdownFailed(_log, Definition.Name, shutdown.Exception?.GetBaseException().Message ?? "unknown");
            }
            else if (shutdown.Result.Clean)
            {
                VyreLog.ShutDown(_log, shutdown.Result.Summary);
            }
            else
            {
                VyreLog.ShutDownUnclean(_log, shutdown.Result.Summary);
            }
        },
        CancellationToken.None,
        TaskContinuationOptions.ExecuteSynchronously,
        TaskScheduler.Default));

    /// <summary>
    /// Stops the megakernel: runs a SHUTDOWN slot after the outstanding ones (or sets the stop word when the ring is
    /// full), waits (bounded by <see cref="MegakernelOptions.WaitTimeout"/>) for the device side to exit, ends every
    /// waiter, and frees the buffers only when nothing can touch them any more: the device side exited and no call
    /// is inside the host. Otherwise (a handler that never returns) the memory is kept allocated, deliberately, and
    /// the report says so. Every call returns the same report; calls made after the first throw
    /// <see cref="ObjectDisposedException"/>.
    /// </summary>
    public Task<ShutdownReport> ShutdownAsync()
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) == 0)
        {
            _shutdown.TrySetResult(Task.Run(Shutdown));
        }

        return _shutdown.Task.Unwrap();
    }

    private ShutdownReport Shutdown()
    {
        DateTime deadline = DateTime.UtcNow + _options.WaitTimeout;

        // A device side that already exited (a stale heartbeat) or was lost has nothing left to run the SHUTDOWN slot;
        // asked here too, since the watch looks only once a period.
        bool shutdownSlotRan;
        string? lost;
        lock (_lossLock)
        {
            lost = _deviceLoss ?? AskDevice()?.Reason;
            shutdownSlotRan = lost is not null
                || Volatile.Read(ref _backend.Control[ControlWord.KernelState]) == (uint)KernelState.Exited
                || RunShutdownSlot(deadline, ref lost)
                || lost is not null;
        }

        // The stop word is the backstop when the SHUTDOWN slot could not run.
        _backend.RequestStop();
        bool exited = _backend.WaitForExit(lost is null ? Remaining(deadline, TimeSpan.FromSeconds(1)) : TimeSpan.FromSeconds(1)); // A lost device runs nothing more.

        // Waiters stop waiting: what the device side did not finish now never will.
        _ring.ReleaseWaiters();
        _heartbeat.Dispose();
        _meter.Dispose();
        StopLoadMiss();
        Volatile.Write(ref _state, 2);
        _pendingAdded.Set();
        Thread? pump;
        lock (_pumpLock)
        {
            pump = _pump;
        }

        bool pumpStopped = pump is null || pump.Join(Remaining(deadline, TimeSpan.FromSeconds(1)));
        if (pumpStopped)
        {
            CompletePending();
        }

        bool drained = WaitForCalls(Remaining(deadline, TimeSpan.FromSeconds(1)));
        bool release = exited && drained && pumpStopped;
        if (release)
        {
            _backend.Dispose();
        }

        string summary = Describe(shutdownSlotRan, exited, drained && pumpStopped);
        return new ShutdownReport(shutdownSlotRan, exited, release, lost is null ? summary : $"{summary} Its device had been lost: {lost}.");
    }

    private string Describe(bool shutdownSlotRan, bool exited, bool callsEnded)
    {
        if (shutdownSlotRan && exited && callsEnded)
        {
            return $"{Definition.Name} on {Backend} stopped cleanly.";
        }

        string why = !exited
            ? $"the {Backend} device side did not exit within {_options.WaitTimeout.TotalSeconds:0.#} s (a handler that does not return?)"
            : !callsEnded ? "calls into the host were still running at the deadline" : "the SHUTDOWN slot did not run (the ring was full or the device side had stopped)";
        string memory = exited && callsEnded ? "its memory was freed" : "its memory is kept allocated so nothing can touch freed memory";
        return $"{Definition.Name} on {Backend} did not stop cleanly: {why}; {memory}. Fix: look for a handler that does not return; a CUDA kernel exits by itself once the heartbeat is stale, and the Managed workers once the handler returns.";
    }

    /// <summary>
    /// Publishes a SHUTDOWN slot if the ring has room and waits (bounded) for it; false when it did not run. The device is
    /// asked once a watch period whether it failed meanwhile (the watch itself is off while the host shuts down): a lost
    /// device ends the wait at once, with <paramref name="lost"/> saying why, instead of at the deadline.
    /// </summary>
    private bool RunShutdownSlot(DateTime deadline, ref string? lost)
    {
        var request = new SlotRequest(Opcodes.Shutdown) { Priority = SlotPriority.Critical };
        if (!_ring.TryPublishOwned(new ReadOnlySpan<SlotRequest>(ref request), _onPublished, out long sequence))
        {
            return false;
        }

        bool ran;
        while (!(ran = _ring.SpinUntilComplete(sequence, Min(deadline, DateTime.UtcNow + WatchPeriod))) && DateTime.UtcNow < deadline)
        {
            if (AskDevice() is { } fault)
            {
                lost = fault.Reason;
                return false;
            }
        }

        if (ran)
        {
            _ring.Take(sequence);
        }

        return ran;
    }

    private static DateTime Min(DateTime a, DateTime b) => a < b ? a : b;

    /// <summary>
    /// Enters a call that touches the host's memory (<c>using CallScope call = EnterCall();</c>); throws
    /// <see cref="ObjectDisposedException"/> once the host is shutting down. Shutdown frees nothing while a call is inside.
    /// </summary>
    internal CallScope EnterCall()
    {
        Interlocked.Increment(ref _calls);
        if (Volatile.Read(ref _state) != 0)
        {
            Interlocked.Decrement(ref _calls);
            ThrowIfStopped();
        }

        return new CallScope(this);
    }

    /// <summary>Enters a call that ends on whatever thread calls <see cref="ExitCall"/>; throws as <see cref="EnterCall"/> does.</summary>
    private void EnterLongCall() => _ = EnterCall(); // The scope is not disposed: its count stays until ExitCall.

    private void ExitCall() => Interlocked.Decrement(ref _calls);

    /// <summary>A call inside the host, from <see cref="EnterCall"/> to <see cref="Dispose"/>.</summary>
    internal readonly ref struct CallScope
    {
        private readonly MegakernelHost _host;

        public CallScope(MegakernelHost host) => _host = host;

        public void Dispose() => _host.ExitCall();
    }

    /// <summary>Waits (bounded) until no call is inside the host.</summary>
    private bool WaitForCalls(TimeSpan timeout)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        var spin = new SpinWait();
        while (Volatile.Read(ref _calls) != 0)
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            spin.SpinOnce();
        }

        return true;
    }

    private static TimeSpan Remaining(DateTime deadline, TimeSpan atLeast)
    {
        TimeSpan left = deadline - DateTime.UtcNow;
        return left > atLeast ? left : atLeast;
    }

    /// <summary>The device side's state word, readable after shutdown too when the memory was kept (for tests).</summary>
    internal KernelState DeviceKernelState => (KernelState)Volatile.Read(ref _backend.Control[ControlWord.KernelState]);

    /// <summary>The ring, for the io loops (streams and LOAD_MISS), which publish and finish slots through it.</summary>
    internal HostRing Ring => _ring;

    /// <summary>What the backend does once slots are published (its doorbell), for publishers that go to <see cref="Ring"/> directly.</summary>
    internal Action<long, int> OnPublished => _onPublished;

    /// <summary>The host's instruments (<see cref="MegakernelMetrics"/>).</summary>
    internal HostMeter Meter => _meter;

    /// <summary>Control word <paramref name="word"/> of the host's control block, for tests.</summary>
    internal ref uint ControlWordOf(int word) => ref _backend.Control[word];

    /// <summary>The express line's entries (<see cref="ControlWord.ExpressFirst"/>), for tests.</summary>
    internal Span<ulong> ExpressEntries => new((ulong*)(_backend.Control + ControlWord.ExpressFirst), ControlWord.ExpressEntries);

    /// <summary>Slots the device side ran from the express line, as last republished (<see cref="ControlWord.ExpressServed"/>), for tests.</summary>
    internal uint ExpressServed => Volatile.Read(ref _backend.Control[ControlWord.ExpressServed]);

    /// <summary>Lone slots the device side served from its first read after the previous answer, as last republished (<see cref="ControlWord.FirstReadServed"/>), for benchmarks and tests.</summary>
    internal uint FirstReadServed => Volatile.Read(ref _backend.Control[ControlWord.FirstReadServed]);

    /// <summary>The completion-group words the device side writes (<see cref="CompletionGroups"/>), for tests that make them lie.</summary>
    internal Span<uint> GroupDoneWords => new(_backend.GroupDone, CompletionGroups.GroupCountFor(SlotCount));

    /// <summary>Benchmark only: see <see cref="HostRing.RerunForBenchmark"/>.</summary>
    internal long RerunRingForBenchmark(int count) => _ring.RerunForBenchmark(count);

    /// <summary>Tests: stops the device side (as a loss would) without shutting the host down; true once it exited.</summary>
    internal bool StopDeviceSide(TimeSpan timeout)
    {
        _backend.RequestStop();
        return _backend.WaitForExit(timeout);
    }

    /// <summary>Stops the heartbeat, as a host that hangs or dies would: the device side then exits by itself.</summary>
    internal void StopHeartbeat() => _heartbeat.Stop();

    internal void ThrowIfStopped()
    {
        if (Volatile.Read(ref _state) != 0)
        {
            throw new ObjectDisposedException(nameof(MegakernelHost), "The megakernel has been shut down. Fix: start a new host with X.StartAsync; a host cannot be restarted.");
        }
    }
}
