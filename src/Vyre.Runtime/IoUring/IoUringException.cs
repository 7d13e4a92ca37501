using System;

namespace Vyre.IoUring;

/// <summary>An io_uring call failed; <see cref="Errno"/> is the kernel's error number.</summary>
public sealed class IoUringException : Exception
{
    /// <summary>Creates the exception with a message that names the cause and the fix.</summary>
    public IoUringException(string message, int errno)
        : base(message) => Errno = errno;

    /// <summary>The kernel's error number (ENOSYS, EPERM, ...).</summary>
    public int Errno { get; }

    /// <summary>The C library's text for an errno, such as a read fault's detail word ("Is a directory").</summary>
    public static string Describe(int errno) => IoUringNative.Describe(errno);

    internal static IoUringException ForSetup(int errno)
    {
        string why = IoUringNative.Describe(errno);
        return errno switch
        {
            IoUringNative.ENOSYS => new($"io_uring is unavailable: io_uring_setup failed with ENOSYS ({why}). The kernel is older than 5.1 or was built without CONFIG_IO_URING, or a seccomp profile (some container runtimes) blocks the call. Fix: run on Linux 5.11 or newer outside such a sandbox.", errno),
            IoUringNative.EPERM or IoUringNative.EACCES => new($"io_uring is disabled: io_uring_setup failed with {(errno == IoUringNative.EPERM ? "EPERM" : "EACCES")} ({why}); the kernel setting kernel.io_uring_disabled is {DisabledSetting()}. Fix: 'sysctl -w kernel.io_uring_disabled=0', or set it to 1 and add this user to the group in kernel.io_uring_group.", errno),
            _ => new($"io_uring_setup failed with errno {errno} ({why}). Fix: check 'ulimit -l' (locked memory) and the ring size; a smaller StreamOptions.Depth needs less.", errno),
        };
    }

    internal static IoUringException ForCall(string call, int errno) =>
        new($"{call} failed with errno {errno} ({IoUringNative.Describe(errno)}).", errno);

    private static string DisabledSetting()
    {
        try
        {
            return System.IO.File.ReadAllText("/proc/sys/kernel/io_uring_disabled").Trim();
        }
        catch (Exception e) when (e is System.IO.IOException or UnauthorizedAccessException)
        {
            return "unreadable (/proc/sys/kernel/io_uring_disabled)";
        }
    }
}
