using System;
using System.Diagnostics;
using System.Threading;
using Vyre.Internals;

namespace Vyre.Backends.Managed;

/// <summary>
/// CPU worker threads running the generated dispatcher (through <see cref="SlotExecutor"/>) over the
/// ring protocol. Workers claim up to <see cref="ClaimChunk"/> sequences with one compare-exchange, run
/// them in order, then publish their counters once per chunk. Idle workers spin briefly, then park
/// until the host publishes.
/// </summary>
internal sealed unsafe class ManagedBackend<TDispatcher> : CpuMemoryBackend
    where TDispatcher : struct, IMegakernelDispatcher
{
    /// <summary>Most sequences a worker claims at once.</summary>
    public const int ClaimChunk = 64;

    /// <summary>How long an idle worker spins before it parks: long enough for a round trip's next slot, short enough to leave the cores to the host's threads (the io thread of a stream).</summary>
    private static readonly TimeSpan s_spinBeforePark = TimeSpan.FromMicroseconds(50);

    private readonly Thread[] _workers;
    private readonly ManualResetEventSlim _wake = new(false);
    private long _claim;
    private int _parked;
    private int _running;

    public ManagedBackend(MegakernelOptions options)
        : base(CreateContext())
    {
        AllocateAll(options, heartbeatTimeout: ulong.MaxValue, groupWarps: 0); // Managed teams keep their own scratch.
        int lanes = options.Lanes ?? Environment.ProcessorCount;
        _workers = new Thread[lanes];
        for (int i = 0; i < lanes; i++)
        {
            _workers[i] = new Thread(Work) { IsBackground = true, Name = "vyre-worker-" + i };
        }
    }

    public override Backend Kind => Backend.Managed;

    public override string Description => $"Managed: {_workers.Length} CPU worker thread(s)";

    public override void Start(TimeSpan timeout)
    {
        Control[ControlWord.KernelState] = (uint)KernelState.Running;
        _running = _workers.Length;
        foreach (Thread worker in _workers)
        {
            worker.Start();
        }
    }

    public override void OnPublished(long first, int count)
    {
        if (Volatile.Read(ref _parked) > 0)
        {
            _wake.Set();
        }
    }

    public override void RequestStop()
    {
        base.RequestStop();
        _wake.Set();
    }

    public override bool WaitForExit(TimeSpan timeout)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        foreach (Thread worker in _workers)
        {
            if (!worker.Join(Remaining(deadline)))
            {
                return false;
            }
        }

        return true;
    }

    private void Work()
    {
        // A warp-wide slot runs on a team of this worker's (lane 0) and 31 parked helper threads, made only when needed.
        using WarpTeam<TDispatcher>? team = default(TDispatcher).HasGroupHandlers ? new WarpTeam<TDispatcher>(Accelerator, Thread.CurrentThread.Name ?? "vyre-worker") : null;
        WarpTeam<TDispatcher>.Current = team;
        MegakernelBuffers buffers = Buffers;
        uint* control = Control;
        Span<uint> metrics = stackalloc uint[ControlWord.MetricCount];
        long idleSince = 0;
        while (true)
        {
            long claim = Volatile.Read(ref _claim);
            int available = (int)(Volatile.Read(ref control[ControlWord.PublishCursor]) - (uint)claim);
            if (available > 0)
            {
                int take = Math.Min(available, Math.Min(ClaimChunk, buffers.MaxClaim));
                if (Interlocked.CompareExchange(ref _claim, claim + take, claim) != claim)
                {
                    continue;
                }

                idleSince = 0;
                for (long sequence = claim; sequence < claim + take; sequence++)
                {
                    metrics[SlotExecutor.ExecuteOnCpu<ManagedDispatcher<TDispatcher>>(buffers, (uint)sequence)]++;
                }

                CompletionGroups.Add(buffers, (uint)claim, (uint)take);
                Flush(control, metrics, (uint)take);
                continue;
            }

            if (Volatile.Read(ref control[ControlWord.Shutdown]) != 0 || buffers.State.Read(DeviceStateWord.Stop) != 0)
            {
                break;
            }

            long now = Stopwatch.GetTimestamp();
            idleSince = idleSince == 0 ? now : idleSince;
            if (Stopwatch.GetElapsedTime(idleSince, now) < s_spinBeforePark)
            {
                Thread.SpinWait(20);
                continue;
            }

            // Announce the park, then look once more: a publish that missed the announcement is seen here.
            Interlocked.Increment(ref _parked);
            if (Volatile.Read(ref control[ControlWord.PublishCursor]) == (uint)Volatile.Read(ref _claim))
            {
                _wake.Wait(1);
                _wake.Reset();
            }

            Interlocked.Decrement(ref _parked);
        }

        if (Interlocked.Decrement(ref _running) == 0)
        {
            uint stop = buffers.State.Read(DeviceStateWord.Stop);
            control[ControlWord.ExitReason] = stop != 0 ? stop : (uint)KernelExitReason.HostShutdown;
            Volatile.Write(ref control[ControlWord.KernelState], (uint)KernelState.Exited);
        }
    }

    /// <summary>Adds a chunk's counters to the control block (CPU atomics are fine: this is host memory).</summary>
    private void Flush(uint* control, Span<uint> metrics, uint done)
    {
        for (int i = 0; i < metrics.Length; i++)
        {
            if (metrics[i] != 0)
            {
                Interlocked.Add(ref control[ControlWord.OpcodeMetricsFirst + i], metrics[i]);
                metrics[i] = 0;
            }
        }

        Volatile.Write(ref control[ControlWord.Epoch], Buffers.State.Read(DeviceStateWord.Epoch));
        Interlocked.Add(ref control[ControlWord.DoneCount], done);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _wake.Dispose();
        }

        base.Dispose(disposing);
    }
}
