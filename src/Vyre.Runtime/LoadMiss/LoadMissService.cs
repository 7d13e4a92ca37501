using System;
using Microsoft.Extensions.Logging;
using Vyre.Logging;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using Microsoft.Win32.SafeHandles;
using Vyre.Internals;
using Vyre.IoUring;
using static Vyre.IoUring.IoUringNative;

namespace Vyre.LoadMiss;

/// <summary>
/// The host's io loop for LOAD_MISS: one thread takes requests from the io queue in ticket order (and
/// frees each entry at once, so the 64 entries never wait on the disk), reads them with io_uring
/// READ_FIXED straight into the registered data buffer from registered files, continues short reads,
/// and finishes the asking slot: DONE with result 0 = bytes read, or FAULT with the errno. A registered file
/// is a <see cref="SafeFileHandle"/> (the host's own for a path, the caller's otherwise) with a reference held
/// per read in flight, so its descriptor is never closed, nor its number reused by another file, under a read;
/// a handle closed meanwhile faults its misses with EBADF, and a file id carries a generation, so an id
/// unregistered (even once its slot is reused) names no file. Up to
/// <see cref="IoQueueLayout.Capacity"/> reads are in flight; requests past that wait in the host's list,
/// which holds at most one request per ring slot (each holds its WAIT_IO slot): the ring is the backpressure.
/// </summary>
internal sealed unsafe class LoadMissService : IDisposable
{
    /// <summary>Files that can be registered at once.</summary>
    public const int MaxFiles = 64;

    /// <summary>Bits of a file id that name its slot; the rest is the slot's generation.</summary>
    private const int SlotBits = 6;

    /// <summary>Largest fixed buffer io_uring registers; a larger data buffer is registered in pieces.</summary>
    private const long FixedBufferBytes = 1L << 30;

    private const int Depth = IoQueueLayout.Capacity;
    private static readonly TimeSpan s_reapWait = TimeSpan.FromMilliseconds(0.05);
    private static readonly TimeSpan s_spinFor = TimeSpan.FromMicroseconds(50);
    private static readonly TimeSpan s_yieldFor = TimeSpan.FromMilliseconds(2);

    private readonly uint* _ring;
    private readonly uint* _control;
    private readonly uint* _queue;
    private readonly byte* _data;
    private readonly int _dataBytes;
    private readonly int _slotCount;
    private readonly uint* _ioCompleted;
    private readonly IReadEngine _io;
    private readonly IoFile?[] _files = new IoFile?[MaxFiles];
    private readonly uint[] _generations = new uint[MaxFiles];
    private readonly bool _pinned;
    private readonly Lock _filesGate = new();
    private readonly Request?[] _reads = new Request?[Depth];
    private readonly Stack<int> _free = new();
    private readonly Queue<Request> _waiting = new();
    private readonly Thread _thread;
    private uint _consumed;
    private int _readsInFlight;
    private long _requests;
    private long _bytesRead;
    private readonly HostMeter? _meter;
    private volatile bool _stopping;
    private bool _stopped;

