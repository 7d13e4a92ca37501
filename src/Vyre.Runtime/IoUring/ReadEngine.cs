using System;
using Microsoft.Extensions.Logging;
using Vyre.Logging;

namespace Vyre.IoUring;

/// <summary>Creates the read engine <see cref="IoReads"/> asks for.</summary>
internal static class ReadEngine
{
    /// <summary>
    /// An engine of at least <paramref name="entries"/> queued reads. For <see cref="IoReads.IoUring"/> an
    /// unavailable io_uring (or one without READ_FIXED) throws <see cref="IoUringException"/> with the cause;
    /// for <see cref="IoReads.IoUringElsePositional"/> it is logged and positional reads take over.
    /// </summary>
    public static IReadEngine Create(IoReads reads, int entries, bool sqPoll, ILogger log)
    {
        if (reads == IoReads.Positional)
        {
            return new PositionalReads(entries);
        }

        try
        {
            IoUringRing ring = IoUringRing.Create(entries, sqPoll);
            if (!ring.Supports(IoUringNative.OpReadFixed))
            {
                ring.Dispose();
                throw new IoUringException("This kernel's io_uring lacks READ_FIXED (IORING_OP_READ_FIXED). Fix: run on Linux 5.6 or newer, or ask for IoReads.Positional.", IoUringNative.ENOSYS);
            }

            return ring;
        }
        catch (Exception e) when (reads == IoReads.IoUringElsePositional && e is IoUringException or PlatformNotSupportedException)
        {
            VyreLog.PositionalReads(log, e.Message);
            return new PositionalReads(entries);
        }
    }
}
