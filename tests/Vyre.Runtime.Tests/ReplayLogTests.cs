using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using NUnit.Framework;

namespace Vyre.Runtime.Tests;

/// <summary>The replay log: what a host published, read back and published again; damaged logs; a failing stream.</summary>
public sealed class ReplayLogTests
{
    [Test]
    public async Task A_recorded_run_replays_to_the_same_results_on_a_fresh_host()
    {
        var log = new MemoryStream();
        SlotRequest[] requests =
        [
            new SlotRequest(TestKernels.Opcodes.Increment, 41),
            new SlotRequest(TestKernels.Opcodes.WhoAmI) { Tenant = 3, Priority = SlotPriority.High },
            .. Enumerable.Range(0, 20).Select(i => new SlotRequest(TestKernels.Opcodes.Increment, (uint)i * 7)),
        ];
        SlotResult[] original = new SlotResult[requests.Length];
        await using (MegakernelHost host = await TestKernels.StartAsync(BackendOptions.Managed(64)))
        {
            host.SetTenantPermissions(3, TenantPermissions.User);
            using (ReplayRecorder recorder = host.RecordTo(log))
            {
                original[0] = host.Submit(requests[0]);
                original[1] = await host.SubmitAsync(requests[1]);
                host.WaitBatch(host.PublishBatch(requests.AsSpan(2)), original.AsSpan(2));
                Assert.That(recorder.Records, Is.EqualTo(requests.Length));
                Assert.That(() => host.RecordTo(new MemoryStream()), Throws.InvalidOperationException.With.Message.Contains("Fix:"));
            }

            host.Submit(new SlotRequest(TestKernels.Opcodes.Increment, 1));
            Assert.That(() => host.RecordTo(new MemoryStream()).Dispose(), Throws.Nothing, "recording can start again once the last one stopped");
        }

        log.Position = 0;
        var records = ReplayLog.Read(log);
        Assert.That(records.Select(r => r.Sequence), Is.Ordered.Ascending);
        Assert.That(records.Select(r => (r.Request.Opcode, r.Request.Tenant, r.Request.Priority, r.Request.Args[0])), Is.EqualTo(requests.Select(r => (r.Opcode, r.Tenant, r.Priority, r.Args[0]))), "the slot after Dispose is not in it");

        log.Position = 0;
        await using MegakernelHost fresh = await TestKernels.StartAsync(BackendOptions.Managed(64));
        fresh.SetTenantPermissions(3, TenantPermissions.User);
        SlotResult[] replayed = ReplayLog.Replay(fresh, log);
        Assert.That(replayed.Select(r => (r.State, r[0])), Is.EqualTo(original.Select(r => (r.State, r[0]))));
    }

    [Test]
    public async Task A_uniform_batch_is_recorded_slot_by_slot_with_the_template_words()
    {
        var log = new MemoryStream();
        await using (MegakernelHost host = await TestKernels.StartAsync(BackendOptions.Managed(64)))
        using (ReplayRecorder recorder = host.RecordTo(log))
        {
            var template = new SlotRequest(TestKernels.Opcodes.ReadBack, 0, 0, 0, 0, 0, 9) { Priority = SlotPriority.Low };
            host.WaitBatch(host.PublishBatch(template, [10, 11, 20, 21, 30, 31], argsPerSlot: 2), new SlotResult[3]);
            Assert.That(recorder.Records, Is.EqualTo(3));
        }

        log.Position = 0;
        var records = ReplayLog.Read(log);
        Assert.That(records.Select(r => (r.Request.Opcode, r.Request.Priority, r.Request.Args[0], r.Request.Args[1], r.Request.Args[5])), Is.EqualTo(new[]
        {
            (TestKernels.Opcodes.ReadBack, SlotPriority.Low, 10u, 11u, 9u),
            (TestKernels.Opcodes.ReadBack, SlotPriority.Low, 20u, 21u, 9u),
            (TestKernels.Opcodes.ReadBack, SlotPriority.Low, 30u, 31u, 9u),
        }));
    }

    [Test]
    public void A_damaged_log_says_what_is_wrong()
    {
        Assert.That(() => ReplayLog.Read(new MemoryStream(new byte[40])), Throws.InstanceOf<InvalidDataException>().With.Message.Contains("not a Vyre replay log").And.Message.Contains("Fix:"));
        byte[] header = [0x56, 0x59, 0x52, 0x4C, 9, 0, 0, 0, ReplayLog.RecordWords, 0, 0, 0, 0, 0, 0, 0];
        Assert.That(() => ReplayLog.Read(new MemoryStream(header)), Throws.InstanceOf<InvalidDataException>().With.Message.Contains("version 9"));
        header[4] = (byte)ReplayLog.Version;
        Assert.That(ReplayLog.Read(new MemoryStream(header)), Is.Empty, "a header alone is an empty log");
        byte[] cut = [.. header, .. new byte[ReplayLog.RecordBytes - 1]];
        Assert.That(() => ReplayLog.Read(new MemoryStream(cut)), Throws.InstanceOf<InvalidDataException>().With.Message.Contains("cut short"));
    }

    [Test]
    public async Task A_failing_log_stream_stops_the_recording_but_never_a_publish()
    {
        await using MegakernelHost host = await TestKernels.StartAsync(BackendOptions.Managed(64));
        Assert.That(() => host.RecordTo(new MemoryStream([], writable: false)), Throws.ArgumentException.With.Message.Contains("Fix:"));
        var failing = new FailAfter(ReplayLog.HeaderBytes);
        using ReplayRecorder recorder = host.RecordTo(failing);
        for (uint i = 0; i < 10; i++)
        {
            Assert.That(host.Submit(new SlotRequest(TestKernels.Opcodes.Increment, i))[0], Is.EqualTo(i + 1));
        }

        Assert.That(recorder.Failure, Is.InstanceOf<IOException>());
        Assert.That(recorder.Records, Is.Zero);
    }

    /// <summary>A stream that accepts <c>limit</c> bytes, then throws as a full disk would.</summary>
    private sealed class FailAfter(int limit) : MemoryStream
    {
        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (Length + buffer.Length > limit)
            {
                throw new IOException("No space left on device");
            }

            base.Write(buffer);
        }
    }
}