    /// <param name="ring">The ring's first word.</param>
    /// <param name="control">The control block.</param>
    /// <param name="queue">The io queue.</param>
    /// <param name="data">The data buffer reads go into.</param>
    /// <param name="dataBytes">Its length.</param>
    /// <param name="slotCount">Slots in the ring.</param>
    /// <param name="ioCompleted">Per ring slot, the completion mark BATCH_FENCE reads for slots this service finishes.</param>
    /// <param name="reads">The read engine to use (<see cref="IoReads"/>).</param>
    /// <param name="log">Where a fallback to positional reads is reported.</param>
    /// <param name="meter">The host's instruments (bytes read, request durations), or null.</param>
    /// <exception cref="IoUringException">io_uring is unavailable or lacks READ_FIXED (and <paramref name="reads"/> asks for it); the message names the cause and the fix.</exception>
    public LoadMissService(uint* ring, uint* control, uint* queue, byte* data, int dataBytes, int slotCount, uint* ioCompleted, IoReads reads, ILogger log, HostMeter? meter = null)
    {
        _meter = meter;
        _ring = ring;
        _control = control;
        _queue = queue;
        _data = data;
        _dataBytes = dataBytes;
        _slotCount = slotCount;
        _ioCompleted = ioCompleted;
        _io = ReadEngine.Create(reads, Depth * 2, sqPoll: false, log);
        try
        {
            int pieces = (int)((Math.Max(dataBytes, 1) + FixedBufferBytes - 1) / FixedBufferBytes);
            var buffers = new (nint, nuint)[pieces];
            for (int i = 0; i < pieces; i++)
            {
                long start = i * FixedBufferBytes;
                buffers[i] = ((nint)(data + start), (nuint)Math.Min(FixedBufferBytes, Math.Max(dataBytes, 1) - start));
            }

            _pinned = _io.TryRegisterBuffers(buffers);
            if (!_pinned)
            {
                VyreLog.LockedMemoryFallback(log, IoUringException.LockedMemoryFallback("data buffer", dataBytes));
            }
        }
        catch
        {
            _io.Dispose();
            throw;
        }

        for (int i = Depth - 1; i >= 0; i--)
        {
            _free.Push(i);
        }

        _thread = new Thread(Loop) { IsBackground = true, Name = "vyre-load-miss" };
    }

    /// <summary>Requests taken from the io queue.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Bytes read into the data buffer.</summary>
    public long BytesRead => Interlocked.Read(ref _bytesRead);

    /// <summary>Starts the io thread and tells the device that LOAD_MISS is served.</summary>
    public void Start()
    {
        _thread.Start();
        Volatile.Write(ref _control[ControlWord.IoServiceState], 1);
    }

