using System.Runtime.InteropServices;
using static Vyre.IoUring.IoUringNative;

namespace Vyre.IoUring;

/// <summary>
/// The one rule of the io sidecar for what it reads: a regular file, with a size statx can tell. Opening never
/// blocks: a path is checked with statx before it is opened (a FIFO, a device or a socket is never opened), then
/// opened with O_NONBLOCK (so a FIFO swapped in meanwhile cannot block the open either), checked again on the
/// descriptor, and only then made blocking again (io_uring would otherwise answer EAGAIN instead of waiting for
/// the disk). A regular file of size 0 on a pseudo file system (procfs, sysfs, ...) is refused too: its content
/// is made when read and its size says nothing about it.
/// </summary>
internal static class RegularFiles
{
    /// <summary>The alignment O_DIRECT needs of offsets, lengths and buffer addresses.</summary>
    public const int DirectAlignment = 4096;

    /// <summary><paramref name="bytes"/> rounded up to <see cref="DirectAlignment"/>: what an O_DIRECT read of them asks for.</summary>
    public static long RoundUpToDirect(long bytes) => (bytes + DirectAlignment - 1) / DirectAlignment * DirectAlignment;

    /// <summary>
    /// Opens <paramref name="path"/> read-only with <paramref name="extraFlags"/> (O_DIRECT, say) if it is a regular
    /// file. Returns 0 with the descriptor, or an errno with <paramref name="refusal"/> saying what went wrong.
    /// </summary>
    public static int Open(string path, int extraFlags, out int fd, out long size, out string refusal)
    {
        fd = -1;
        int errno = StatPath(path, out size, out uint mode);
        if (errno != 0)
        {
            refusal = $"'{path}' cannot be opened: {Describe(errno)} (errno {errno}).";
            return errno;
        }

        int refused = Refuse(path, mode, out refusal);
        if (refused != 0)
        {
            return refused;
        }

        fd = IoUringNative.Open(path, ORdOnly | OCloExec | ONonBlock | extraFlags, 0);
        if (fd < 0)
        {
            errno = Marshal.GetLastPInvokeError();
            refusal = $"'{path}' cannot be opened: {Describe(errno)} (errno {errno}).";
            return errno;
        }

        errno = Check(fd, path, out size, out refusal);
        if (errno == 0 && Fcntl(fd, FSetFl, Fcntl(fd, FGetFl, 0) & ~ONonBlock) < 0)
        {
            errno = Marshal.GetLastPInvokeError();
            refusal = $"'{path}': clearing O_NONBLOCK failed: {Describe(errno)} (errno {errno}).";
        }

        if (errno != 0)
        {
            _ = Close(fd);
            fd = -1;
        }

        return errno;
    }

    /// <summary>Checks an open descriptor: 0 with its size for a regular file, else an errno and what it is.</summary>
    public static int Check(int fd, string name, out long size, out string refusal)
    {
        int errno = StatDescriptor(fd, out size, out uint mode);
        if (errno != 0)
        {
            refusal = $"'{name}' cannot be read: {Describe(errno)} (errno {errno}).";
            return errno;
        }

        int refused = Refuse(name, mode, out refusal);
        if (refused != 0)
        {
            return refused;
        }

        if (size == 0 && PseudoFileSystem(FileSystemType(fd)) is { } pseudo)
        {
            refusal = $"'{name}' is a file on {pseudo}, which reports size 0 and makes its content when read; Vyre reads a file up to the size statx gives. Fix: copy it to a regular file first (cp {name} /tmp/...).";
            return EOPNOTSUPP;
        }

        refusal = string.Empty;
        return 0;
    }

    /// <summary>What a file of mode <paramref name="mode"/> is, in words ("a FIFO (named pipe)", ...).</summary>
    public static string Kind(uint mode) => (mode & ModeTypeMask) switch
    {
        ModeRegular => "a regular file",
        ModeDirectory => "a directory",
        ModeFifo => "a FIFO (named pipe)",
        ModeCharDevice => "a character device",
        ModeBlockDevice => "a block device",
        ModeSocket => "a socket",
        ModeSymlink => "a symbolic link",
        _ => $"a file of unknown type (mode 0x{mode:x})",
    };

    /// <summary>0 for a regular file; else the errno a chunk or a registration fails with, and why.</summary>
    private static int Refuse(string name, uint mode, out string refusal)
    {
        uint type = mode & ModeTypeMask;
        if (type == ModeRegular)
        {
            refusal = string.Empty;
            return 0;
        }

        refusal = $"'{name}' is {Kind(mode)}, not a regular file: Vyre reads regular files by offset up to their size. Fix: pass regular files only.";
        return type switch
        {
            ModeDirectory => EISDIR,
            ModeFifo or ModeSocket => ESPIPE,
            _ => EOPNOTSUPP,
        };
    }

    /// <summary>The name of a pseudo file system whose files' sizes say nothing of their content, or null.</summary>
    private static string? PseudoFileSystem(long type) => type switch
    {
        0x9fa0 => "procfs (/proc)",
        0x62656572 => "sysfs (/sys)",
        0x64626720 => "debugfs",
        0x74726163 => "tracefs",
        0x62656570 => "configfs",
        0x73636673 => "securityfs",
        0x27e0eb => "cgroupfs",
        0x63677270 => "cgroup2",
        0xde5e81e4 => "efivarfs",
        0x6e736673 => "nsfs",
        _ => null,
    };
}
