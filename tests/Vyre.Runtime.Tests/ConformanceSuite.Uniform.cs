using System;
using System.Linq;
using System.Threading;
using NUnit.Framework;

namespace Vyre.Runtime.Tests;

/// <summary>Uniform batches: packed argument words in, packed result words out (docs/bulk-path.md).</summary>
public abstract partial class ConformanceSuite
{
    [Test]
    public void A_uniform_batch_gives_each_slot_its_own_words_and_the_template_the_rest()
    {
        const int Count = 100;
        uint[] args = [.. Enumerable.Range(0, Count * 2).Select(i => (uint)(1000 + i))];
        var template = new SlotRequest(TestKernels.Opcodes.ReadBack, 0, 0, 0, 0, 0, 70);
        SlotBatch batch = _host.PublishBatch(template, args, argsPerSlot: 2);
        Assert.That(batch.Count, Is.EqualTo(Count));

        var states = new SlotState[Count];
        uint[] results = new uint[Count * 6];
        Assert.That(_host.WaitBatch(batch, states, results, resultsPerSlot: 6), Is.Zero, "no slot faulted");
        Assert.That(states, Is.All.EqualTo(SlotState.Done));
        for (int i = 0; i < Count; i++)
        {
            // ReadBack: result 0 = arg 1, result 1 = arg 0 after that write, result 5 = arg 5 + 1 (the template's word).
            uint second = args[(2 * i) + 1];
            Assert.That(results.AsSpan(i * 6, 6).ToArray(), Is.EqualTo(new uint[] { second, second, 0, 0, 0, 71 }), $"slot {i}");
        }
    }

    [Test]
    public void A_uniform_batch_reports_faults_with_their_codes_and_counts_them()
    {
        uint[] details = [5, 6, 7];
        SlotBatch batch = _host.PublishBatch(new SlotRequest(TestKernels.Opcodes.Reject), details, argsPerSlot: 1);
        var states = new SlotState[3];
        uint[] results = new uint[3 * 2];
        Assert.That(_host.WaitBatch(batch, states, results, resultsPerSlot: 2), Is.EqualTo(3));
        Assert.That(states, Is.All.EqualTo(SlotState.Fault));
        Assert.That(results, Is.EqualTo(new uint[] { (uint)FaultCode.HandlerFault, 5, (uint)FaultCode.HandlerFault, 6, (uint)FaultCode.HandlerFault, 7 }));
    }

    [Test]
    public void A_uniform_batch_can_be_waited_for_as_slot_results_and_with_no_result_words()
    {
        uint[] args = [.. Enumerable.Range(0, 40).Select(i => (uint)i)];
        var template = new SlotRequest(TestKernels.Opcodes.Increment);
        var results = new SlotResult[40];
        _host.WaitBatch(_host.PublishBatch(template, args, 1), results);
        Assert.That(results.Select((r, i) => r.IsDone && r[0] == (uint)i + 1).All(x => x), string.Join(", ", results.Take(5)));

        Assert.That(_host.TryPublishBatch(template, args, 1, out SlotBatch batch), Is.True);
        var states = new SlotState[40];
        Assert.That(_host.WaitBatch(batch, states, Span<uint>.Empty, resultsPerSlot: 0), Is.Zero);
        Assert.That(states, Is.All.EqualTo(SlotState.Done));
    }

    [Test]
    public void A_bad_uniform_batch_is_refused_with_a_fix_and_publishes_nothing()
    {
        long before = _host.Telemetry().Published;
        var template = new SlotRequest(TestKernels.Opcodes.Increment);
        Assert.That(() => _host.PublishBatch(template, [1, 2, 3], argsPerSlot: 2), Throws.ArgumentException.With.Message.Contains("Fix:"), "not a whole number of slots");
        Assert.That(() => _host.PublishBatch(template, ReadOnlySpan<uint>.Empty, argsPerSlot: 1), Throws.ArgumentException.With.Message.Contains("Fix:"), "empty");
        Assert.That(() => _host.PublishBatch(template, [1], argsPerSlot: 0), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("Fix:"));
        Assert.That(() => _host.PublishBatch(template, new uint[13], argsPerSlot: 13), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("Fix:"));
        Assert.That(() => _host.TryPublishBatch(template, new uint[_host.SlotCount + 1], 1, out _), Throws.ArgumentException.With.Message.Contains("Fix:"), "larger than the ring");
        Assert.That(() => _host.PublishBatch(template with { Tenant = 99 }, [1], 1), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("Fix:"), "the template is checked");
        Assert.That(() => _host.PublishBatch(new SlotRequest(Opcodes.Shutdown), [1], 1), Throws.ArgumentException.With.Message.Contains("Fix:"));

        // BATCH_FENCE's argument is checked per slot: the second slot's count does not fit the ring.
        Assert.That(() => _host.PublishBatch(new SlotRequest(Opcodes.BatchFence), [0, (uint)_host.SlotCount], 1), Throws.ArgumentException.With.Message.Contains("Fix:"));
        Assert.That(_host.Telemetry().Published, Is.EqualTo(before), "nothing was published");
    }

