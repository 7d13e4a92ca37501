using System;
using System.IO;
using System.IO.Pipes;
using System.Runtime.InteropServices;
using NUnit.Framework;
using Vyre.IoUring;

namespace Vyre.Runtime.Tests;

/// <summary>The io_uring binding on its own: completions matched by user_data, probing, clear setup errors.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed unsafe class IoUringRingTests
{
    [OneTimeSetUp]
    public void Require() => IoUringAvailability.Require();

    [Test]
    public void Completions_arrive_out_of_order_and_are_matched_by_user_data()
    {
        string path = Path.GetTempFileName();
        File.WriteAllBytes(path, [1, 2, 3, 4, 5, 6, 7, 8]);
        using var pipe = new AnonymousPipeServerStream(PipeDirection.In);
        using var writer = new AnonymousPipeClientStream(PipeDirection.Out, pipe.ClientSafePipeHandle);
        using Microsoft.Win32.SafeHandles.SafeFileHandle file = File.OpenHandle(path);
        byte* buffer = (byte*)NativeMemory.AlignedAlloc(8192, 4096);
        try
        {
            using IoUringRing ring = IoUringRing.Create(8);
            int pipeFd = (int)pipe.SafePipeHandle.DangerousGetHandle();
            int fileFd = (int)file.DangerousGetHandle();
            Assert.That(ring.TryQueueRead(pipeFd, fixedFile: false, (nint)buffer, 16, ulong.MaxValue, bufferIndex: -1, userData: 111), Is.True);
            Assert.That(ring.TryQueueRead(fileFd, fixedFile: false, (nint)(buffer + 4096), 8, 0, bufferIndex: -1, userData: 222), Is.True);
            ring.Submit(waitFor: 1, TimeSpan.FromSeconds(5));
            Assert.That(ring.TryReap(out ulong first, out int firstResult), Is.True);
            Assert.That((first, firstResult), Is.EqualTo((222ul, 8)), "the file read, queued second, completes first");
            Assert.That(new Span<byte>(buffer + 4096, 8).ToArray(), Is.EqualTo(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }));
            Assert.That(ring.TryReap(out _, out _), Is.False, "the pipe read waits for data");

            writer.Write([9, 9, 9]);
            writer.Flush();
            ring.Submit(waitFor: 1, TimeSpan.FromSeconds(5));
            Assert.That(ring.TryReap(out ulong second, out int secondResult), Is.True);
            Assert.That((second, secondResult), Is.EqualTo((111ul, 3)));
        }
        finally
        {
            NativeMemory.AlignedFree(buffer);
            File.Delete(path);
        }
    }

    [Test]
    public void Probing_finds_the_reads_the_sidecar_uses()
    {
        using IoUringRing ring = IoUringRing.Create(4);
        Assert.That(ring.Supports(4), Is.True, "READ_FIXED");
        Assert.That(ring.Supports(22), Is.True, "READ");
        Assert.That(ring.SubmissionEntries, Is.GreaterThanOrEqualTo(4));
    }

    [Test]
    public void Timed_waits_return_when_nothing_completes()
    {
        using IoUringRing ring = IoUringRing.Create(4);
        Assume.That(ring.HasTimedWait, "this kernel has IORING_FEAT_EXT_ARG");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.That(ring.Submit(waitFor: 1, TimeSpan.FromMilliseconds(20)), Is.Zero, "nothing submitted; the wait ends at its timeout");
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)), "a bounded wait, not a hang");
        Assert.That(ring.TryReap(out _, out _), Is.False);
    }

    [TestCase(1, "kernel.io_uring_disabled")]
    [TestCase(38, "ENOSYS")]
    public void Setup_errors_name_the_cause_and_the_fix(int errno, string cause)
    {
        IoUringException error = IoUringException.ForSetup(errno);
        Assert.That(error.Message, Does.Contain(cause).And.Contain("Fix:"));
        Assert.That(error.Errno, Is.EqualTo(errno));
    }
}
