using System;
using System.Collections.Generic;
using System.Threading;
using Vyre.Backends;
using Vyre.Internals;

namespace Vyre;

/// <summary>Telemetry: counters from the control block and the debug log.</summary>
public sealed unsafe partial class MegakernelHost
{
    /// <summary>
    /// Records every slot published from now on (by any caller, streams included) to <paramref name="log"/> until the
    /// returned recorder is disposed: a replay log (<see cref="ReplayLog"/>) that <see cref="ReplayLog.Replay"/> publishes
    /// again on a host, to reproduce what this one was given. Costs one null check per publish while off; while on, a
    /// lock and a stream write per batch. A stream error stops the recording (<see cref="ReplayRecorder.Failure"/>),
    /// never a publish. The stream stays the caller's.
    /// </summary>
    /// <exception cref="ArgumentException">The stream is not writable.</exception>
    /// <exception cref="InvalidOperationException">A recording is running already.</exception>
    public ReplayRecorder RecordTo(System.IO.Stream log)
    {
        ArgumentNullException.ThrowIfNull(log);
        if (!log.CanWrite)
        {
            throw new ArgumentException("The replay log's stream is not writable. Fix: pass a stream opened for writing, e.g. File.Create(path).", nameof(log));
        }

        using CallScope call = EnterCall();
        var recorder = new ReplayRecorder(log, _ring.Detach);
        if (!_ring.TryAttach(recorder))
        {
            throw new InvalidOperationException("A replay log is being recorded on this host already. Fix: dispose its ReplayRecorder first.");
        }

        recorder.Start();
        return recorder;
    }

    /// <summary>
    /// Reads every ring slot's status, opcode, tenant and priority, and the sequence published there last, with the
    /// host's and device's counters (<see cref="RingSnapshot"/>; <c>ToString()</c> lists the unfinished slots): for a
    /// slot that does not complete. Reads host memory only; safe while the ring runs, but not one atomic picture.
    /// </summary>
    public RingSnapshot RingSnapshot()
    {
        using CallScope call = EnterCall();
        long published = _ring.Published;
        int count = _ring.SlotCount;
        var slots = new SlotSnapshot[count];
        for (int slot = 0; slot < count; slot++)
        {
            uint* words = _backend.Ring + ((long)slot * SlotLayout.WordCount);
            long sequence = published <= slot ? -1 : published - 1 - ((published - 1 - slot) % count);
            slots[slot] = new SlotSnapshot(
                slot,
                sequence,
                (SlotState)Volatile.Read(ref words[SlotLayout.Status]),
                Volatile.Read(ref words[SlotLayout.Opcode]),
                Volatile.Read(ref words[SlotLayout.Tenant]),
                (SlotPriority)Volatile.Read(ref words[SlotLayout.Priority]));
        }

        uint* control = _backend.Control;
        return new RingSnapshot(DateTime.UtcNow, published, _ring.Outstanding, Volatile.Read(ref control[ControlWord.DoneCount]), (KernelState)Volatile.Read(ref control[ControlWord.KernelState]), slots);
    }

    /// <summary>A snapshot of the megakernel's counters and debug log.</summary>
    public TelemetrySnapshot Telemetry()
    {
        using CallScope call = EnterCall();
        uint[] metrics = ReadMetrics();
        uint* control = _backend.Control;

        // A lost device's memory cannot be read: its log reads as empty, its counters as last republished.
        uint[] log = new uint[DebugLogLayout.WordCount];
        if (_deviceLoss is null)
        {
            _backend.Read(DeviceRegion.DebugLog, 0, log);
        }

        uint written = Math.Min(log[DebugLogLayout.Cursor], DebugLogLayout.Capacity);
        var records = new List<DebugLogRecord>((int)written);
        for (int i = 0; i < written; i++)
        {
            int at = DebugLogLayout.FirstRecord + (i * DebugLogLayout.RecordWords);
            records.Add(new DebugLogRecord(log[at], log[at + 1], log[at + 2], log[at + 3]));
        }

        return new TelemetrySnapshot(
            Backend,
            (KernelState)Volatile.Read(ref control[ControlWord.KernelState]),
            (KernelExitReason)Volatile.Read(ref control[ControlWord.ExitReason]),
            _ring.Published,
            Volatile.Read(ref control[ControlWord.DoneCount]),
            Volatile.Read(ref control[ControlWord.Epoch]),
            metrics,
            records,
            log[DebugLogLayout.Cursor] - written,
            Interlocked.Read(ref _hostBytesCopied),
            Volatile.Read(ref _loadMiss)?.Requests ?? 0,
            Volatile.Read(ref _loadMiss)?.BytesRead ?? 0)
        {
            KernelOrigin = _backend.KernelLoad.Origin,
            KernelLoadTime = _backend.KernelLoad.Elapsed,
        };
    }

    /// <summary>The counters the meter's observable instruments report; null once the host is shutting down.</summary>
    private HostCounters? ReadCounters()
    {
        try
        {
            using CallScope call = EnterCall();
            return new HostCounters(_ring.PublishedByClass(), _ring.Outstanding, ReadMetrics());
        }
        catch (ObjectDisposedException)
        {
            return null;
        }
    }

    /// <summary>The per-ordinal completion counters, brought up to date first; called inside a <see cref="CallScope"/>.</summary>
    private uint[] ReadMetrics()
    {
        if (_deviceLoss is null)
        {
            _backend.RefreshCounters();
        }

        uint[] metrics = new uint[ControlWord.MetricCount];
        for (int i = 0; i < metrics.Length; i++)
        {
            metrics[i] = Volatile.Read(ref _backend.Control[ControlWord.OpcodeMetricsFirst + i]);
        }

        return metrics;
    }
}

/// <summary>One PRINTF record.</summary>
public readonly record struct DebugLogRecord(uint FormatId, uint A1, uint A2, uint SlotIndex);

/// <summary>
/// Counters of a running megakernel. <see cref="DoneCount"/>, <see cref="Epoch"/> and <see cref="OpcodeMetrics"/>
/// are the control words the device side publishes; on CUDA the forwarder republishes them while it
/// polls, so they may trail the slots by a moment (metrics by up to a few thousand loop iterations).
/// <see cref="HostBytesCopied"/> counts the bytes the host copied into the data buffer (<c>WriteData</c>), the
/// only host copy path to what handlers read: streaming and LOAD_MISS read straight into it, so they add none.
/// </summary>
public sealed record TelemetrySnapshot(
    Backend Backend,
    KernelState KernelState,
    KernelExitReason ExitReason,
    long Published,
    uint DoneCount,
    uint Epoch,
    IReadOnlyList<uint> OpcodeMetrics,
    IReadOnlyList<DebugLogRecord> DebugLog,
    uint DebugLogOverflow,
    long HostBytesCopied,
    long LoadMissRequests,
    long LoadMissBytes)
{
    /// <summary>Where the kernel came from: <see cref="KernelOrigin.Embedded"/> when the build step shipped it and nothing was compiled from IL at start.</summary>
    public KernelOrigin KernelOrigin { get; init; }

    /// <summary>How long compiling or loading the kernel took when the host started.</summary>
    public TimeSpan KernelLoadTime { get; init; }
}
