using System;
using System.Runtime.InteropServices;
using System.Threading;
using static Vyre.IoUring.IoUringNative;

namespace Vyre.IoUring;

/// <summary>
/// One io_uring instance: the submission and completion rings mapped into this process, feature
/// probing, registered (fixed) buffers and files. Not thread-safe: one thread submits and reaps.
/// </summary>
internal sealed unsafe class IoUringRing : IReadEngine
{
    /// <summary>The user_data bit of cancellations; requests' own user_data must leave it clear.</summary>
    public const ulong CancelMark = 1ul << 63;

    private readonly int _fd;
    private readonly nint _sqRing;
    private readonly nuint _sqRingBytes;
    private readonly nint _cqRing;
    private readonly nuint _cqRingBytes;
    private readonly nint _sqesMap;
    private readonly nuint _sqesBytes;
    private readonly uint* _sqHead;
    private readonly uint* _sqTail;
    private readonly uint* _sqFlags;
    private readonly uint _sqMask;
    private readonly uint* _sqArray;
    private readonly Sqe* _sqes;
    private readonly uint* _cqHead;
    private readonly uint* _cqTail;
    private readonly uint _cqMask;
    private readonly Cqe* _cqes;
    private readonly byte[] _supported = new byte[256];

    private uint _sqLocalTail;
    private int _unsubmitted;
    private bool _disposed;

    private IoUringRing(int fd, in Params p)
    {
        _fd = fd;
        Features = p.Features;
        SqPoll = (p.Flags & SetupSqPoll) != 0;
        SubmissionEntries = (int)p.SqEntries;
        CompletionEntries = (int)p.CqEntries;
        _sqRingBytes = p.SqOff.Array + (p.SqEntries * sizeof(uint));
        _cqRingBytes = p.CqOff.Cqes + (p.CqEntries * (uint)sizeof(Cqe));
        bool single = (p.Features & FeatSingleMmap) != 0;
        if (single)
        {
            _sqRingBytes = _cqRingBytes = Math.Max(_sqRingBytes, _cqRingBytes);
        }

        _sqRing = Map(_sqRingBytes, OffSqRing);
        _cqRing = single ? _sqRing : Map(_cqRingBytes, OffCqRing);
        _sqesBytes = p.SqEntries * (uint)sizeof(Sqe);
        _sqesMap = Map(_sqesBytes, OffSqes);

        byte* sq = (byte*)_sqRing;
        _sqHead = (uint*)(sq + p.SqOff.Head);
        _sqTail = (uint*)(sq + p.SqOff.Tail);
        _sqFlags = (uint*)(sq + p.SqOff.Flags);
        _sqMask = *(uint*)(sq + p.SqOff.RingMask);
        _sqArray = (uint*)(sq + p.SqOff.Array);
        _sqes = (Sqe*)_sqesMap;
        _sqLocalTail = *_sqTail;
        byte* cq = (byte*)_cqRing;
        _cqHead = (uint*)(cq + p.CqOff.Head);
        _cqTail = (uint*)(cq + p.CqOff.Tail);
        _cqMask = *(uint*)(cq + p.CqOff.RingMask);
        _cqes = (Cqe*)(cq + p.CqOff.Cqes);
        Probe();
    }

    /// <summary>The kernel's IORING_FEAT_* bits.</summary>
    public uint Features { get; }

    /// <summary>Whether a kernel thread polls the submission ring (IORING_SETUP_SQPOLL).</summary>
    public bool SqPoll { get; }

    /// <summary>Entries of the submission ring.</summary>
    public int SubmissionEntries { get; }

    /// <summary>Entries of the completion ring.</summary>
    public int CompletionEntries { get; }

    /// <inheritdoc cref="IReadEngine.Description"/>
    string IReadEngine.Description => SqPoll ? "io_uring + SQPOLL" : "io_uring";

    /// <summary>Whether waits can carry a timeout (IORING_FEAT_EXT_ARG, Linux 5.11).</summary>
    public bool HasTimedWait => (Features & FeatExtArg) != 0;

