using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using Vyre.Internals;
using Vyre.IoUring;
using Vyre.Ring;
using static Vyre.IoUring.IoUringNative;

namespace Vyre.LoadMiss;

/// <summary>
/// The host's io loop for LOAD_MISS: one thread takes requests from the io queue in ticket order (and frees each entry
/// at once, so the 64 entries never wait on the disk), checks them (the device's words are not trusted), reads them
/// through the shared read loop (<see cref="ReadQueue{TRead}"/>: straight into the data buffer, short reads continued,
/// EINTR and EAGAIN retried) from files in its <see cref="IoFileTable"/>, and finishes the asking slot through the ring:
/// DONE with result 0 = bytes read, or FAULT with the errno. A registered file is held by each read in flight, so its
/// descriptor is never closed, nor its number reused, under a read; a caller's handle closed meanwhile faults its misses
/// with EBADF, and a file id carries a generation, so an id unregistered (even once its slot is reused) names no file. Up
/// to <see cref="IoQueueLayout.Capacity"/> reads are in flight; requests past that wait in the host's list, which holds
/// at most one request per ring slot (each holds its WAIT_IO slot): the ring is the backpressure.
/// </summary>
internal sealed unsafe class LoadMissService : IDisposable
{
    /// <summary>Files that can be registered at once.</summary>
    public const int MaxFiles = 64;

    private const int Depth = IoQueueLayout.Capacity;
    private static readonly TimeSpan s_reapWait = TimeSpan.FromMilliseconds(0.05);
    private static readonly TimeSpan s_spinFor = TimeSpan.FromMicroseconds(50);
    private static readonly TimeSpan s_yieldFor = TimeSpan.FromMilliseconds(2);
    private static readonly TimeSpan s_cancelBound = TimeSpan.FromSeconds(5);

    private readonly HostRing _ring;
    private readonly IoRequests _requests;
    private readonly byte* _data;
    private readonly int _dataBytes;
    private readonly ReadQueue<Request> _reads;
    private readonly ReadCompleted<Request> _completed;
    private readonly Queue<Request> _waiting = new();
    private readonly Lock _stopGate = new();
    private readonly Thread _thread;
    private long _requestCount;
    private long _bytesRead;
    private readonly HostMeter? _meter;
    private volatile bool _stopping;
    private bool _stopped;

    /// <param name="ring">The ring, through which asking slots are finished.</param>
    /// <param name="requests">The io queue the device writes requests into.</param>
    /// <param name="data">The data buffer reads go into.</param>
    /// <param name="dataBytes">Its length.</param>
    /// <param name="reads">The read engine to use (<see cref="IoReads"/>).</param>
    /// <param name="log">Where a fallback to positional reads is reported.</param>
    /// <param name="meter">The host's instruments (bytes read, request durations), or null.</param>
    /// <exception cref="IoUringException">io_uring is unavailable or lacks READ_FIXED (and <paramref name="reads"/> asks for it); the message names the cause and the fix.</exception>
    public LoadMissService(HostRing ring, IoRequests requests, byte* data, int dataBytes, IoReads reads, ILogger log, HostMeter? meter = null)
    {
        _meter = meter;
        _ring = ring;
        _requests = requests;
        _data = data;
        _dataBytes = dataBytes;
        _reads = new ReadQueue<Request>(reads, Depth, MaxFiles, sqPoll: false, bufferedInWorker: false, (nint)data, dataBytes, "data buffer", log);
        _completed = Completed;
        _thread = new Thread(Loop) { IsBackground = true, Name = "vyre-load-miss" };
    }

    /// <summary>Requests taken from the io queue.</summary>
    public long Requests => Interlocked.Read(ref _requestCount);

    /// <summary>Bytes read into the data buffer.</summary>
    public long BytesRead => Interlocked.Read(ref _bytesRead);

    /// <summary>Starts the io thread and tells the device that LOAD_MISS is served.</summary>
    public void Start()
    {
        _thread.Start();
        _requests.Served = true;
    }

    /// <summary>
    /// Opens <paramref name="path"/> read-only and registers it; returns its file id. Only a regular file is
    /// opened (a FIFO, a device or a socket is refused from its statx and never opened, so this never blocks).
    /// </summary>
    public uint Register(string path)
    {
        return Add(
            (IoFileTable files, out IoFile? file, out string refusal) => files.TryOpen(path, direct: false, out file, out refusal),
            "Cannot register for LOAD_MISS: ",
            " Fix: pass a readable regular file.");
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

        return Add(
            (IoFileTable files, out IoFile? file, out string refusal) => files.TryAdopt(handle, "a caller's handle", regularOnly: false, out file, out refusal),
            "Cannot register a caller's handle for LOAD_MISS: ",
            " Fix: pass a handle of a readable file, not a directory.");
    }

