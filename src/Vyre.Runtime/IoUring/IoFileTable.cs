using System;
using System.Numerics;
using System.Threading;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using Vyre.Logging;
using static Vyre.IoUring.IoUringNative;

namespace Vyre.IoUring;

/// <summary>
/// The one file table under both io loops (streaming and LOAD_MISS): what may be read (<see cref="RegularFiles"/>: a
/// path is checked before it is opened and never opened blocking), the O_DIRECT policy (asked at open, dropped for the
/// file when its file system refuses it at open or at the first read, said in the log), and the read engine's
/// fixed-file slots (slot <c>i</c> of the table is fixed-file slot <c>i</c>). A file is held by each read in flight
/// (a reference on its handle, so its descriptor is never closed, nor its number reused, under a read); a removed file
/// names nothing at once and gives its slot back (clears the fixed file, closes a handle the table opened) after its
/// last read. Thread-safe: files may be added and removed from any thread while the io thread reads.
/// </summary>
internal sealed class IoFileTable : IDisposable
{
    private readonly IReadEngine _engine;
    private readonly ILogger _log;
    private readonly IoFile?[] _slots;
    private readonly uint[] _generations;
    private readonly int _slotBits;
    private readonly Lock _gate = new();
    private int _used;
    private bool _disposed;

    /// <summary>A table of <paramref name="capacity"/> files; registers as many empty fixed-file slots with <paramref name="engine"/>.</summary>
    public IoFileTable(IReadEngine engine, int capacity, ILogger log)
    {
        _engine = engine;
        _log = log;
        _slots = new IoFile?[capacity];
        _generations = new uint[capacity];
        _slotBits = Math.Max(1, BitOperations.Log2(BitOperations.RoundUpToPowerOf2((uint)capacity)));
        engine.RegisterFileTable(capacity);
    }

    /// <summary>How the table answers a hold by id.</summary>
    public enum Hold
    {
        /// <summary>Held: the caller's read owns a reference until <see cref="Release"/>.</summary>
        Held,

        /// <summary>No file has that id (never added, or removed).</summary>
        NoSuchFile,

        /// <summary>The file's handle was closed by its owner.</summary>
        Closed,
    }

    /// <summary>Whether a slot is free for one more file (a removed file's slot frees after its last read).</summary>
    public bool HasRoom
    {
        get
        {
            lock (_gate)
            {
                return _used < _slots.Length;
            }
        }
    }

    /// <summary>
    /// Opens <paramref name="path"/> read-only if it is a regular file and adds it; with <paramref name="direct"/>, with
    /// O_DIRECT where its file system takes it. Returns 0, or an errno with <paramref name="refusal"/> saying why
    /// (EMFILE: the table is full).
    /// </summary>
    public int TryOpen(string path, bool direct, out IoFile? file, out string refusal)
    {
        file = null;
        int errno = RegularFiles.Open(path, direct ? ODirect : 0, out int fd, out long size, out refusal);
        if (errno is EINVAL or EPERM && direct)
        {
            VyreLog.DirectRefusedAtOpen(_log, path, Describe(errno));
            direct = false;
            errno = RegularFiles.Open(path, 0, out fd, out size, out refusal);
        }

        if (errno != 0)
        {
            return errno;
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);
        errno = TryAdd(handle, owned: true, path, path, size, direct, out file, out refusal);
        if (errno != 0)
        {
            handle.Dispose();
        }

        return errno;
    }

    /// <summary>
    /// Adds a caller's open handle, which the caller keeps owning (the table never closes it). With
    /// <paramref name="regularOnly"/>, anything but a regular file is refused; else anything but a directory is taken (a
    /// pipe, say) and read as the caller opened it. Returns 0, or an errno with <paramref name="refusal"/>.
    /// </summary>
    public int TryAdopt(SafeFileHandle handle, string name, bool regularOnly, out IoFile? file, out string refusal)
    {
        file = null;
        if (handle.IsClosed || handle.IsInvalid)
        {
            refusal = $"'{name}': the handle is closed or invalid.";
            return EBADF;
        }

        int fd = (int)handle.DangerousGetHandle();
        if (Fcntl(fd, FGetFl, 0) is int flags and >= 0 && (flags & ONonBlock) != 0)
        {
            // io_uring answers EAGAIN for such a descriptor instead of waiting for its data: the read would be retried forever.
            refusal = $"'{name}' was opened with O_NONBLOCK, for which io_uring answers EAGAIN instead of waiting for data. Fix: pass a descriptor opened without O_NONBLOCK (a regular file from File.OpenHandle, a blocking pipe).";
            return EAGAIN;
        }

        long size;
        if (regularOnly)
        {
            int errno = RegularFiles.Check(fd, name, out size, out refusal);
            if (errno != 0)
            {
                return errno;
            }
        }
        else
        {
            int errno = StatDescriptor(fd, out size, out uint mode);
            errno = errno == 0 && (mode & ModeTypeMask) == ModeDirectory ? EISDIR : errno;
            if (errno != 0)
            {
                refusal = $"'{name}' cannot be read: {Describe(errno)} (errno {errno}).";
                return errno;
            }
        }

        return TryAdd(handle, owned: false, name, path: null, size, direct: false, out file, out refusal);
    }

