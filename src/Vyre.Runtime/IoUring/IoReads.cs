namespace Vyre.IoUring;

/// <summary>How the io sidecar (streaming and LOAD_MISS) reads files.</summary>
public enum IoReads
{
    /// <summary>io_uring only (READ_FIXED into registered buffers, fixed files); where it is unavailable, start fails with the cause and the kernel setting.</summary>
    IoUring = 0,

    /// <summary>io_uring where available, else positional reads, with the reason in the log.</summary>
    IoUringElsePositional = 1,

    /// <summary>
    /// Positional reads (pread) on the io thread, still straight into the data buffer (no host copy), one at
    /// a time. A read of a file with no bytes yet (a pipe) blocks the io thread, and cancellation waits for it.
    /// </summary>
    Positional = 2,
}
