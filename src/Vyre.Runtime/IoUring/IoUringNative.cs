using System.Runtime.InteropServices;

namespace Vyre.IoUring;

/// <summary>
/// The Linux calls and kernel ABI structures of io_uring (include/uapi/linux/io_uring.h), reached
/// through libc's <c>syscall</c>, <c>mmap</c> and <c>open</c>. Nothing here allocates or keeps state.
/// </summary>
internal static unsafe partial class IoUringNative
{
    public const long SysSetup = 425;
    public const long SysEnter = 426;
    public const long SysRegister = 427;

    public const uint SetupSqPoll = 1u << 1;
    public const uint SetupClamp = 1u << 4;

    public const uint FeatSingleMmap = 1u << 0;
    public const uint FeatExtArg = 1u << 8;

    public const uint EnterGetEvents = 1u << 0;
    public const uint EnterSqWakeup = 1u << 1;
    public const uint EnterExtArg = 1u << 3;

    public const uint SqNeedWakeup = 1u << 0;

    public const uint RegBuffers = 0;
    public const uint RegFiles = 2;
    public const uint RegFilesUpdate = 6;
    public const uint RegProbe = 8;

    public const byte OpReadFixed = 4;
    public const byte OpAsyncCancel = 14;
    public const byte OpRead = 22;

    public const byte SqeFixedFile = 1 << 0;

    /// <summary>IOSQE_ASYNC: always run the request in the kernel's io workers, never inline at submit.</summary>
    public const byte SqeAsync = 1 << 4;

    public const long OffSqRing = 0;
    public const long OffCqRing = 0x8000000;
    public const long OffSqes = 0x10000000;

    public const int ProtReadWrite = 0x1 | 0x2;
    public const int MapSharedPopulate = 0x01 | 0x8000;

    public const int ORdOnly = 0;
    public const int ONonBlock = 0x800;
    public const int OCloExec = 0x80000;

    public const int FGetFl = 3;
    public const int FSetFl = 4;

    public const uint ModeTypeMask = 0xF000;
    public const uint ModeFifo = 0x1000;
    public const uint ModeCharDevice = 0x2000;
    public const uint ModeDirectory = 0x4000;
    public const uint ModeBlockDevice = 0x6000;
    public const uint ModeRegular = 0x8000;
    public const uint ModeSymlink = 0xA000;
    public const uint ModeSocket = 0xC000;

    public const int EINTR = 4;
    public const int EBADF = 9;
    public const int EAGAIN = 11;
    public const int ENOMEM = 12;
    public const int EMFILE = 24;
    public const int EACCES = 13;
    public const int EBUSY = 16;
    public const int EISDIR = 21;
    public const int EINVAL = 22;
    public const int ESPIPE = 29;
    public const int ENOSYS = 38;
    public const int ETIME = 62;
    public const int EOPNOTSUPP = 95;
    public const int ECANCELED = 125;
    public const int EPERM = 1;

    /// <summary>O_DIRECT differs by architecture.</summary>
    public static int ODirect => RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x10000 : 0x4000;

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    public static partial long Syscall(long number, nint a1, nint a2, nint a3, nint a4, nint a5, nint a6);

    /// <summary>statx differs by architecture; its struct does not.</summary>
    public static long SysStatx => RuntimeInformation.ProcessArchitecture is Architecture.Arm64 ? 291 : 332;

    /// <summary>Size and file type of an open descriptor, through statx(fd, "", AT_EMPTY_PATH); 0 or an errno.</summary>
    public static int StatDescriptor(int fd, out long size, out uint mode)
    {
        const int AtEmptyPath = 0x1000;
        byte empty = 0;
        return Statx(fd, &empty, AtEmptyPath, out size, out mode, out _);
    }

    /// <summary>Size and file type of <paramref name="path"/> (symbolic links followed), without opening it; 0 or an errno.</summary>
    public static int StatPath(string path, out long size, out uint mode) => StatPath(path, out size, out mode, out _);

