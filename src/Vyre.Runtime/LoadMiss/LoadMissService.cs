using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using Microsoft.Win32.SafeHandles;
using Vyre.IoUring;
using static Vyre.IoUring.IoUringNative;

namespace Vyre;

/// <summary>
/// The host's io loop for LOAD_MISS: one thread takes requests from the io queue in ticket order (and
/// frees each entry at once, so the 64 entries never wait on the disk), reads them with io_uring
/// READ_FIXED straight into the registered data buffer from registered files, continues short reads,
/// and finishes the asking slot: DONE with result 0 = bytes read, or FAULT with the errno. Up to
/// <see cref="IoQueueLayout.Capacity"/> reads are in flight; requests past that wait in the host's list,
/// which holds at most one request per ring slot (each holds its WAIT_IO slot): the ring is the backpressure.
/// </summary>
internal sealed unsafe class LoadMissService : IDisposable
{
    /// <summary>Files that can be registered at once (the fixed-file table).</summary>
    public const int MaxFiles = 64;

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
    private readonly Lock _filesGate = new();
    private readonly Request?[] _reads = new Request?[Depth];
    private readonly Stack<int> _free = new();
    private readonly Queue<Request> _waiting = new();
    private readonly Thread _thread;
    private uint _consumed;
    private int _readsInFlight;
    private long _requests;
    private long _bytesRead;
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
    /// <exception cref="IoUringException">io_uring is unavailable or lacks READ_FIXED (and <paramref name="reads"/> asks for it); the message names the cause and the fix.</exception>
    public LoadMissService(uint* ring, uint* control, uint* queue, byte* data, int dataBytes, int slotCount, uint* ioCompleted, IoReads reads, Action<string>? log)
    {
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

            _io.RegisterBuffers(buffers);
            _io.RegisterFileTable(MaxFiles);
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

    /// <summary>Opens <paramref name="path"/> read-only and registers it; returns its file id.</summary>
    public uint Register(string path)
    {
        int fd = Open(path, ORdOnly | OCloExec, 0);
        if (fd < 0)
        {
            int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            throw new System.IO.IOException($"Cannot open '{path}' for LOAD_MISS: errno {errno} ({Describe(errno)}). Fix: pass a readable regular file.");
        }

        try
        {
            return Register(fd, owned: true, path);
        }
        catch
        {
            _ = Close(fd);
            throw;
        }
    }

    /// <summary>Registers an open handle the caller keeps owning (it must stay open while registered).</summary>
    public uint Register(SafeFileHandle handle)
    {
        if (handle.IsClosed || handle.IsInvalid)
        {
            throw new ArgumentException("The handle is closed or invalid. Fix: register an open file handle.", nameof(handle));
        }

        return Register((int)handle.DangerousGetHandle(), owned: false, "a caller's handle");
    }

    /// <summary>Clears file id <paramref name="file"/>; later requests for it end in FAULT BadArgument.</summary>
    public void Unregister(uint file)
    {
        IoFile entry;
        lock (_filesGate)
        {
            if (file >= MaxFiles || _files[file] is null)
            {
                throw new ArgumentException($"File id {file} is not registered. Fix: pass an id RegisterIoFile returned and did not yet unregister.", nameof(file));
            }

            entry = _files[file]!;
            Volatile.Write(ref _files[file], null);
            _io.SetFixedFile((int)file, -1);
        }

        if (entry.Owned)
        {
            _ = Close(entry.Fd);
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
        foreach (IoFile? file in _files)
        {
            if (file is { Owned: true })
            {
                _ = Close(file.Fd);
            }
        }
    }

    public void Dispose() => Stop(TimeSpan.FromSeconds(10));

    private uint Register(int fd, bool owned, string what)
    {
        int statError = StatDescriptor(fd, out _, out bool isDirectory);
        if (statError != 0 || isDirectory)
        {
            int errno = isDirectory ? EISDIR : statError;
            throw new System.IO.IOException($"Cannot register {what} for LOAD_MISS: errno {errno} ({Describe(errno)}). Fix: pass a regular file.");
        }

        lock (_filesGate)
        {
            int id = Array.IndexOf(_files, null);
            if (id < 0)
            {
                throw new InvalidOperationException($"All {MaxFiles} LOAD_MISS file ids are in use. Fix: unregister files no handler reads any more (UnregisterIoFile).");
            }

            _io.SetFixedFile(id, fd);
            Volatile.Write(ref _files[id], new IoFile(fd, owned));
            return (uint)id;
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
        // No lock on the io thread: a file entry is an immutable record, written whole under the gate.
        int fd = request.File < MaxFiles ? Volatile.Read(ref _files[request.File])?.Fd ?? -1 : -1;

        if (request.Op != IoQueueLayout.OpRead)
        {
            FinishFault(request.Sequence, FaultCode.BadArgument, request.Op);
        }
        else if (fd < 0)
        {
            FinishFault(request.Sequence, FaultCode.BadArgument, request.File);
        }
        else if ((ulong)request.DataOffset + request.Length > (ulong)_dataBytes)
        {
            FinishFault(request.Sequence, FaultCode.OutOfBounds, request.DataOffset);
        }
        else if (request.Length == 0)
        {
            FinishDone(request.Sequence, 0);
        }
        else
        {
            int index = _free.Pop();
            _reads[index] = request;
            Queue(index);
        }
    }

    private void Queue(int index)
    {
        Request read = _reads[index]!.Value;
        long at = read.DataOffset + read.Got;
        uint length = read.Length - read.Got;
        long piece = at / FixedBufferBytes;
        int buffer = (at + length - 1) / FixedBufferBytes == piece ? (int)piece : -1; // A read across two pieces goes plain.
        if (!_io.TryQueueRead((int)read.File, fixedFile: true, (nint)(_data + at), length, read.FileOffset + read.Got, buffer, ReadTable.UserData(index)))
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
            FinishFault(read.Sequence, FaultCode.IoError, IoQueueLayout.Canceled);
        }
        else if (result is -EINTR or -EAGAIN)
        {
            Queue(index);
        }
        else if (result < 0)
        {
            Release(index);
            FinishFault(read.Sequence, FaultCode.IoError, (uint)-result);
        }
        else
        {
            read.Got += (uint)result;
            Interlocked.Add(ref _bytesRead, result);
            _reads[index] = read;
            if (result == 0 || read.Got == read.Length || draining)
            {
                Release(index);
                FinishDone(read.Sequence, read.Got); // Done, at the end of the file, or stopping with what arrived.
            }
            else
            {
                Queue(index); // A short read: continue where it stopped.
            }
        }
    }

    private void Release(int index)
    {
        _reads[index] = null;
        _free.Push(index);
    }

    private void FinishDone(uint sequence, uint bytes)
    {
        uint* slot = Slot(sequence);
        slot[SlotLayout.FirstArgument] = bytes;
        Finish(sequence, slot, SlotState.Done);
    }

    private void FinishFault(uint sequence, FaultCode code, uint detail)
    {
        uint* slot = Slot(sequence);
        slot[SlotLayout.FaultCodeWord] = (uint)code;
        slot[SlotLayout.FaultDetailWord] = detail;
        Finish(sequence, slot, SlotState.Fault);
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
                FinishFault(request.Sequence, FaultCode.IoError, IoQueueLayout.Canceled);
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
                _reads[i] = null;
                FinishFault(left.Sequence, FaultCode.IoError, IoQueueLayout.Canceled);
            }
        }
    }

    private sealed record IoFile(int Fd, bool Owned);

    private struct Request
    {
        public uint Op;
        public uint File;
        public uint DataOffset;
        public ulong FileOffset;
        public uint Length;
        public uint Sequence;
        public uint Got;
    }
}