    /// <summary>Clears file id <paramref name="file"/>; later requests for it end in FAULT BadArgument.</summary>
    public void Unregister(uint file)
    {
        // Reads in flight hold references of their own: the descriptor closes (if the host opened it) after the last.
        bool removed;
        lock (_stopGate)
        {
            ThrowIfStopped();
            removed = _reads.Files.Remove(file);
        }

        if (!removed)
        {
            throw new ArgumentException($"File id {file} is not registered. Fix: pass an id RegisterIoFile returned and did not yet unregister.", nameof(file));
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

        lock (_stopGate)
        {
            _stopped = true;
            _requests.Served = false;
            _reads.Dispose();
        }
    }

    public void Dispose() => Stop(TimeSpan.FromSeconds(10));

    /// <summary>Adds a file to the table while the service runs; its id, or an exception that says why not, with a fix.</summary>
    private uint Add(AddFile add, string failure, string fix)
    {
        int errno;
        IoFile? file;
        string refusal;
        lock (_stopGate)
        {
            ThrowIfStopped();
            errno = add(_reads.Files, out file, out refusal);
        }

        if (errno == EMFILE && !_reads.Files.HasRoom)
        {
            throw new InvalidOperationException($"All {MaxFiles} LOAD_MISS file ids are in use. Fix: unregister files no handler reads any more (UnregisterIoFile).");
        }

        if (errno != 0)
        {
            throw new System.IO.IOException($"{failure}{refusal} (errno {errno}).{(refusal.Contains("Fix:", StringComparison.Ordinal) ? string.Empty : fix)}");
        }

        return file!.Id;
    }

    /// <summary>One way of adding a file to the table (<see cref="IoFileTable.TryOpen"/>, <see cref="IoFileTable.TryAdopt"/>).</summary>
    private delegate int AddFile(IoFileTable files, out IoFile? file, out string refusal);

    private void ThrowIfStopped()
    {
        if (_stopped)
        {
            throw new ObjectDisposedException(nameof(LoadMissService), "The io service has stopped. Fix: register files while the host runs.");
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

            while (_reads.HasRoom && _waiting.TryDequeue(out Request request))
            {
                Begin(request);
            }

            progressed |= _reads.Poll(s_reapWait, _completed);
            if (progressed || _reads.InFlight > 0)
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

    /// <summary>Takes the next request of the io queue, if the device has published it.</summary>
    private bool TryTake(out Request request)
    {
        if (!_requests.TryTake(out IoRequest taken))
        {
            request = default;
            return false;
        }

        request = new Request(taken, Stopwatch.GetTimestamp());
        Interlocked.Increment(ref _requestCount);
        return true;
    }

    /// <summary>Checks a request (the device's words are not trusted) and starts its read, or finishes it.</summary>
    private void Begin(Request request)
    {
        IoRequest io = request.Io;
        if (io.Op != IoQueueLayout.OpRead)
        {
            FinishFault(request, FaultCode.BadArgument, io.Op);
        }
        else if ((ulong)io.DataOffset + io.Length > (ulong)_dataBytes)
        {
            FinishFault(request, FaultCode.OutOfBounds, io.DataOffset);
        }
        else if (io.FileOffset > long.MaxValue || io.FileOffset + io.Length > long.MaxValue)
        {
            // io_uring reads offset -1 (2^64 - 1) at the file's current position, and rejects the rest past 2^63:
            // neither is a position in the file. Detail: the offset's high word.
            FinishFault(request, FaultCode.OutOfBounds, (uint)(io.FileOffset >> 32));
        }
        else
        {
            // The whole id must match (slot and generation): an unregistered id names nothing, even once its slot is reused.
            switch (_reads.Files.TryHold(io.File, out IoFile? file))
            {
                case IoFileTable.Hold.NoSuchFile:
                    FinishFault(request, FaultCode.BadArgument, io.File);
                    break;
                case IoFileTable.Hold.Closed:
                    FinishFault(request, FaultCode.IoError, EBADF); // The caller closed its handle while registered.
                    break;
                case IoFileTable.Hold.Held when io.Length == 0:
                    _reads.Files.Release(file!);
                    FinishDone(request, 0);
                    break;
                default:
                    _reads.Start(file!, (long)io.FileOffset, (nint)(_data + io.DataOffset), (int)io.Length, request);
                    break;
            }
        }
    }

    private void Completed(Request request, int got, int errno)
    {
        if (got > 0)
        {
            Interlocked.Add(ref _bytesRead, got);
            _meter?.LoadMissBytes(got);
        }

        if (errno == ECANCELED && _stopping)
        {
            FinishFault(request, FaultCode.IoError, IoQueueLayout.Canceled);
        }
        else if (errno != 0)
        {
            FinishFault(request, FaultCode.IoError, (uint)errno);
        }
        else
        {
            FinishDone(request, (uint)got); // Whole, at the end of the file, or stopping with what arrived.
        }
    }

    private void FinishDone(in Request request, uint bytes)
    {
        _meter?.LoadMissEnded(request.TakenAt); // Before the status: the waiter may go on the moment it sees it.
        _ring.FinishIoDone(request.Io.Sequence, bytes);
    }

    private void FinishFault(in Request request, FaultCode code, uint detail)
    {
        _meter?.LoadMissEnded(request.TakenAt);
        _ring.FinishIoFault(request.Io.Sequence, code, detail);
    }

    /// <summary>On stop: fail requests still queued, cancel reads in flight and take them; every wait bounded.</summary>
    private void Drain()
    {
        while (TryTake(out Request request))
        {
            _waiting.Enqueue(request);
        }

        while (_waiting.TryDequeue(out Request request))
        {
            FinishFault(request, FaultCode.IoError, IoQueueLayout.Canceled);
        }

        _reads.Cancel(s_cancelBound, _completed);
    }

    /// <summary>A request and when the host took it (a <see cref="Stopwatch"/> timestamp, for <c>vyre.load_miss.duration</c>).</summary>
    private readonly record struct Request(IoRequest Io, long TakenAt);
}
