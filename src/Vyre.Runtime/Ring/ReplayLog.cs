using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using Vyre.Internals;

namespace Vyre;

/// <summary>
/// The replay log: every slot a host published, in a binary file (<see cref="MegakernelHost.RecordTo"/>), read back and
/// published again on a host (<see cref="Replay"/>) to reproduce what a megakernel was given. Format (little-endian):
/// a 16-byte header, "VYRL", version 1, 15 (words per record after the sequence), 0; then one 68-byte record per
/// slot: the sequence (8 bytes), opcode, tenant, priority and the twelve argument words. Records are appended as batches
/// are published, so two publishing threads may interleave them; <see cref="Read"/> orders them by sequence.
/// </summary>
public static class ReplayLog
{
    /// <summary>The header's magic, "VYRL".</summary>
    public const uint Magic = 0x4C52_5956;

    /// <summary>The format version this library writes and reads.</summary>
    public const uint Version = 1;

    /// <summary>Bytes of the header.</summary>
    public const int HeaderBytes = 16;

    /// <summary>Words of a record after its 8-byte sequence: opcode, tenant, priority and the arguments.</summary>
    public const int RecordWords = 3 + SlotLayout.ArgumentCount;

    /// <summary>Bytes of one record.</summary>
    public const int RecordBytes = sizeof(long) + (RecordWords * sizeof(uint));

    /// <summary>The records of a log, ordered by sequence.</summary>
    /// <exception cref="InvalidDataException">Not a replay log, another version, or a record cut short; the message says which.</exception>
    public static IReadOnlyList<(long Sequence, SlotRequest Request)> Read(Stream log)
    {
        ArgumentNullException.ThrowIfNull(log);
        Span<byte> header = stackalloc byte[HeaderBytes];
        if (log.ReadAtLeast(header, HeaderBytes, throwOnEndOfStream: false) < HeaderBytes || BinaryPrimitives.ReadUInt32LittleEndian(header) != Magic)
        {
            throw new InvalidDataException("This is not a Vyre replay log (no \"VYRL\" header). Fix: give a file written by MegakernelHost.RecordTo.");
        }

        uint version = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
        uint words = BinaryPrimitives.ReadUInt32LittleEndian(header[8..]);
        if (version != Version || words != RecordWords)
        {
            throw new InvalidDataException($"The replay log is version {version} with {words} words per record; this library reads version {Version} with {RecordWords}. Fix: replay it with the Vyre version that wrote it.");
        }

        var records = new List<(long, SlotRequest)>();
        byte[] record = new byte[RecordBytes];
        Span<uint> w = stackalloc uint[RecordWords];
        while (true)
        {
            int got = log.ReadAtLeast(record, RecordBytes, throwOnEndOfStream: false);
            if (got == 0)
            {
                break;
            }

            if (got < RecordBytes)
            {
                throw new InvalidDataException($"The replay log ends inside record {records.Count} ({got} of {RecordBytes} bytes): it was cut short, perhaps while being written. Fix: replay the records before it (stop recording with Dispose before reading).");
            }

            long sequence = BinaryPrimitives.ReadInt64LittleEndian(record);
            for (int i = 0; i < RecordWords; i++)
            {
                w[i] = BinaryPrimitives.ReadUInt32LittleEndian(record.AsSpan(sizeof(long) + (i * sizeof(uint))));
            }

            records.Add((sequence, new SlotRequest(w[0], w[3..]) { Tenant = w[1], Priority = (SlotPriority)w[2] }));
        }

        return [.. records.OrderBy(r => r.Item1)];
    }

    /// <summary>
    /// Publishes the log's slots on <paramref name="host"/> in sequence order, in batches of at most half its ring, and
    /// returns their results in that order. Tenant and priority words are replayed as recorded (the host's owner may name
    /// any tenant).
    /// </summary>
    public static SlotResult[] Replay(MegakernelHost host, Stream log)
    {
        ArgumentNullException.ThrowIfNull(host);
        SlotRequest[] requests = [.. Read(log).Select(r => r.Request)];
        var results = new SlotResult[requests.Length];
        int batch = Math.Max(1, host.SlotCount / 2);
        for (int at = 0; at < requests.Length; at += batch)
        {
            int count = Math.Min(batch, requests.Length - at);
            host.WaitBatch(host.PublishBatch(requests.AsSpan(at, count)), results.AsSpan(at, count));
        }

        return results;
    }
}

/// <summary>Appends every slot a host publishes to a replay log until disposed (<see cref="MegakernelHost.RecordTo"/>).</summary>
public sealed class ReplayRecorder : IDisposable
{
    private readonly Stream _log;
    private readonly Action<ReplayRecorder> _stopped;
    private readonly Lock _gate = new();
    private bool _disposed;
    private bool _headerWritten;

    internal ReplayRecorder(Stream log, Action<ReplayRecorder> stopped)
    {
        _log = log;
        _stopped = stopped;
    }

    /// <summary>Records written so far.</summary>
    public long Records { get; private set; }

    /// <summary>
    /// Why recording stopped by itself: the stream threw (a full disk, a closed file). Publishing never fails because of
    /// the log: the error is kept here and nothing more is recorded.
    /// </summary>
    public Exception? Failure { get; private set; }

    /// <summary>Writes the header (once, before any record; under the lock).</summary>
    internal void Start()
    {
        lock (_gate)
        {
            WriteHeader();
        }
    }

    private void WriteHeader()
    {
        if (_headerWritten || _disposed)
        {
            return;
        }

        Span<byte> header = stackalloc byte[ReplayLog.HeaderBytes];
        BinaryPrimitives.WriteUInt32LittleEndian(header, ReplayLog.Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], ReplayLog.Version);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], ReplayLog.RecordWords);
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], 0);
        Write(header);
        _headerWritten = true;
    }

    /// <summary>Writes to the log; a stream error stops recording and is kept in <see cref="Failure"/>.</summary>
    private void Write(ReadOnlySpan<byte> bytes)
    {
        try
        {
            _log.Write(bytes);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or NotSupportedException or UnauthorizedAccessException)
        {
            Failure = e;
            _disposed = true;
        }
    }

    /// <summary>Appends one published batch (called by the ring after reserving its sequences, before ringing the doorbell).</summary>
    internal void Record(long first, ReadOnlySpan<SlotRequest> requests)
    {
        byte[] bytes = new byte[requests.Length * ReplayLog.RecordBytes];
        for (int i = 0; i < requests.Length; i++)
        {
            Span<byte> record = bytes.AsSpan(i * ReplayLog.RecordBytes, ReplayLog.RecordBytes);
            BinaryPrimitives.WriteInt64LittleEndian(record, first + i);
            Span<byte> words = record[sizeof(long)..];
            BinaryPrimitives.WriteUInt32LittleEndian(words, requests[i].Opcode);
            BinaryPrimitives.WriteUInt32LittleEndian(words[4..], requests[i].Tenant);
            BinaryPrimitives.WriteUInt32LittleEndian(words[8..], (uint)requests[i].Priority);
            ReadOnlySpan<uint> args = requests[i].Args;
            for (int a = 0; a < args.Length; a++)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(words[(12 + (a * 4))..], args[a]);
            }
        }

        lock (_gate)
        {
            WriteHeader();
            if (!_disposed)
            {
                Write(bytes);
                Records += _disposed ? 0 : requests.Length;
            }
        }
    }

    /// <summary>Stops recording and flushes the log (the stream stays open: it is the caller's).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            try
            {
                _log.Flush();
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                Failure ??= e;
            }
        }

        _stopped(this);
    }
}