    /// <summary>Creates a ring of at least <paramref name="entries"/> submission entries.</summary>
    /// <exception cref="IoUringException">io_uring is unavailable or disabled; the message says which and how to fix it.</exception>
    public static IoUringRing Create(int entries, bool sqPoll = false)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("io_uring is a Linux interface and this is " + RuntimeInformation.OSDescription + ". Fix: run on Linux 5.11 or newer.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(entries, 1);
        var p = new Params { Flags = SetupClamp | (sqPoll ? SetupSqPoll : 0), SqThreadIdle = sqPoll ? 100u : 0u };
        long fd = Syscall(SysSetup, entries, (nint)(&p), 0, 0, 0, 0);
        if (fd < 0)
        {
            throw IoUringException.ForSetup(Marshal.GetLastPInvokeError());
        }

        try
        {
            return new IoUringRing((int)fd, p);
        }
        catch
        {
            _ = Close((int)fd);
            throw;
        }
    }

    /// <summary>Whether io_uring can be set up here; when not, <paramref name="reason"/> says why and how to fix it.</summary>
    public static bool IsAvailable(out string reason)
    {
        try
        {
            using IoUringRing ring = Create(2);
            reason = string.Empty;
            return true;
        }
        catch (Exception e) when (e is IoUringException or PlatformNotSupportedException)
        {
            reason = e.Message;
            return false;
        }
    }

    /// <summary>Whether the kernel supports <paramref name="opcode"/> (IORING_REGISTER_PROBE).</summary>
    public bool Supports(byte opcode) => _supported[opcode] != 0;

    /// <summary>
    /// Registers <paramref name="buffers"/> as fixed buffers 0..n-1 for READ_FIXED; the kernel pins their pages,
    /// which counts against RLIMIT_MEMLOCK for a process without CAP_IPC_LOCK. False when that limit refused them
    /// (ENOMEM): nothing is registered, and reads must name buffer -1 (a plain READ into the same memory).
    /// </summary>
    public bool TryRegisterBuffers(ReadOnlySpan<(nint Address, nuint Length)> buffers)
    {
        var vectors = new IoVec[buffers.Length];
        for (int i = 0; i < buffers.Length; i++)
        {
            vectors[i] = new IoVec { Base = buffers[i].Address, Length = buffers[i].Length };
        }

        fixed (IoVec* v = vectors)
        {
            if (Syscall(SysRegister, _fd, (nint)RegBuffers, (nint)v, vectors.Length, 0, 0) < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == ENOMEM)
                {
                    return false;
                }

                throw IoUringException.ForCall("io_uring_register(BUFFERS)", errno);
            }
        }