    /// <summary>Size, file type and owner of <paramref name="path"/> (symbolic links followed), without opening it; 0 or an errno.</summary>
    public static int StatPath(string path, out long size, out uint mode, out uint owner)
    {
        const int AtFdCwd = -100;
        int bytes = System.Text.Encoding.UTF8.GetMaxByteCount(path.Length) + 1;
        byte[] name = new byte[bytes];
        int written = System.Text.Encoding.UTF8.GetBytes(path, name);
        name[written] = 0;
        fixed (byte* p = name)
        {
            return Statx(AtFdCwd, p, 0, out size, out mode, out owner);
        }
    }

    /// <summary>The file system type (statfs f_type) of an open descriptor, or 0 when fstatfs fails.</summary>
    public static long FileSystemType(int fd)
    {
        byte* buffer = stackalloc byte[256];
        return Fstatfs(fd, (nint)buffer) == 0 ? *(long*)buffer : 0;
    }

    /// <summary>RLIMIT_MEMLOCK's soft limit in bytes (ulong.MaxValue: unlimited), or null when it cannot be read.</summary>
    public static ulong? LockedMemoryLimit()
    {
        const int RlimitMemlock = 8;
        ulong* limits = stackalloc ulong[2];
        return GetRLimit(RlimitMemlock, (nint)limits) == 0 ? limits[0] : null;
    }

    private static int Statx(int directory, byte* path, int flags, out long size, out uint mode, out uint owner)
    {
        const uint BasicStats = 0x7ff;
        byte* buffer = stackalloc byte[256];
        size = 0;
        mode = 0;
        owner = uint.MaxValue;
        if (Syscall(SysStatx, directory, (nint)path, flags, (nint)BasicStats, (nint)buffer, 0) < 0)
        {
            return Marshal.GetLastPInvokeError();
        }

        owner = *(uint*)(buffer + 20);
        mode = *(ushort*)(buffer + 28);
        size = *(long*)(buffer + 40);
        return 0;
    }

    /// <summary>The effective user id of this process.</summary>
    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint EffectiveUserId();

    [LibraryImport("libc", EntryPoint = "fstatfs", SetLastError = true)]
    private static partial int Fstatfs(int fd, nint buffer);

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int GetRLimit(int resource, nint limits);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    public static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    public static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, long offset);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    public static partial int Munmap(nint address, nuint length);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "pread", SetLastError = true)]
    public static partial long Pread(int fd, nint buffer, nuint count, long offset);

    [LibraryImport("libc", EntryPoint = "strerror")]
    private static partial nint StrError(int errno);

    /// <summary>The C library's text for <paramref name="errno"/>, e.g. "No such file or directory".</summary>
    public static string Describe(int errno) => Marshal.PtrToStringUTF8(StrError(errno)) ?? "errno " + errno;

    [StructLayout(LayoutKind.Sequential)]
    public struct SqRingOffsets
    {
        public uint Head, Tail, RingMask, RingEntries, Flags, Dropped, Array, Resv1;
        public ulong UserAddr;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct CqRingOffsets
    {
        public uint Head, Tail, RingMask, RingEntries, Overflow, Cqes, Flags, Resv1;
        public ulong UserAddr;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct Params
    {
        public uint SqEntries, CqEntries, Flags, SqThreadCpu, SqThreadIdle, Features, WqFd;
        public uint Resv0, Resv1, Resv2;
        public SqRingOffsets SqOff;
        public CqRingOffsets CqOff;
    }

    /// <summary>A submission queue entry: 64 bytes.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 64)]
    public struct Sqe
    {
        [FieldOffset(0)] public byte Opcode;
        [FieldOffset(1)] public byte Flags;
        [FieldOffset(2)] public ushort IoPrio;
        [FieldOffset(4)] public int Fd;
        [FieldOffset(8)] public ulong Offset;
        [FieldOffset(16)] public ulong Address;
        [FieldOffset(24)] public uint Length;
        [FieldOffset(28)] public uint OpFlags;
        [FieldOffset(32)] public ulong UserData;
        [FieldOffset(40)] public ushort BufferIndex;
    }

    /// <summary>A completion queue entry: 16 bytes.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Cqe
    {
        public ulong UserData;
        public int Result;
        public uint Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public nint Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct FilesUpdate
    {
        public uint Offset;
        public uint Resv;
        public ulong Fds;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct GetEventsArg
    {
        public ulong SigMask;
        public uint SigMaskSize;
        public uint Pad;
        public ulong Timespec;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct KernelTimespec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
