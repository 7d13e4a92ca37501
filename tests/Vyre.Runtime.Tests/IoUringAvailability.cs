using NUnit.Framework;
using Vyre.IoUring;

namespace Vyre.Runtime.Tests;

/// <summary>Skips io_uring tests, with the kernel's reason, on a machine where io_uring is unavailable or disabled.</summary>
internal static class IoUringAvailability
{
    public static void Require()
    {
        if (!IoUringRing.IsAvailable(out string reason))
        {
            Assert.Ignore("io_uring is unavailable on this machine, so the sidecar tests cannot run: " + reason);
        }
    }
}
