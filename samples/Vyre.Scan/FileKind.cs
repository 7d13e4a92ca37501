using System.Runtime.InteropServices;

namespace Vyre.Scan;

/// <summary>What kind of file system entry a path is, through statx (the link itself, not its target).</summary>
internal static partial class FileKind
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxType = 0x1;

    /// <summary>Null for a regular file, a directory or a path that cannot be examined; else what it is ("FIFO", "socket", ...).</summary>
    public static unsafe string? Of(string path)
    {
        // struct statx is 256 bytes; stx_mode is the 16-bit word at offset 28.
        byte* buffer = stackalloc byte[256];
        if (Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxType, buffer) != 0)
        {
            return null;
        }

        return (*(ushort*)(buffer + 28) & 0xF000) switch
        {
            0x1000 => "FIFO",
            0x2000 => "character device",
            0x6000 => "block device",
            0xC000 => "socket",
            0xA000 => "symbolic link",
            _ => null,
        };
    }

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Statx(int directory, string path, int flags, uint mask, byte* buffer);
}
