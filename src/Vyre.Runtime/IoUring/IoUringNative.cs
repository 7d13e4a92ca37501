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

    public const long OffSqRing = 0;
    public const long OffCqRing = 0x8000000;
    public const long OffSqes = 0x10000000;

    public const int ProtReadWrite = 0x1 | 0x2;
    public const int MapSharedPopulate = 0x01 | 0x8000;

    public const int ORdOnly = 0;
    public const int OCloExec = 0x80000;

    public const int EINTR = 4;
    public const int EBADF = 9;
    public const int EAGAIN = 11;
    public const int EACCES = 13;
    public const int EBUSY = 16;
    public const int EISDIR = 21;
    public const int EINVAL = 22;
    public const int ENOSYS = 38;
    public const int ETIME = 62;
    public const int EPERM = 1;

    /// <summary>O_DIRECT differs by architecture.</summary>
    public static int ODirect => RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x10000 : 0x4000;

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    public static partial long Syscall(long number, nint a1, nint a2, nint a3, nint a4, nint a5, nint a6);

    /// <summary>statx differs by architecture; its struct does not.</summary>
    public static long SysStatx => RuntimeInformation.ProcessArchitecture is Architecture.Arm64 ? 291 : 332;

    /// <summary>Size and file type of an open descriptor, through statx(fd, "", AT_EMPTY_PATH); 0 or an errno.</summary>
    public static int StatDescriptor(int fd, out long size, out bool isDirectory)
    {
        const int AtEmptyPath = 0x1000;
        const uint BasicStats = 0x7ff;
        byte* buffer = stackalloc byte[256];
        byte empty = 0;
        size = 0;
        isDirectory = false;
        if (Syscall(SysStatx, fd, (nint)(&empty), AtEmptyPath, (nint)BasicStats, (nint)buffer, 0) < 0)
        {
            return Marshal.GetLastPInvokeError();
        }

        ushort mode = *(ushort*)(buffer + 28);
        isDirectory = (mode & 0xF000) == 0x4000;
        size = *(long*)(buffer + 40);
        return 0;
    }

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
