using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using static Vyre.IoUring.IoUringNative;

namespace Vyre.IoUring;

/// <summary>
/// The fallback engine: queued reads run as pread calls on the calling thread when submitted, straight into
/// the memory they name; their completions are then reaped like io_uring's. Nothing is ever in flight
/// between two calls, so there is nothing to cancel.
/// </summary>
internal sealed unsafe class PositionalReads(int entries) : IReadEngine
{
    // A fixed file is named by its slot until the read runs (its descriptor is looked up then), like io_uring's.
    private readonly Queue<(int File, bool Fixed, nint Address, uint Length, ulong Offset, ulong UserData)> _queued = new();
    private readonly Queue<(ulong UserData, int Result)> _completed = new();
    private int[] _files = [];

    public string Description => "pread";

    public bool TryRegisterBuffers(ReadOnlySpan<(nint Address, nuint Length)> buffers) => true;

    public void RegisterFileTable(int count)
    {
        _files = new int[count];
        Array.Fill(_files, -1);
    }

    public void SetFixedFile(int index, int fd) => _files[index] = fd;

    public bool TryQueueRead(int file, bool fixedFile, nint address, uint length, ulong offset, int bufferIndex, ulong userData, bool inWorker = false)
    {
        if (_queued.Count >= entries)
        {
            return false;
        }

        _queued.Enqueue((file, fixedFile, address, length, offset, userData));
        return true;
    }

    public int Submit(int waitFor = 0, TimeSpan timeout = default)
    {
        int submitted = _queued.Count;
        while (_queued.TryDequeue(out var read))
        {
            int fd = read.Fixed ? _files[read.File] : read.File;
            long got = fd < 0 ? -EBADF : PositionalRead(fd, read.Address, read.Length, (long)read.Offset);
            _completed.Enqueue((read.UserData, (int)got));
        }

        return submitted;
    }

    public bool TryReap(out ulong userData, out int result)
    {
        bool any = _completed.TryDequeue(out var completion);
        (userData, result) = completion;
        return any;
    }

    public void CancelAndReap(ReadOnlySpan<ulong> targets, int pending, TimeSpan bound, Action<ulong, int> completed)
    {
        Submit();
        while (pending > 0 && TryReap(out ulong userData, out int result))
        {
            pending--;
            completed(userData, result);
        }
    }

    public void Dispose()
    {
    }

    /// <summary>One pread, retried on EINTR: bytes read, or a negative errno like an io_uring completion.</summary>
    private static long PositionalRead(int fd, nint address, uint length, long offset)
    {
        while (true)
        {
            long got = Pread(fd, address, length, offset);
            if (got >= 0)
            {
                return got;
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno != EINTR)
            {
                return -errno;
            }
        }
    }
}