        return true;
    }

    /// <summary>Registers <paramref name="buffers"/> as fixed buffers 0..n-1 for READ_FIXED; the kernel pins their pages.</summary>
    /// <exception cref="IoUringException">The kernel refused; for ENOMEM the message names RLIMIT_MEMLOCK and how to raise it.</exception>
    public void RegisterBuffers(ReadOnlySpan<(nint Address, nuint Length)> buffers)
    {
        if (!TryRegisterBuffers(buffers))
        {
            throw IoUringException.ForCall("io_uring_register(BUFFERS)", ENOMEM);
        }
    }

    /// <summary>Registers a table of <paramref name="count"/> empty fixed-file slots.</summary>
    public void RegisterFileTable(int count)
    {
        int[] empty = new int[count];
        Array.Fill(empty, -1);
        fixed (int* fds = empty)
        {
            Register(RegFiles, (nint)fds, (uint)count, "io_uring_register(FILES)");
        }
    }

    /// <summary>Puts descriptor <paramref name="fd"/> (or -1 to clear) in fixed-file slot <paramref name="index"/>.</summary>
    public void SetFixedFile(int index, int fd)
    {
        var update = new FilesUpdate { Offset = (uint)index, Fds = (ulong)(nint)(&fd) };
        Register(RegFilesUpdate, (nint)(&update), 1, "io_uring_register(FILES_UPDATE)");
    }

    /// <summary>Queues a read; false when the submission ring is full (submit, reap, then retry).</summary>
    /// <param name="file">A fixed-file index when <paramref name="fixedFile"/>, else a descriptor.</param>
    /// <param name="fixedFile">Whether <paramref name="file"/> is a fixed-file index.</param>
    /// <param name="address">Where the bytes go.</param>
    /// <param name="length">Bytes to read.</param>
    /// <param name="offset">File offset.</param>
    /// <param name="bufferIndex">The fixed buffer holding <paramref name="address"/> for READ_FIXED, or -1 for a plain READ.</param>
    /// <param name="userData">Returned with the completion, to match it.</param>
    /// <param name="inWorker">
    /// Hand the read to the kernel's io workers (IOSQE_ASYNC) instead of trying it inline at submit. A read of a page-cache
    /// file is otherwise a memory copy done by the submitting thread inside io_uring_enter: for a stream of many chunks that
    /// thread then reads them one after another (on the H200, 55 of a 95 ms stream), where workers copy them in parallel.
    /// For O_DIRECT and for single reads waited on at once (LOAD_MISS), inline is better: leave it false.
    /// </param>
    public bool TryQueueRead(int file, bool fixedFile, nint address, uint length, ulong offset, int bufferIndex, ulong userData, bool inWorker = false)
    {
        if (!TryNext(out Sqe* sqe))
        {
            return false;
        }

        sqe->Opcode = bufferIndex >= 0 ? OpReadFixed : OpRead;
        sqe->Flags = (byte)((fixedFile ? SqeFixedFile : 0) | (inWorker ? SqeAsync : 0));
        sqe->Fd = file;
        sqe->Offset = offset;
        sqe->Address = (ulong)address;
        sqe->Length = length;
        sqe->BufferIndex = bufferIndex >= 0 ? (ushort)bufferIndex : (ushort)0;
        sqe->UserData = userData;
        return true;
    }

    /// <summary>
    /// Queues a cancellation of every request whose user_data is <paramref name="target"/>. The cancellation's
    /// own completion carries <see cref="CancelMark"/> and is never returned by <see cref="TryReap"/>.
    /// </summary>
    public bool TryQueueCancel(ulong target)
    {
        if (!TryNext(out Sqe* sqe))
        {
            return false;
        }

        sqe->Opcode = OpAsyncCancel;
        sqe->Fd = -1;
        sqe->Address = target;
        sqe->UserData = target | CancelMark;
        return true;
    }

    /// <summary>
    /// Cancels the requests whose user_data are <paramref name="targets"/> and reaps until <paramref name="pending"/>
    /// of them have completed or <paramref name="bound"/> has passed; each completion goes to <paramref name="completed"/>
    /// (a cancelled read completes with -ECANCELED, one that finished first with its result).
    /// </summary>
    public void CancelAndReap(ReadOnlySpan<ulong> targets, int pending, TimeSpan bound, Action<ulong, int> completed)
    {
        foreach (ulong target in targets)
        {
            _ = TryQueueCancel(target);
        }

        DateTime deadline = DateTime.UtcNow + bound;
        while (pending > 0 && DateTime.UtcNow < deadline)
        {
            Submit(waitFor: 1, TimeSpan.FromMilliseconds(10));
            while (pending > 0 && TryReap(out ulong userData, out int result))
            {
                pending--;
                completed(userData, result);
            }
        }
    }

    /// <summary>
    /// Hands queued entries to the kernel and, when <paramref name="waitFor"/> &gt; 0, waits up to
    /// <paramref name="timeout"/> for that many completions. Returns the entries submitted.
    /// </summary>
    public int Submit(int waitFor = 0, TimeSpan timeout = default)
    {
        Volatile.Write(ref *_sqTail, _sqLocalTail);
        int toSubmit = _unsubmitted;
        uint flags = 0;
        if (SqPoll)
        {
            // The kernel's poller takes entries from the ring by itself; it only needs waking when idle.
            _unsubmitted = toSubmit = 0;
            if ((Volatile.Read(ref *_sqFlags) & SqNeedWakeup) != 0)
            {
                flags |= EnterSqWakeup;
            }
            else if (waitFor == 0)
            {
                return 0;
            }
        }

        KernelTimespec ts = default;
        GetEventsArg arg = default;
        nint argPointer = 0;
        nint argSize = 0;
        if (waitFor > 0)
        {
            flags |= EnterGetEvents;
            if (timeout > TimeSpan.Zero && HasTimedWait)
            {
                ts = new KernelTimespec { Seconds = timeout.Ticks / TimeSpan.TicksPerSecond, Nanoseconds = timeout.Ticks % TimeSpan.TicksPerSecond * 100 };
                arg = new GetEventsArg { Timespec = (ulong)(nint)(&ts) };
                argPointer = (nint)(&arg);
                argSize = sizeof(GetEventsArg);
                flags |= EnterExtArg;
            }
        }

        while (true)
        {
            long done = Syscall(SysEnter, _fd, toSubmit, waitFor, (nint)flags, argPointer, argSize);
            if (done >= 0)
            {
                _unsubmitted -= Math.Min(_unsubmitted, (int)done);
                return (int)done;
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno == EINTR)
            {
                continue;
            }

            // ETIME: the wait timed out; EAGAIN/EBUSY: completions must be reaped first (the caller does).
            if (errno is ETIME or EAGAIN or EBUSY)
            {
                return 0;
            }

            throw IoUringException.ForCall("io_uring_enter", errno);
        }
    }

    /// <summary>Takes the next completion of a request (completions of cancellations are skipped), if any.</summary>
    public bool TryReap(out ulong userData, out int result)
    {
        while (true)
        {
            uint head = *_cqHead;
            if (head == Volatile.Read(ref *_cqTail))
            {
                userData = 0;
                result = 0;
                return false;
            }

            Cqe cqe = _cqes[head & _cqMask];
            Volatile.Write(ref *_cqHead, head + 1);
            if ((cqe.UserData & CancelMark) == 0)
            {
                userData = cqe.UserData;
                result = cqe.Result;
                return true;
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _ = Munmap(_sqesMap, _sqesBytes);
        if (_cqRing != _sqRing)
        {
            _ = Munmap(_cqRing, _cqRingBytes);
        }

        _ = Munmap(_sqRing, _sqRingBytes);
        _ = Close(_fd);
    }

    private bool TryNext(out Sqe* sqe)
    {
        uint head = Volatile.Read(ref *_sqHead);
        if (_sqLocalTail - head >= (uint)SubmissionEntries)
        {
            sqe = null;
            return false;
        }

        uint index = _sqLocalTail & _sqMask;
        sqe = &_sqes[index];
        *sqe = default;
        _sqArray[index] = index;
        _sqLocalTail++;
        _unsubmitted++;
        return true;
    }

    private void Probe()
    {
        const int Ops = 256;
        int bytes = 16 + (Ops * 8);
        byte* probe = stackalloc byte[bytes];
        new Span<byte>(probe, bytes).Clear();
        if (Syscall(SysRegister, _fd, (nint)RegProbe, (nint)probe, Ops, 0, 0) < 0)
        {
            return; // Kernels before 5.6 have no probe; every op then reads as unsupported.
        }

        int count = probe[1];
        for (int i = 0; i < count; i++)
        {
            byte* op = probe + 16 + (i * 8);
            if ((*(ushort*)(op + 2) & 1) != 0)
            {
                _supported[op[0]] = 1;
            }
        }
    }

    private void Register(uint opcode, nint argument, uint count, string call)
    {
        // A closed ring's descriptor number may already name another ring.
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Syscall(SysRegister, _fd, (nint)opcode, argument, (nint)count, 0, 0) < 0)
        {
            throw IoUringException.ForCall(call, Marshal.GetLastPInvokeError());
        }
    }

    private nint Map(nuint length, long offset)
    {
        nint address = Mmap(0, length, ProtReadWrite, MapSharedPopulate, _fd, offset);
        if (address == -1)
        {
            throw IoUringException.ForCall("mmap of the io_uring rings", Marshal.GetLastPInvokeError());
        }

        return address;
    }
}