    [Test]
    public void A_uniform_wait_refuses_short_spans_a_second_wait_and_a_foreign_batch()
    {
        SlotBatch batch = _host.PublishBatch(new SlotRequest(TestKernels.Opcodes.Increment), [1, 2, 3], 1);
        Assert.That(() => _host.WaitBatch(batch, new SlotState[2], new uint[3], 1), Throws.ArgumentException.With.Message.Contains("states").And.Message.Contains("Fix:"));
        Assert.That(() => _host.WaitBatch(batch, new SlotState[3], new uint[5], 2), Throws.ArgumentException.With.Message.Contains("results").And.Message.Contains("Fix:"));
        Assert.That(() => _host.WaitBatch(batch, new SlotState[3], new uint[39], 13), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("Fix:"));
        Assert.That(() => _host.WaitBatch(default, new SlotState[3], new uint[3], 1), Throws.ArgumentException.With.Message.Contains("Fix:"));

        uint[] words = new uint[3];
        Assert.That(_host.WaitBatch(batch, new SlotState[3], words, 1), Is.Zero, "the refused waits left the batch waitable");
        Assert.That(words, Is.EqualTo(new uint[] { 2, 3, 4 }));
        Assert.That(() => _host.WaitBatch(batch, new SlotState[3], words, 1), Throws.InvalidOperationException.With.Message.Contains("Fix:"), "a batch is waited for once");
    }

    [Test]
    public void A_lone_slot_goes_to_the_express_line_tagged_and_a_batch_clears_it()
    {
        // CUDA's forwarder reads the line (on for Cuda's ring); here the host's side of it, on every backend.
        bool before = _host.Ring.ExpressWrites;
        _host.Ring.ExpressWrites = true;
        try
        {
            SlotBatch lone = _host.PublishBatch([new SlotRequest(TestKernels.Opcodes.ReadBack, 7, 8, 0, 0, 0, 9) { Priority = SlotPriority.High }]);
            ulong tag = (ulong)(uint)(lone.First + 1) << 32;
            ulong[] entries = _host.ExpressEntries.ToArray();
            Assert.That(entries, Is.EqualTo(new ulong[] { tag | TestKernels.Opcodes.ReadBack, tag, tag | (uint)SlotPriority.High, tag | 7, tag | 8, tag, tag, tag, tag | 9, tag, tag, tag, tag, tag, tag }));
            _host.WaitBatch(lone, new SlotResult[1]);

            SlotBatch batch = _host.PublishBatch(new SlotRequest(TestKernels.Opcodes.Increment), [1, 2], 1);
            Assert.That(_host.ExpressEntries[0], Is.Zero, "a batch clears the line's first entry");
            Assert.That(_host.WaitBatch(batch, new SlotState[2], new uint[2], 1), Is.Zero);
            Assert.That(_host.Submit(TestKernels.Opcodes.Increment, 5)[0], Is.EqualTo(6u));
        }
        finally
        {
            _host.Ring.ExpressWrites = before;
        }

        if (!before)
        {
            Assert.That(_host.ExpressEntries[0], Is.Zero, "turned off, the line is cleared");
        }
    }

