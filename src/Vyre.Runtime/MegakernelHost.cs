using System;
using System.Threading;
using System.Threading.Tasks;

namespace Vyre;

/// <summary>
/// A running megakernel: the device side (a resident CUDA kernel, CPU workers, or ILGPU's CPU
/// accelerator) fed through the ring. Start it with the generated <c>X.StartAsync</c>; submit slots
/// (<c>Submit</c>, <c>SubmitAsync</c>, <see cref="PublishBatch"/>); stop it with
/// <see cref="DisposeAsync"/>. Thread-safe: any number of threads may submit at once.
/// </summary>
public sealed unsafe partial class MegakernelHost : IAsyncDisposable
{
    private readonly IMegakernelBackend _backend;
    private readonly HostRing _ring;
    private readonly MegakernelOptions _options;
    private readonly Heartbeat _heartbeat;
    private readonly Action<long, int> _onPublished;
    private int _state; // 0 running, 1 shutting down, 2 stopped

    private MegakernelHost(MegakernelDefinition definition, IMegakernelBackend backend, MegakernelOptions options)
    {
        Definition = definition;
        _backend = backend;
        _options = options;
        _ring = new HostRing(backend.Ring, backend.Control, options.SlotCount);
        _onPublished = backend.OnPublished;
        _heartbeat = new Heartbeat(&backend.Control[ControlWord.Heartbeat], options.HeartbeatTimeout / 8);
    }

    /// <summary>The megakernel being run.</summary>
    public MegakernelDefinition Definition { get; }

    /// <summary>The backend in use (never <see cref="Backend.Auto"/>).</summary>
    public Backend Backend => _backend.Kind;

    /// <summary>What runs where, in words.</summary>
    public string Description => _backend.Description;

    /// <summary>Slots in the ring.</summary>
    public int SlotCount => _ring.SlotCount;

    /// <summary>Whether a CUDA device and driver are present (what <see cref="Backend.Auto"/> checks).</summary>
    public static bool IsCudaAvailable() => CudaBackend.IsAvailable();

    /// <summary>
    /// Starts <paramref name="definition"/> (the generated <c>X.Definition</c>) specialised to its
    /// dispatcher. The generated <c>X.StartAsync</c> calls this.
    /// </summary>
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
        Action<string> log = options.Log ?? Console.Error.WriteLine;
        Backend backend = options.Backend;
        if (backend == Backend.Auto)
        {
            backend = CudaBackend.IsAvailable() ? Backend.Cuda : Backend.Managed;
            log($"vyre: Backend.Auto chose {backend} ({(backend == Backend.Cuda ? "a CUDA device is present" : "no CUDA device found")}).");
        }

        IMegakernelBackend created = backend switch
        {
            Backend.Cuda => CudaBackend.Create(definition, options),
            Backend.IlgpuCpu => new IlgpuCpuBackend(definition, options),
            _ => new ManagedBackend<TDispatcher>(options),
        };

        MegakernelHost? host = null;
        try
        {
            host = new MegakernelHost(definition, created, options);
            created.Start(options.WaitTimeout);
            log($"vyre: {definition.Name} started. {created.Description}; ring of {options.SlotCount} slots.");
            return host;
        }
        catch
        {
            host?._heartbeat.Dispose(); // Before the control block it beats in is freed.
            created.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Stops the megakernel: waits (bounded) for outstanding slots, runs a SHUTDOWN slot, waits for the
    /// device side to exit, and frees everything. A second call does nothing.
    /// </summary>
    public ValueTask DisposeAsync() =>
        Interlocked.CompareExchange(ref _state, 1, 0) != 0 ? ValueTask.CompletedTask : new ValueTask(Task.Run(Shutdown));

    private void Shutdown()
    {
        DateTime deadline = DateTime.UtcNow + _options.WaitTimeout;

        // A device side that already exited (a stale heartbeat) has nothing left to run the SHUTDOWN slot.
        bool clean = Volatile.Read(ref _backend.Control[ControlWord.KernelState]) == (uint)KernelState.Exited
            || RunShutdownSlot(deadline);

        // The stop word is the backstop when the SHUTDOWN slot could not run.
        _backend.RequestStop();
        bool exited = _backend.WaitForExit(deadline > DateTime.UtcNow ? deadline - DateTime.UtcNow : TimeSpan.FromSeconds(1));
        _heartbeat.Dispose();
        StopLoadMiss();
        Volatile.Write(ref _state, 2);
        CompletePending();
        _backend.Dispose();
        if (!exited || !clean)
        {
            throw new TimeoutException($"The {Backend} device side did not stop cleanly within {_options.WaitTimeout.TotalSeconds:0.#} s (SHUTDOWN slot {(clean ? "ran" : "did not run")}, exit {(exited ? "seen" : "not seen")}). Fix: look for a handler that does not return; a CUDA kernel still exits by itself once the heartbeat is stale.");
        }
    }

    /// <summary>Publishes a SHUTDOWN slot and waits (bounded) for it; false when it did not run in time.</summary>
    private bool RunShutdownSlot(DateTime deadline)
    {
        try
        {
            var request = new SlotRequest(Opcodes.Shutdown);
            long sequence = _ring.Publish(new ReadOnlySpan<SlotRequest>(ref request), deadline, _onPublished);
            return _ring.SpinUntilComplete(sequence, deadline);
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>Stops the heartbeat, as a host that hangs or dies would: the device side then exits by itself.</summary>
    internal void StopHeartbeat() => _heartbeat.Stop();

    private void ThrowIfStopped()
    {
        if (Volatile.Read(ref _state) != 0)
        {
            throw new ObjectDisposedException(nameof(MegakernelHost), "The megakernel has been shut down. Fix: start a new host with X.StartAsync; a host cannot be restarted.");
        }
    }
}