    /// <summary>Holds the file named <paramref name="id"/> for one read.</summary>
    public Hold TryHold(uint id, out IoFile? file)
    {
        lock (_gate)
        {
            file = Named(id);
            return file is null ? Hold.NoSuchFile : HoldLocked(file) ? Hold.Held : Hold.Closed;
        }
    }

    /// <summary>Holds <paramref name="file"/> for one read; false when it was removed or its handle closed.</summary>
    public bool TryHold(IoFile file)
    {
        lock (_gate)
        {
            return !file.Removed && HoldLocked(file);
        }
    }

    /// <summary>Ends a read's hold; a removed file's last one gives its slot back.</summary>
    public void Release(IoFile file)
    {
        lock (_gate)
        {
            file.Handle.DangerousRelease();
            if (--file.Holds == 0 && file.Removed)
            {
                Free(file);
            }
        }
    }

    /// <summary>Removes the file named <paramref name="id"/>; false when no file has that id.</summary>
    public bool Remove(uint id)
    {
        lock (_gate)
        {
            if (Named(id) is not { } file)
            {
                return false;
            }

            RemoveLocked(file);
            return true;
        }
    }

    /// <summary>Removes <paramref name="file"/> (again is nothing).</summary>
    public void Remove(IoFile file)
    {
        lock (_gate)
        {
            if (!file.Removed)
            {
                RemoveLocked(file);
            }
        }
    }

    /// <summary>
    /// After its file system refused an O_DIRECT read (EINVAL): reopens a file the table opened without O_DIRECT, for
    /// all its later reads. False when it cannot (a caller's handle, or the reopen failed): the read's error stands.
    /// </summary>
    public bool TryReopenBuffered(IoFile file)
    {
        if (!file.Direct || !file.Owned || file.Path is null || RegularFiles.Open(file.Path, 0, out int fd, out _, out _) != 0)
        {
            return false;
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);
        lock (_gate)
        {
            try
            {
                _engine.SetFixedFile(file.Slot, fd);
            }
            catch (IoUringException)
            {
                handle.Dispose();
                return false;
            }

            // The holds move to the new handle and the old descriptor closes now: an io_uring read in flight keeps the kernel's
            // own reference to its file, and a positional read looks the fixed slot up only when it runs (the new descriptor).
            SafeFileHandle old = file.Handle;
            file.Handle = handle;
            file.Direct = false;
            for (int i = 0; i < file.Holds; i++)
            {
                bool added = false;
                handle.DangerousAddRef(ref added);
                old.DangerousRelease();
            }

            old.Dispose();
        }

        VyreLog.DirectReadRefused(_log, file.Name);
        return true;
    }

    /// <summary>Closes every handle the table opened; later adds throw. Call once no read is in flight.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            for (int i = 0; i < _slots.Length; i++)
            {
                if (_slots[i] is { } file)
                {
                    _slots[i] = null;
                    if (file.Owned)
                    {
                        file.Handle.Dispose();
                    }
                }
            }

            _used = 0;
        }
    }

    private int TryAdd(SafeFileHandle handle, bool owned, string name, string? path, long size, bool direct, out IoFile? file, out string refusal)
    {
        file = null;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            int slot = Array.IndexOf(_slots, null);
            if (slot < 0)
            {
                refusal = $"All {_slots.Length} file slots are in use.";
                return EMFILE;
            }

            try
            {
                _engine.SetFixedFile(slot, (int)handle.DangerousGetHandle());
            }
            catch (IoUringException e)
            {
                refusal = $"'{name}': {e.Message}";
                return e.Errno;
            }

            uint id = (_generations[slot] << _slotBits) | (uint)slot;
            file = new IoFile(id, slot, handle, owned, name, path, size, direct);
            _slots[slot] = file;
            _used++;
            refusal = string.Empty;
            return 0;
        }
    }

    /// <summary>The file (not removed) whose whole id, slot and generation, is <paramref name="id"/>; null for any other id.</summary>
    private IoFile? Named(uint id)
    {
        uint slot = id & ((1u << _slotBits) - 1);
        return slot < (uint)_slots.Length && _slots[slot] is { Removed: false } file && file.Id == id ? file : null;
    }

    private static bool HoldLocked(IoFile file)
    {
        if (file.Handle.IsClosed)
        {
            return false;
        }

        try
        {
            bool added = false;
            file.Handle.DangerousAddRef(ref added);
            if (added)
            {
                file.Holds++;
            }

            return added;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }

    private void RemoveLocked(IoFile file)
    {
        file.Removed = true;
        if (file.Holds == 0)
        {
            Free(file);
        }
    }

    /// <summary>Gives a removed file's slot back: the fixed file cleared, a handle the table opened closed, a new generation.</summary>
    private void Free(IoFile file)
    {
        if (!ReferenceEquals(_slots[file.Slot], file))
        {
            return; // Disposed meanwhile.
        }

        try
        {
            _engine.SetFixedFile(file.Slot, -1);
        }
        catch (IoUringException)
        {
            // The next file put in this slot replaces it; reads in flight hold their own reference in the kernel.
        }
        catch (ObjectDisposedException)
        {
            // The engine is gone with its table.
        }

        if (file.Owned)
        {
            file.Handle.Dispose();
        }

        _slots[file.Slot] = null;
        _generations[file.Slot] = (_generations[file.Slot] + 1) & (uint.MaxValue >> _slotBits);
        _used--;
    }
}
