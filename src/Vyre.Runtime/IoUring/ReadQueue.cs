using System;
using System.Collections.Generic;
using Microsoft.Extensions.Logging;
using Vyre.Logging;
using static Vyre.IoUring.IoUringNative;

namespace Vyre.IoUring;

/// <summary>A read of a <see cref="ReadQueue{TRead}"/> has ended: <paramref name="got"/> bytes arrived (at most the length asked), or <paramref name="errno"/> says why not.</summary>
/// <remarks>With errno 0, fewer bytes than asked means the file ended there.</remarks>
internal delegate void ReadCompleted<TRead>(TRead read, int got, int errno);

/// <summary>
/// The one read loop under both io loops (streaming and LOAD_MISS): reads of files in its <see cref="Files"/> table
/// into one region of memory, queued on a read engine (<see cref="ReadEngine"/>: io_uring READ_FIXED, or pread), each
/// named by user_data <c>index + 1</c> of its entry so completions match in any order. It retries EINTR and EAGAIN,
/// continues short reads where they stopped, rounds O_DIRECT lengths up to the alignment (a short unaligned O_DIRECT read
/// is the file's end) and reopens a file buffered when its file system refuses O_DIRECT at the first read, and ends
/// every read exactly once through <see cref="ReadCompleted{TRead}"/>: whole, at the file's end, failed, or cancelled.
/// Only the io thread calls it, except <see cref="Files"/>, which is thread-safe.
/// </summary>
/// <typeparam name="TRead">What the caller keeps with a read (its chunk, its request).</typeparam>
internal sealed unsafe class ReadQueue<TRead> : IDisposable
{
    /// <summary>Largest fixed buffer io_uring registers: a larger region is registered in pieces of this size.</summary>
    internal const long FixedBufferBytes = 1L << 30;

    private readonly IReadEngine _engine;
    private readonly Entry[] _entries;
    private readonly Stack<int> _free = new();
    private readonly nint _memory;
    private readonly long _memoryBytes;
    private readonly bool _pinned;
    private readonly bool _bufferedInWorker;

    /// <param name="reads">Which engine reads (<see cref="MegakernelOptions.IoReads"/>).</param>
    /// <param name="depth">Reads in flight at most.</param>
    /// <param name="files">Files the table holds at most.</param>
    /// <param name="sqPoll">io_uring's kernel submission poller (<see cref="Streaming.StreamOptions.SqPoll"/>).</param>
    /// <param name="bufferedInWorker">
    /// Hand page-cache reads to io_uring's workers (IOSQE_ASYNC), in parallel, instead of copying them inline at submit:
    /// right for a stream of many chunks; wrong for single reads waited on at once (LOAD_MISS).
    /// </param>
    /// <param name="memory">Where reads may go: registered (in pieces of at most 1 GiB) for READ_FIXED.</param>
    /// <param name="bytes">Its length.</param>
    /// <param name="memoryName">What the memory is, for the log when the locked-memory limit refuses to pin it.</param>
    /// <param name="log">Where fallbacks are said.</param>
    /// <exception cref="IoUringException">io_uring is unavailable or lacks READ_FIXED (and <paramref name="reads"/> asks for it).</exception>
    public ReadQueue(IoReads reads, int depth, int files, bool sqPoll, bool bufferedInWorker, nint memory, long bytes, string memoryName, ILogger log)
        : this(ReadEngine.Create(reads, depth * 2, sqPoll, log), depth, files, bufferedInWorker, memory, bytes, memoryName, log)
    {
    }

    /// <summary>A queue over <paramref name="engine"/> (of at least twice <paramref name="depth"/> entries), which it owns from here on.</summary>
    internal ReadQueue(IReadEngine engine, int depth, int files, bool bufferedInWorker, nint memory, long bytes, string memoryName, ILogger log)
    {
        _engine = engine;
        try
        {
            _memory = memory;
            _memoryBytes = Math.Max(bytes, 1);
            int pieces = (int)((_memoryBytes + FixedBufferBytes - 1) / FixedBufferBytes);
            var buffers = new (nint, nuint)[pieces];
            for (int i = 0; i < pieces; i++)
            {
                long start = i * FixedBufferBytes;
                buffers[i] = (memory + (nint)start, (nuint)Math.Min(FixedBufferBytes, _memoryBytes - start));
            }

            _pinned = _engine.TryRegisterBuffers(buffers);
            if (!_pinned)
            {
                VyreLog.LockedMemoryFallback(log, IoUringException.LockedMemoryFallback(memoryName, bytes));
            }

            Files = new IoFileTable(_engine, files, log);
        }
        catch
        {
            _engine.Dispose();
            throw;
        }

        _bufferedInWorker = bufferedInWorker;
        _entries = new Entry[depth];
        for (int i = depth - 1; i >= 0; i--)
        {
            _free.Push(i);
        }
    }

    /// <summary>What reads, in words, e.g. "io_uring READ_FIXED" or "pread, unpinned (RLIMIT_MEMLOCK)".</summary>
    public string Description => _pinned ? _engine.Description : _engine.Description + ", unpinned (RLIMIT_MEMLOCK)";

    /// <summary>The files reads are of.</summary>
    public IoFileTable Files { get; }

    /// <summary>Reads started and not yet ended.</summary>
    public int InFlight => _entries.Length - _free.Count;

    /// <summary>Whether another read may start.</summary>
    public bool HasRoom => _free.Count > 0;