    [Test]
    public void Lone_slots_run_from_the_express_line_where_the_device_reads_it_and_nowhere_else()
    {
        uint before = _host.ExpressServed;
        DateTime until = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        uint i = 0;
        do
        {
            Assert.That(_host.Submit(TestKernels.Opcodes.Increment, i)[0], Is.EqualTo(i + 1));
            i++;
        }
        while ((RunsLoneSlotsFromTheExpressLine ? _host.ExpressServed == before : i < 200) && DateTime.UtcNow < until);

        if (RunsLoneSlotsFromTheExpressLine)
        {
            Assert.That(_host.ExpressServed, Is.GreaterThan(before), $"none of {i} lone slots ran from the express line");
        }
        else
        {
            Assert.That(_host.ExpressServed, Is.Zero, "only CUDA's persistent forwarder reads the line");
        }
    }

    [Test]
    public void The_forwarders_first_read_count_takes_only_slots_that_came_right_after_an_answer()
    {
        // Slots that come long after the last answer (5 ms: thousands of the forwarder's reads) are never counted.
        uint before = SettledFirstReads();
        for (uint i = 0; i < 10; i++)
        {
            Thread.Sleep(5);
            Assert.That(_host.Submit(TestKernels.Opcodes.Increment, i)[0], Is.EqualTo(i + 1));
        }

        Assert.That(SettledFirstReads() - before, Is.Zero, "slots after a 5 ms gap counted as served from the first read after an answer");

        // Back to back, at most one count per slot; on CUDA's forwarder nearly every slot is counted once the host's
        // path is warm (98-99% on the H200, docs/latency.md), so none at all would mean the count is never taken. Nothing
        // slower than the ring's own path may run between the slots: an assertion per slot made every one of them miss.
        const int Slots = 2_000;
        int wrong = 0;
        for (uint i = 0; i < Slots; i++)
        {
            wrong += _host.Submit(TestKernels.Opcodes.Increment, i)[0] == i + 1 ? 0 : 1; // the host path's code warms up
        }

        before = SettledFirstReads();
        for (uint i = 0; i < Slots; i++)
        {
            wrong += _host.Submit(TestKernels.Opcodes.Increment, i)[0] == i + 1 ? 0 : 1;
        }

        uint counted = SettledFirstReads() - before;
        Assert.That(wrong, Is.Zero);
        Assert.That(counted, Is.LessThanOrEqualTo((uint)Slots), "one slot is served from one read at most");
        if (RunsLoneSlotsFromTheExpressLine)
        {
            Assert.That(counted, Is.GreaterThan(0u), $"none of {Slots} back-to-back slots was served from the first read after an answer");
        }

        // The forwarder republishes its counters every 128th iteration after a slot (about 150 µs when idle on a GPU; longer
        // on ILGPU's CPU accelerator): the count is taken once two readings 20 ms apart agree, within 2 s.
        uint SettledFirstReads()
        {
            DateTime until = DateTime.UtcNow + TimeSpan.FromSeconds(2);
            uint last = _host.FirstReadServed;
            while (true)
            {
                Thread.Sleep(20);
                uint now = _host.FirstReadServed;
                if (now == last || DateTime.UtcNow > until)
                {
                    return now;
                }

                last = now;
            }
        }
    }

    [Test]
    public void A_uniform_batch_checks_each_slots_arguments_not_the_templates()
    {
        // PACKED_SLOT: word 0 is the op count. The template's own word 0 (0, which alone would be refused) is never a slot's.
        uint[] packed = [1, TestKernels.Opcodes.Increment, 41, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        var states = new SlotState[1];
        uint[] results = new uint[3];
        Assert.That(_host.WaitBatch(_host.PublishBatch(new SlotRequest(Opcodes.PackedSlot), packed, 12), states, results, 3), Is.Zero, string.Join(", ", states));
        Assert.That(results[2], Is.EqualTo(42u), "the packed op's result replaces its argument");

        // BATCH_FENCE: the template's word 0 does not fit the ring, the slots' own words do.
        var fence = new SlotRequest(Opcodes.BatchFence, (uint)_host.SlotCount);
        Assert.That(_host.WaitBatch(_host.PublishBatch(fence, [0, 0], 1), new SlotState[2], new uint[2], 1), Is.Zero);
        uint[] secondBad = [1, TestKernels.Opcodes.Increment, 0, 9, 0, 0];
        Assert.That(() => _host.PublishBatch(new SlotRequest(Opcodes.PackedSlot), secondBad, 3), Throws.ArgumentException.With.Message.Contains("Slot 1 of the uniform batch").And.Message.Contains("Fix:"), "a slot's own count is checked");
    }
}
