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
            IoUringNative.ENOMEM => new($"io_uring_setup failed with ENOMEM ({why}): the rings did not fit in the locked-memory limit RLIMIT_MEMLOCK ({LockedMemoryLimit()}; kernels before 5.12 count the rings against it). Fix: raise it ('ulimit -l', memlock in /etc/security/limits.conf, LimitMEMLOCK= for a systemd service), or lower StreamOptions.Depth.", errno),
            _ => new($"io_uring_setup failed with errno {errno} ({why}). Fix: check 'ulimit -l' (locked memory, RLIMIT_MEMLOCK: {LockedMemoryLimit()}) and the ring size; a smaller StreamOptions.Depth needs less.", errno),
        };
    }

    internal static IoUringException ForCall(string call, int errno) => errno == IoUringNative.ENOMEM
        ? new($"{call} failed with ENOMEM ({IoUringNative.Describe(errno)}): pinned memory counts against the locked-memory limit RLIMIT_MEMLOCK ({LockedMemoryLimit()}). Fix: raise it ('ulimit -l', memlock in /etc/security/limits.conf, LimitMEMLOCK= for a systemd service), or use less memory.", errno)
        : new($"{call} failed with errno {errno} ({IoUringNative.Describe(errno)}).", errno);

    /// <summary>
    /// The one log line of an io loop whose buffers the locked-memory limit would not pin: it reads with plain
    /// io_uring READ into the same memory instead (still no host copy), and how to get READ_FIXED back.
    /// </summary>
    internal static string LockedMemoryFallback(string what, long bytes) =>
        $"vyre: io_uring could not pin the {what} ({bytes / 1024} KiB) for READ_FIXED: the locked-memory limit RLIMIT_MEMLOCK is {LockedMemoryLimit()}. Reading with plain io_uring READ into the same memory instead (no host copy; the kernel maps the pages per read). Fix, for READ_FIXED: raise the limit ('ulimit -l', memlock in /etc/security/limits.conf, LimitMEMLOCK= for a systemd service) or grant CAP_IPC_LOCK.";

    /// <summary>RLIMIT_MEMLOCK in words, e.g. "8192 KiB ('ulimit -l' says 8192)".</summary>
    internal static string LockedMemoryLimit() => IoUringNative.LockedMemoryLimit() switch
    {
        null => "unknown",
        ulong.MaxValue => "unlimited",
        ulong bytes => $"{bytes / 1024} KiB ('ulimit -l' says {bytes / 1024})",
    };

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