    /// <summary>
    /// Starts reading <paramref name="length"/> bytes at <paramref name="offset"/> of <paramref name="file"/> into
    /// <paramref name="address"/>, inside the queue's memory. The read takes over the caller's hold on the file
    /// (<see cref="IoFileTable.TryHold(IoFile)"/>) and releases it when it ends. An O_DIRECT read asks for the length
    /// rounded up to the alignment: the memory past <paramref name="length"/> up to it must be the caller's.
    /// </summary>
    public void Start(IoFile file, long offset, nint address, int length, TRead read)
    {
        if (!_free.TryPop(out int index))
        {
            throw new InvalidOperationException("No read entry is free; callers check HasRoom first. This is a bug in Vyre.");
        }

        _entries[index] = new Entry { File = file, Offset = offset, Address = address, Length = length, Read = read, InUse = true };
        Queue(index);
    }

    /// <summary>
    /// Hands queued reads to the engine and, with reads in flight, waits up to <paramref name="wait"/> for one to complete;
    /// then takes every completion. True when any arrived.
    /// </summary>
    public bool Poll(TimeSpan wait, ReadCompleted<TRead> completed)
    {
        if (InFlight == 0)
        {
            return false;
        }

        _engine.Submit(waitFor: 1, wait);
        bool any = false;
        while (_engine.TryReap(out ulong userData, out int result))
        {
            any = true;
            Completed((int)userData - 1, result, completed);
        }

        return any;
    }

    /// <summary>
    /// Cancels every read in flight and takes their completions for up to <paramref name="bound"/>: a read that completed
    /// first ends with what arrived, the rest with ECANCELED; any still unanswered at the bound ends with ECANCELED too.
    /// </summary>
    public void Cancel(TimeSpan bound, ReadCompleted<TRead> completed)
    {
        var targets = new List<ulong>();
        for (int i = 0; i < _entries.Length; i++)
        {
            if (_entries[i].InUse)
            {
                targets.Add((ulong)i + 1);
            }
        }

        try
        {
            _engine.CancelAndReap([.. targets], InFlight, bound, (userData, result) =>
            {
                int index = (int)userData - 1;
                ref Entry entry = ref _entries[index];
                End(index, result < 0 ? entry.Got : (int)Math.Min((long)entry.Got + result, entry.Length), result < 0 ? ECANCELED : 0, completed);
            });
        }
        catch (IoUringException)
        {
            // The ring failed: what it did not answer ends below.
        }

        for (int i = 0; i < _entries.Length; i++)
        {
            if (_entries[i].InUse)
            {
                End(i, _entries[i].Got, ECANCELED, completed);
            }
        }
    }

    /// <summary>Closes the engine and the files the table opened. Call after the reads have ended (<see cref="Cancel"/>).</summary>
    public void Dispose()
    {
        // The table first: once its slots are cleared, a file removed meanwhile never calls the engine after it closed.
        Files.Dispose();
        _engine.Dispose();
    }

    private void Queue(int index)
    {
        ref Entry entry = ref _entries[index];
        int remaining = entry.Length - entry.Got;
        entry.QueuedDirect = entry.File.Direct;
        uint length = (uint)(entry.QueuedDirect ? RegularFiles.RoundUpToDirect(remaining) : remaining);
        nint address = entry.Address + entry.Got;
        long at = address - _memory;
        long piece = at / FixedBufferBytes;
        bool inOnePiece = at >= 0 && at + length <= _memoryBytes && (length == 0 || (at + length - 1) / FixedBufferBytes == piece);
        int buffer = _pinned && inOnePiece ? (int)piece : -1; // A read across two pieces goes as a plain READ.
        if (!_engine.TryQueueRead(entry.File.Slot, fixedFile: true, address, length, (ulong)(entry.Offset + entry.Got), buffer, (ulong)index + 1, inWorker: _bufferedInWorker && !entry.QueuedDirect))
        {
            throw new InvalidOperationException("The io_uring submission ring is full although reads in flight are bounded by its depth; this is a bug in Vyre.");
        }
    }

    private void Completed(int index, int result, ReadCompleted<TRead> completed)
    {
        ref Entry entry = ref _entries[index];
        if (result == -EINVAL && entry.QueuedDirect && (!entry.File.Direct || Files.TryReopenBuffered(entry.File)))
        {
            // The file system took O_DIRECT at open but not this read: the whole file goes buffered, and every read of it
            // that was in flight direct (refused the same way) goes again buffered.
            Queue(index);
        }
        else if (result is -EINTR or -EAGAIN)
        {
            Queue(index);
        }
        else if (result < 0)
        {
            End(index, entry.Got, -result, completed);
        }
        else
        {
            bool end = result == 0 || (entry.File.Direct && result % RegularFiles.DirectAlignment != 0);
            entry.Got = (int)Math.Min((long)entry.Got + result, entry.Length);
            if (end || entry.Got == entry.Length)
            {
                End(index, entry.Got, 0, completed);
            }
            else
            {
                Queue(index); // A short read: continue where it stopped.
            }
        }
    }

    private void End(int index, int got, int errno, ReadCompleted<TRead> completed)
    {
        Entry entry = _entries[index];
        _entries[index] = default;
        _free.Push(index);
        Files.Release(entry.File);
        completed(entry.Read, got, errno);
    }

    private struct Entry
    {
        public IoFile File;
        public long Offset;
        public nint Address;
        public int Length;
        public int Got;
        public TRead Read;
        public bool InUse;

        /// <summary>Whether the read in flight was queued with O_DIRECT (its file may have gone buffered since).</summary>
        public bool QueuedDirect;
    }
}