    /// <summary>
    /// Opens <paramref name="path"/> read-only and registers it; returns its file id. Only a regular file is
    /// opened (a FIFO, a device or a socket is refused from its statx and never opened, so this never blocks).
    /// </summary>
    public uint Register(string path)
    {
        int errno = RegularFiles.Open(path, 0, out int fd, out _, out string refusal);
        if (errno != 0)
        {
            string fix = refusal.Contains("Fix:", StringComparison.Ordinal) ? string.Empty : " Fix: pass a readable regular file.";
            throw new System.IO.IOException($"Cannot register for LOAD_MISS: {refusal}{fix}");
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            return Register(handle, owned: true, path);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Registers an open handle the caller keeps owning. Each read holds a reference to it, so the caller's
    /// dispose closes the descriptor only after reads in flight; misses after that fault with EBADF. Any readable
    /// descriptor but a directory is taken (a pipe, say), read as the caller opened it.
    /// </summary>
    public uint Register(SafeFileHandle handle)
    {
        if (handle.IsClosed || handle.IsInvalid)
        {
            throw new ArgumentException("The handle is closed or invalid. Fix: register an open file handle.", nameof(handle));
        }

        int statError = StatDescriptor((int)handle.DangerousGetHandle(), out _, out uint mode);
        if (statError != 0 || (mode & ModeTypeMask) == ModeDirectory)
        {
            int errno = statError != 0 ? statError : EISDIR;
            throw new System.IO.IOException($"Cannot register a caller's handle for LOAD_MISS: errno {errno} ({Describe(errno)}). Fix: pass a handle of a readable file, not a directory.");
        }

        return Register(handle, owned: false, "a caller's handle");
    }

    /// <summary>Clears file id <paramref name="file"/>; later requests for it end in FAULT BadArgument.</summary>
    public void Unregister(uint file)
    {
        IoFile entry;
        lock (_filesGate)
        {
            uint slot = file & (MaxFiles - 1);
            if (_files[slot] is not { } found || found.Id != file)
            {
                throw new ArgumentException($"File id {file} is not registered. Fix: pass an id RegisterIoFile returned and did not yet unregister.", nameof(file));
            }

            entry = found;
            Volatile.Write(ref _files[slot], null);
            _generations[slot] = (_generations[slot] + 1) & (uint.MaxValue >> SlotBits);
        }

        // Reads in flight hold references of their own: the descriptor closes (if the host opened it) after the last.
        if (entry.Owned)
        {
            entry.Handle.Dispose();
        }
    }

    /// <summary>
    /// Stops after the device side has exited: requests still queued and reads in flight are cancelled and
    /// their slots end in FAULT (IoError, ECANCELED); every wait is bounded.
    /// </summary>
    public void Stop(TimeSpan bound)
    {
        if (_stopped)
        {
            return;
        }

        _stopping = true;
        if (_thread.ThreadState != System.Threading.ThreadState.Unstarted && !_thread.Join(bound))
        {
            return; // The ring stays open (its pages stay pinned) until the process exits.
        }

        _stopped = true;
        Volatile.Write(ref _control[ControlWord.IoServiceState], 0);
        _io.Dispose();
        lock (_filesGate)
        {
            for (int i = 0; i < _files.Length; i++)
            {
                if (_files[i] is { } file)
                {
                    _files[i] = null;
                    if (file.Owned)
                    {
                        file.Handle.Dispose();
                    }
                }
            }
        }
    }

    public void Dispose() => Stop(TimeSpan.FromSeconds(10));

    /// <summary>Gives <paramref name="handle"/> an id; an <paramref name="owned"/> one is disposed by <see cref="Unregister"/> or <see cref="Stop"/>.</summary>
    private uint Register(SafeFileHandle handle, bool owned, string what)
    {
        lock (_filesGate)
        {
            if (_stopped)
            {
                throw new ObjectDisposedException(nameof(LoadMissService), "The io service has stopped. Fix: register files while the host runs.");
            }

            int slot = Array.IndexOf(_files, null);
            if (slot < 0)
            {
                throw new InvalidOperationException($"All {MaxFiles} LOAD_MISS file ids are in use. Fix: unregister files no handler reads any more (UnregisterIoFile).");
            }

            uint id = (_generations[slot] << SlotBits) | (uint)slot;
            Volatile.Write(ref _files[slot], new IoFile(id, handle, owned, what));
            return id;
        }
    }

    private void Loop()
    {
        try
        {
            Serve();
        }
        finally
        {
            Drain();
        }
    }

    private void Serve()
    {
        long idleSince = 0;
        while (!_stopping)
        {
            bool progressed = false;
            while (TryTake(out Request request))
            {
                progressed = true;
                _waiting.Enqueue(request);
            }

            while (_free.Count > 0 && _waiting.TryDequeue(out Request request))
            {
                Begin(request);
            }

            if (_readsInFlight > 0)
            {
                _io.Submit(waitFor: 1, s_reapWait);
                progressed |= Reap(draining: false);
            }

            if (progressed || _readsInFlight > 0)
            {
                idleSince = 0;
                continue;
            }

            // Idle: spin briefly (a burst of misses is served at once), then yield the core to the
            // workers, then poll once a millisecond, which bounds the wait of a miss on an idle host.
            long now = Stopwatch.GetTimestamp();
            idleSince = idleSince == 0 ? now : idleSince;
            TimeSpan idle = Stopwatch.GetElapsedTime(idleSince, now);
            if (idle < s_spinFor)
            {
                Thread.SpinWait(10);
            }
            else if (idle < s_yieldFor)
            {
                Thread.Yield();
            }
            else
            {
                Thread.Sleep(1);
            }
        }
    }

    /// <summary>Takes the request with the next ticket if the device has published it, and frees its entry.</summary>
    private bool TryTake(out Request request)
    {
        uint* entry = _queue + ((int)(_consumed % IoQueueLayout.Capacity) * IoQueueLayout.EntryWords);
        if (Volatile.Read(ref entry[IoQueueLayout.Status]) != (uint)SlotState.Published)
        {
            request = default;
            return false;
        }

        request = new Request
        {
            Op = entry[IoQueueLayout.Op],
            File = entry[IoQueueLayout.Source],
            DataOffset = entry[IoQueueLayout.Destination],
            FileOffset = entry[IoQueueLayout.OffsetLow] | ((ulong)entry[IoQueueLayout.OffsetHigh] << 32),
            Length = entry[IoQueueLayout.Bytes],
            Sequence = entry[IoQueueLayout.Tag],
            TakenAt = Stopwatch.GetTimestamp(),
        };
        Volatile.Write(ref entry[IoQueueLayout.Status], (uint)SlotState.Empty);
        _consumed++;
        Volatile.Write(ref _control[ControlWord.IoConsumed], _consumed);
        Interlocked.Increment(ref _requests);
        return true;
    }

    /// <summary>Checks a request (the device's word is not trusted) and queues its read, or finishes it.</summary>
    private void Begin(Request request)
    {
        // No lock on the io thread: a file entry is an immutable record, written whole under the gate. Its id
        // must match whole (slot and generation): an unregistered id names nothing, even once its slot is reused.
        IoFile? file = Volatile.Read(ref _files[request.File & (MaxFiles - 1)]);
        if (file is not null && file.Id != request.File)
        {
            file = null;
        }

        if (request.Op != IoQueueLayout.OpRead)
        {
            FinishFault(request, FaultCode.BadArgument, request.Op);
        }
        else if (file is null)
        {
            FinishFault(request, FaultCode.BadArgument, request.File);
        }
        else if ((ulong)request.DataOffset + request.Length > (ulong)_dataBytes)
        {
            FinishFault(request, FaultCode.OutOfBounds, request.DataOffset);
        }
        else if (request.FileOffset > long.MaxValue || request.FileOffset + request.Length > long.MaxValue)
        {
            // io_uring reads offset -1 (2^64 - 1) at the file's current position, and rejects the rest past 2^63:
            // neither is a position in the file. Detail: the offset's high word.
            FinishFault(request, FaultCode.OutOfBounds, (uint)(request.FileOffset >> 32));
        }
        else if (request.Length == 0)
        {
            FinishDone(request, 0);
        }
        else if (!TryHold(file.Handle))
        {
            FinishFault(request, FaultCode.IoError, EBADF); // The caller closed its handle while registered.
        }
        else
        {
            int index = _free.Pop();
            request.Handle = file.Handle;
            _reads[index] = request;
            Queue(index);
        }
    }

    /// <summary>A reference for one read, so the descriptor cannot close (and its number go to another file) under it.</summary>
    private static bool TryHold(SafeFileHandle handle)
    {
        if (handle.IsClosed)
        {
            return false;
        }

        try
        {
            bool added = false;
            handle.DangerousAddRef(ref added);
            return added;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }

    private void Queue(int index)
    {
        Request read = _reads[index]!.Value;
        long at = read.DataOffset + read.Got;
        uint length = read.Length - read.Got;
        long piece = at / FixedBufferBytes;
        int buffer = _pinned && (at + length - 1) / FixedBufferBytes == piece ? (int)piece : -1; // A read across two pieces goes plain.
        int fd = (int)read.Handle!.DangerousGetHandle(); // Held by this read's reference until it ends.
        if (!_io.TryQueueRead(fd, fixedFile: false, (nint)(_data + at), length, read.FileOffset + read.Got, buffer, ReadTable.UserData(index)))
        {
            throw new InvalidOperationException("The io_uring submission ring is full although reads in flight are bounded by the io queue; this is a bug in Vyre.");
        }

        _readsInFlight++;
    }

    /// <summary>Takes every completion; true when there was one.</summary>
    private bool Reap(bool draining)
    {
        bool any = false;
        while (_io.TryReap(out ulong userData, out int result))
        {
            any = true;
            Complete(ReadTable.Index(userData), result, draining);
        }

        return any;
    }

    private void Complete(int index, int result, bool draining)
    {
        _readsInFlight--;
        Request read = _reads[index]!.Value;
        if (draining && result < 0)
        {
            Release(index);
            FinishFault(read, FaultCode.IoError, IoQueueLayout.Canceled);
        }
        else if (result is -EINTR or -EAGAIN)
        {
            Queue(index);
        }
        else if (result < 0)
        {
            Release(index);
            FinishFault(read, FaultCode.IoError, (uint)-result);
        }
        else
        {
            read.Got += (uint)result;
            Interlocked.Add(ref _bytesRead, result);
            _meter?.LoadMissBytes(result);
            _reads[index] = read;
            if (result == 0 || read.Got == read.Length || draining)
            {
                Release(index);
                FinishDone(read, read.Got); // Done, at the end of the file, or stopping with what arrived.
            }
            else
            {
                Queue(index); // A short read: continue where it stopped.
            }
        }
    }

    private void Release(int index)
    {
        _reads[index]?.Handle?.DangerousRelease();
        _reads[index] = null;
        _free.Push(index);
    }

    private void FinishDone(in Request request, uint bytes)
    {
        uint* slot = Slot(request.Sequence);
        slot[SlotLayout.FirstArgument] = bytes;
        _meter?.LoadMissEnded(request.TakenAt); // Before the status: the waiter may go on the moment it sees it.
        Finish(request.Sequence, slot, SlotState.Done);
    }

    private void FinishFault(in Request request, FaultCode code, uint detail)
    {
        uint* slot = Slot(request.Sequence);
        slot[SlotLayout.FaultCodeWord] = (uint)code;
        slot[SlotLayout.FaultDetailWord] = detail;
        _meter?.LoadMissEnded(request.TakenAt);
        Finish(request.Sequence, slot, SlotState.Fault);
    }

    /// <summary>
    /// Ends a WAIT_IO slot, which the host owns: its completion mark first (a fence behind it may pass
    /// from then on), then the status, after which the host may retire and reuse the slot.
    /// </summary>
    private void Finish(uint sequence, uint* slot, SlotState state)
    {
        Volatile.Write(ref _ioCompleted[sequence % (uint)_slotCount], sequence + 1);
        Volatile.Write(ref slot[SlotLayout.Status], (uint)state);
    }

    private uint* Slot(uint sequence) => _ring + ((int)(sequence % (uint)_slotCount) * SlotLayout.WordCount);

    /// <summary>On stop: fail requests still queued, cancel reads in flight and reap them; every wait bounded.</summary>
    private void Drain()
    {
        try
        {
            while (TryTake(out Request request))
            {
                _waiting.Enqueue(request);
            }

            while (_waiting.TryDequeue(out Request request))
            {
                FinishFault(request, FaultCode.IoError, IoQueueLayout.Canceled);
            }

            _io.CancelAndReap(ReadTable.InFlight(_reads.Length, i => _reads[i] is not null), _readsInFlight, TimeSpan.FromSeconds(5), (userData, result) => Complete(ReadTable.Index(userData), result, draining: true));
        }
        catch (IoUringException)
        {
            // The ring is closed by Stop either way.
        }

        for (int i = 0; i < _reads.Length; i++)
        {
            if (_reads[i] is { } left)
            {
                left.Handle?.DangerousRelease();
                _reads[i] = null;
                FinishFault(left, FaultCode.IoError, IoQueueLayout.Canceled);
            }
        }
    }

    /// <summary>A registered file: its whole id (slot and generation) and the handle a reference is held on.</summary>
    private sealed record IoFile(uint Id, SafeFileHandle Handle, bool Owned, string What);

    private struct Request
    {
        public uint Op;
        public uint File;
        public uint DataOffset;
        public ulong FileOffset;
        public uint Length;
        public uint Sequence;
        public uint Got;
        public SafeFileHandle? Handle;

        /// <summary>When the host took the request (a <see cref="Stopwatch"/> timestamp), for <c>vyre.load_miss.duration</c>.</summary>
        public long TakenAt;
    }
}
