using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using NUnit.Framework;
using Vyre.Internals;

namespace Vyre.Runtime.Tests;

/// <summary>
/// The protocol every backend must keep. One sealed fixture per backend supplies the options; the host
/// is shared by the tests of a fixture, except those that stop it.
/// </summary>
public abstract partial class ConformanceSuite
{
    private MegakernelHost _host = null!;

    /// <summary>Options that select the backend under test.</summary>
    protected abstract MegakernelOptions Options(int slotCount = 1024);

    /// <summary>Slots the soak runs (10^6 where the backend is fast enough).</summary>
    protected abstract int SoakSlots { get; }

    /// <summary>Whether the device side runs lone slots from the express line (CUDA, persistent: docs/latency.md).</summary>
    protected virtual bool RunsLoneSlotsFromTheExpressLine => false;

    /// <summary>Called before the fixture starts: Assert.Ignore when the backend is not present.</summary>
    protected virtual void RequireBackend()
    {
    }

    [OneTimeSetUp]
    public async Task StartHost()
    {
        RequireBackend();
        _host = await TestKernels.StartAsync(Options());
    }

    [OneTimeTearDown]
    public async Task StopHost()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    [Test]
    public void Nop_completes_done()
    {
        SlotResult result = _host.Submit(Opcodes.Nop);
        Assert.That(result.State, Is.EqualTo(SlotState.Done));
    }

    [Test]
    public void A_result_replaces_its_argument_for_later_reads()
    {
        SlotResult result = _host.Submit(TestKernels.Opcodes.ReadBack, 7, 9, 0, 0, 0, 41);
        Assert.That((result[0], result[1], result[5]), Is.EqualTo((9u, 9u, 42u)), "Arg(0) after SetResult(0) is the result, in the first words and past them");
    }

    [Test]
    public void A_handler_hands_bytes_back_through_the_data_buffer()
    {
        _host.WriteData(8192, [1, 2, 3, 4]);
        Assert.That(_host.Submit(TestKernels.Opcodes.ReverseBytes, 8192, 4).IsDone);
        byte[] back = new byte[4];
        _host.ReadData(8192, back);
        Assert.That(back, Is.EqualTo(new byte[] { 4, 3, 2, 1 }), "what the handler wrote, read by the host");
    }

    [Test]
    public void Store_then_load_round_trips_through_the_heap()
    {
        Assert.That(_host.Submit(Opcodes.StoreU32, 10, 0xDEADBEEF).IsDone);
        Assert.That(_host.Submit(Opcodes.LoadU32, 10)[0], Is.EqualTo(0xDEADBEEF));
        uint[] heap = new uint[1];
        _host.ReadHeap(10, heap);
        Assert.That(heap[0], Is.EqualTo(0xDEADBEEF));
    }

    [Test]
    public void Atomic_add_returns_the_old_value_and_accumulates()
    {
        _host.WriteHeap(20, [5]);
        Assert.That(_host.Submit(Opcodes.AtomicAdd, 20, 3)[0], Is.EqualTo(5u));
        Assert.That(_host.Submit(Opcodes.AtomicAdd, 20, 4)[0], Is.EqualTo(8u));
        Assert.That(_host.Submit(Opcodes.LoadU32, 20)[0], Is.EqualTo(12u));
    }

    [Test]
    public void Compare_swap_swaps_only_on_a_match()
    {
        _host.WriteHeap(30, [7]);
        Assert.That(_host.Submit(Opcodes.CompareSwap, 30, 6, 100)[0], Is.EqualTo(7u));
        Assert.That(_host.Submit(Opcodes.LoadU32, 30)[0], Is.EqualTo(7u));
        Assert.That(_host.Submit(Opcodes.CompareSwap, 30, 7, 100)[0], Is.EqualTo(7u));
        Assert.That(_host.Submit(Opcodes.LoadU32, 30)[0], Is.EqualTo(100u));
    }

    [Test]
    public void Memcpy_copies_words_and_rejects_overlap()
    {
        _host.WriteHeap(40, [1, 2, 3]);
        Assert.That(_host.Submit(Opcodes.Memcpy, 40, 50, 3).IsDone);
        uint[] copy = new uint[3];
        _host.ReadHeap(50, copy);
        Assert.That(copy, Is.EqualTo(new uint[] { 1, 2, 3 }));
        SlotResult overlap = _host.Submit(Opcodes.Memcpy, 40, 41, 3);
        Assert.That(overlap.Fault, Is.EqualTo(FaultCode.BadArgument));
    }

    [Test]
    public void Dfa_step_reads_the_transition_table()
    {
        uint[] table = new uint[2 * 256];
        table[256 + 'a'] = 42;
        _host.WriteHeap(1024, table);
        Assert.That(_host.Submit(Opcodes.DfaStep, 1024, 1, 'a')[0], Is.EqualTo(42u));
        Assert.That(_host.Submit(Opcodes.DfaStep, 1024, 1, 'b')[0], Is.EqualTo(0u));
    }

    [Test]
    public void Handler_results_match_plain_csharp()
    {
        byte[] bytes = new byte[4096];
        new Random(7).NextBytes(bytes);
        _host.WriteData(0, bytes);
        for (int length = 0; length <= 4096; length += 512)
        {
            Assert.That(_host.Submit(TestKernels.Opcodes.Fnv1a, 0, (uint)length)[0], Is.EqualTo(Reference.Fnv1a(bytes.AsSpan(0, length))), $"length {length}");
        }
    }

    [Test]
    public void Unknown_opcode_faults_with_its_code_and_the_opcode()
    {
        SlotResult result = _host.Submit(0x7777);
        Assert.That(result.State, Is.EqualTo(SlotState.Fault));
        Assert.That(result.Fault, Is.EqualTo(FaultCode.UnknownOpcode));
        Assert.That(result.FaultDetail, Is.EqualTo(0x7777u));
    }

    [Test]
    public void Handler_fault_carries_the_handlers_detail()
    {
        SlotResult result = _host.Submit(TestKernels.Opcodes.Reject, 99);
        Assert.That(result.Fault, Is.EqualTo(FaultCode.HandlerFault));
        Assert.That(result.FaultDetail, Is.EqualTo(99u));
    }

    [Test]
    public void Out_of_bounds_data_and_arguments_fault()
    {
        Assert.That(_host.Submit(TestKernels.Opcodes.Fnv1a, (uint)_host.DataBytes - 1, 2).Fault, Is.EqualTo(FaultCode.OutOfBounds));
        Assert.That(_host.Submit(Opcodes.LoadU32, 1u << 30).Fault, Is.EqualTo(FaultCode.OutOfBounds));
        SlotResult argument = _host.Submit(TestKernels.Opcodes.ArgOutOfRange, 12);
        Assert.That(argument.Fault, Is.EqualTo(FaultCode.OutOfBounds));
        Assert.That(argument.FaultDetail, Is.EqualTo(12u));
    }

    [Test]
    public void Printf_appends_records_and_counts_overflow()
    {
        for (uint i = 0; i < DebugLogLayout.Capacity + 6; i++)
        {
            Assert.That(_host.Submit(Opcodes.Printf, 5, i, i * 2).IsDone);
        }

        TelemetrySnapshot telemetry = _host.Telemetry();
        Assert.That(telemetry.DebugLog, Has.Count.EqualTo(DebugLogLayout.Capacity));
        Assert.That(telemetry.DebugLogOverflow, Is.EqualTo(6u));
        Assert.That(telemetry.DebugLog.Select(r => r.A1).OrderBy(a => a), Is.EqualTo(Enumerable.Range(0, DebugLogLayout.Capacity).Select(i => (uint)i)));
        Assert.That(telemetry.DebugLog.All(r => r.FormatId == 5 && r.A2 == r.A1 * 2));
    }

    [Test]
    public void Batch_fence_completes_after_its_batch_and_bumps_the_epoch()
    {
        const int Work = 64;
        uint epochBefore = _host.Telemetry().Epoch;
        var requests = new SlotRequest[Work + 1];
        for (int i = 0; i < Work; i++)
        {
            requests[i] = new SlotRequest(TestKernels.Opcodes.CountOnce, (uint)i, Work, 30_000);
        }

        requests[Work] = new SlotRequest(Opcodes.BatchFence, Work);
        SlotBatch batch = _host.PublishBatch(requests);
        var results = new SlotResult[Work + 1];
        _host.WaitBatch(batch, results);
        Assert.That(results.All(r => r.IsDone), string.Join(", ", results.Where(r => !r.IsDone)));
        Assert.That(results[Work][0], Is.GreaterThan(epochBefore));
    }

    [Test]
    public void Threads_publishing_at_once_each_get_their_own_results()
    {
        const int Threads = 4;
        const int Batches = 60;
        int maxBatch = Math.Min(96, _host.SlotCount / (2 * Threads));
        long[] wrong = new long[Threads];
        Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, thread =>
        {
            var random = new Random(thread);
            var results = new SlotResult[maxBatch];
            for (int b = 0; b < Batches; b++)
            {
                int count = random.Next(1, maxBatch + 1);
                var requests = new SlotRequest[count];
                for (int i = 0; i < count; i++)
                {
                    requests[i] = new SlotRequest(TestKernels.Opcodes.Increment, (uint)((thread << 24) | (b << 12) | i));
                }

                _host.WaitBatch(_host.PublishBatch(requests), results);
                for (int i = 0; i < count; i++)
                {
                    wrong[thread] += results[i].IsDone && results[i][0] == requests[i].Args[0] + 1 ? 0 : 1;
                }
            }
        });

        Assert.That(wrong, Is.All.EqualTo(0L), "every publisher read its own results, each the slot's");
    }

    [Test]
    public void Try_publish_refuses_a_batch_the_ring_has_no_room_for_and_writes_nothing()
    {
        const int Flag = 61100;
        _host.WriteHeap(Flag, [0]);
        SlotBatch blocker = _host.PublishBatch([new SlotRequest(TestKernels.Opcodes.WaitForFlag, Flag)]);
        var whole = Enumerable.Repeat(new SlotRequest(TestKernels.Opcodes.Increment, 5), _host.SlotCount).ToArray();
        Assert.That(_host.TryPublishBatch(whole, out SlotBatch refused), Is.False, "a whole ring does not fit while one slot is outstanding");
        Assert.That(refused.Count, Is.Zero);
        Assert.That(() => _host.TryPublishBatch([], out _), Throws.ArgumentException.With.Message.Contains("Fix:"));

        _host.WriteHeap(Flag, [1]);
        var one = new SlotResult[1];
        _host.WaitBatch(blocker, one);
        Assert.That(one[0].IsDone, one[0].ToString());
        Assert.That(_host.TryPublishBatch(whole, out SlotBatch accepted), Is.True, "the whole ring fits once nothing is outstanding");
        var results = new SlotResult[whole.Length];
        _host.WaitBatch(accepted, results);
        Assert.That(results.All(r => r.IsDone && r[0] == 6), "the batch ran, and only once");
    }

    [Test]
    public void A_ring_snapshot_shows_the_slot_that_has_not_finished()
    {
        const int Flag = 61200;
        _host.WriteHeap(Flag, [0]);
        SlotBatch blocker = _host.PublishBatch([new SlotRequest(TestKernels.Opcodes.WaitForFlag, Flag) { Tenant = 0 }]);
        int slot = (int)(blocker.First % _host.SlotCount);
        RingSnapshot snapshot = _host.RingSnapshot();
        Assert.That(snapshot.Slots, Has.Count.EqualTo(_host.SlotCount));
        Assert.That(snapshot.Slots[slot], Is.EqualTo(new SlotSnapshot(slot, blocker.First, SlotState.Published, TestKernels.Opcodes.WaitForFlag, 0, 0)));
        Assert.That(snapshot.Unfinished.Select(s => s.Sequence), Is.EqualTo(new[] { blocker.First }));
        Assert.That(snapshot.Published, Is.EqualTo(blocker.First + 1));
        Assert.That(snapshot.ToString(), Does.Contain($"slot {slot}: sequence {blocker.First}, Published, opcode 0x{TestKernels.Opcodes.WaitForFlag:X}"));

        _host.WriteHeap(Flag, [1]);
        var one = new SlotResult[1];
        _host.WaitBatch(blocker, one);
        Assert.That(_host.RingSnapshot().Unfinished, Is.Empty, "nothing unfinished once the slot has run");
    }

    [Test]
    public async Task A_group_word_that_says_done_too_early_never_yields_an_unfinished_result()
    {
        // A batch that covers whole completion groups, with a slot in the middle that waits for a flag. The group words
        // then claim every group complete: the waiter must still wait for each slot's own status.
        const int Flag = 61000;
        _host.WriteHeap(Flag, [0]);
        int count = (3 * CompletionGroups.GroupSizeFor(_host.SlotCount)) + 5;
        var requests = new SlotRequest[count];
        for (int i = 0; i < count; i++)
        {
            requests[i] = new SlotRequest(TestKernels.Opcodes.Increment, (uint)i);
        }

        requests[count / 2] = new SlotRequest(TestKernels.Opcodes.WaitForFlag, Flag);
        SlotBatch batch = _host.PublishBatch(requests);
        _host.GroupDoneWords.Fill(0x4000_0000);
        var results = new SlotResult[count];
        Task wait = Task.Run(() => _host.WaitBatch(batch, results));
        await Task.Delay(200);
        Assert.That(wait.IsCompleted, Is.False, "the wait returned while a slot of the batch was still running");
        _host.WriteHeap(Flag, [1]);
        await wait.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.That(results.All(r => r.IsDone), string.Join(", ", results.Where(r => !r.IsDone)));
        Assert.That(Enumerable.Range(0, count).Where(i => i != count / 2).All(i => results[i][0] == (uint)i + 1));
    }

    [Test]
    public void Lone_slots_that_fill_a_completion_group_write_its_word()
    {
        // Lone slots, one at a time, until one of them is the last of its group. The persistent forwarders settle a lone
        // slot's group after their next read (MegakernelLoop.SettleGroup): with nothing submitted after it, the word must
        // still come, from an iteration without a slot. (Managed and Once mode count at once; there it is the plain case.)
        int size = CompletionGroups.GroupSizeFor(_host.SlotCount);
        _host.GroupDoneWords.Clear(); // Older marks (or another test's lies) must not pass for the one awaited here.
        long last = -1;
        for (int i = 0; i <= size && last < 0; i++)
        {
            long sequence = _host.RingSnapshot().Published;
            SlotResult result = _host.Submit(TestKernels.Opcodes.Increment, (uint)i);
            Assert.That(result.IsDone && result[0] == (uint)i + 1, result.ToString());
            if ((MegakernelBuffers.SlotOf((uint)sequence, _host.SlotCount) + 1) % size == 0)
            {
                last = sequence;
            }
        }

        Assert.That(last, Is.GreaterThanOrEqualTo(0), "a group's last slot among the submitted ones");
        int group = MegakernelBuffers.SlotOf((uint)last, _host.SlotCount) / size;
        uint mark = CompletionGroups.DoneMark(last, _host.SlotCount, size);
        var waited = Stopwatch.StartNew();
        while ((int)(Volatile.Read(ref _host.GroupDoneWords[group]) - mark) < 0 && waited.Elapsed < TimeSpan.FromSeconds(10))
        {
            Thread.Sleep(1);
        }

        Assert.That((int)(Volatile.Read(ref _host.GroupDoneWords[group]) - mark), Is.GreaterThanOrEqualTo(0), $"group {group}'s word after sequence {last}");
    }

    [Test]
    public void The_meter_reports_published_completed_faulted_and_occupancy()
    {
        using var recorder = new MeterRecorder();
        double Completed(IReadOnlyList<Measured> measured) =>
            measured.Where(m => m.Tag(MegakernelMetrics.OpcodeTag) == "Increment" && m.Tag(MegakernelMetrics.MegakernelTag) == _host.Name).Sum(m => m.Value);
        double before = Completed(recorder.ObserveUntil("vyre.slots.completed", _ => true));
        for (uint i = 0; i < 10; i++)
        {
            _host.Submit(TestKernels.Opcodes.Increment, i);
        }

        SlotResult rejected = _host.Submit(TestKernels.Opcodes.Reject, 7);
        Assert.That(rejected.Fault, Is.EqualTo(FaultCode.HandlerFault));
        Measured fault = recorder.All.Single(m => m.Instrument == "vyre.slots.faulted" && m.Tag(MegakernelMetrics.OpcodeTag) == "Reject");
        Assert.That((fault.Value, fault.Tag(MegakernelMetrics.OpcodeTag), fault.Tag(MegakernelMetrics.FaultTag), fault.Tag(MegakernelMetrics.TenantTag)), Is.EqualTo((1d, "Reject", "HandlerFault", "0")));

        IReadOnlyList<Measured> completed = recorder.ObserveUntil("vyre.slots.completed", m => Completed(m) >= before + 10);
        // At least: counters trail the slots, so the first observation may have missed an earlier test's last slots.
        Assert.That(Completed(completed), Is.GreaterThanOrEqualTo(before + 10), "the ten Increment slots, under the handler's name");
        Assert.That(recorder.ObserveUntil("vyre.slots.published", m => m.Count > 0).Sum(m => m.Value), Is.GreaterThanOrEqualTo(11));
        Assert.That(recorder.ObserveUntil("vyre.ring.occupancy", m => m.Count > 0).Sum(m => m.Value), Is.Zero, "nothing outstanding");
    }

    [Test]
    public void Packed_slot_runs_each_op_and_writes_each_result()
    {
        var request = new SlotRequest(Opcodes.PackedSlot, 3, TestKernels.Opcodes.Increment, 10, TestKernels.Opcodes.Increment, 20, Opcodes.Nop, 0);
        SlotResult result = _host.Submit(request);
        Assert.That(result.IsDone, result.ToString());
        Assert.That(result[2], Is.EqualTo(11u));
        Assert.That(result[4], Is.EqualTo(21u));
    }

    [Test]
    public void Packed_slot_limits_agree_between_host_and_device()
    {
        uint[] args = new uint[SlotLayout.ArgumentCount];
        args[0] = PackedSlot.MaxOps + 1;
        Assert.That(() => _host.Submit(Opcodes.PackedSlot, args), Throws.ArgumentException.With.Message.Contains("Fix:"));
        args[0] = PackedSlot.MaxOps;
        for (int op = 0; op < PackedSlot.MaxOps; op++)
        {
            args[1 + (2 * op)] = TestKernels.Opcodes.Increment;
            args[2 + (2 * op)] = (uint)op;
        }

        SlotResult result = _host.Submit(Opcodes.PackedSlot, args);
        Assert.That(result.IsDone, result.ToString());
        Assert.That(Enumerable.Range(0, PackedSlot.MaxOps).Select(op => result[2 + (2 * op)]), Is.EqualTo(Enumerable.Range(1, PackedSlot.MaxOps).Select(v => (uint)v)));
    }

    [Test]
    public void Tenants_run_only_what_their_masks_allow()
    {
        var user = new SlotRequest(TestKernels.Opcodes.Increment, 1) { Tenant = 2 };
        Assert.That(_host.Submit(user).Fault, Is.EqualTo(FaultCode.UnauthorizedTenant));
        _host.SetTenantPermissions(2, TenantPermissions.User);
        Assert.That(_host.Submit(user)[0], Is.EqualTo(2u));
        var builtin = new SlotRequest(Opcodes.Nop) { Tenant = 2 };
        Assert.That(_host.Submit(builtin).Fault, Is.EqualTo(FaultCode.UnauthorizedTenant));

        var window = new SlotRequest(TestKernels.Opcodes.TenantThreeOnly) { Tenant = 2 };
        Assert.That(_host.Submit(window).Fault, Is.EqualTo(FaultCode.UnauthorizedTenant));
        _host.SetTenantPermissions(3, TenantPermissions.OwnWindow);
        Assert.That(_host.Submit(window with { Tenant = 3 })[0], Is.EqualTo(0x7Eu));
        Assert.That(_host.Submit(new SlotRequest(TestKernels.Opcodes.TenantThreeOnly))[0], Is.EqualTo(0x7Eu), "tenant 0 runs everything");
    }

    [Test]
    public async Task Many_concurrent_submitters_each_get_their_own_result()
    {
        const int Submitters = 8;
        const int Each = 100;
        uint[][] results = await Task.WhenAll(Enumerable.Range(0, Submitters).Select(s => Task.Run(async () =>
        {
            uint[] mine = new uint[Each];
            for (int i = 0; i < Each; i++)
            {
                uint value = (uint)((s * 10_000) + i);
                mine[i] = i % 2 == 0 ? (await _host.SubmitAsync(TestKernels.Opcodes.Increment, value))[0] : _host.Submit(TestKernels.Opcodes.Increment, value)[0];
            }

            return mine;
        })));
        for (int s = 0; s < Submitters; s++)
        {
            Assert.That(results[s], Is.EqualTo(Enumerable.Range(0, Each).Select(i => (uint)((s * 10_000) + i + 1))));
        }
    }

    [Test]
    public void Soak_every_slot_completes_exactly_once()
    {
        const int HeapBase = 8192;
        const int Buckets = 4096;
        int total = SoakSlots;
        int batchSize = Math.Min(512, _host.SlotCount / 2);
        _host.WriteHeap(HeapBase, new uint[Buckets]);
        var requests = new SlotRequest[batchSize];
        var results = new SlotResult[batchSize];
        long expectedTagSum = 0;
        long tagSum = 0;
        for (int done = 0; done < total; done += batchSize)
        {
            int count = Math.Min(batchSize, total - done);
            for (int i = 0; i < count; i++)
            {
                uint tag = (uint)(done + i);
                requests[i] = new SlotRequest(TestKernels.Opcodes.CountOnce, tag, Buckets, HeapBase);
                expectedTagSum += tag;
            }

            _host.WaitBatch(_host.PublishBatch(requests.AsSpan(0, count)), results);
            for (int i = 0; i < count; i++)
            {
                Assert.That(results[i].IsDone, results[i].ToString());
                tagSum += results[i][1];
            }
        }

        uint[] counts = new uint[Buckets];
        _host.ReadHeap(HeapBase, counts);
        Assert.That(tagSum, Is.EqualTo(expectedTagSum), "every tag came back once");
        Assert.That(counts.Select(c => (long)c).Sum(), Is.EqualTo(total), "every slot ran once");
        Assert.That(counts.Take(Math.Min(total, Buckets)).All(c => c == (uint)(total / Buckets) || c == (uint)((total / Buckets) + 1)));
    }

    [Test]
    public void A_slot_that_does_not_finish_times_out_and_is_freed_once_it_does()
    {
        const int Flag = 60000;
        _host.WriteHeap(Flag, [0]);
        Task<SlotResult> waiting = _host.SubmitAsync(TestKernels.Opcodes.WaitForFlag, Flag).AsTask();
        Assert.That(waiting.Wait(TimeSpan.FromMilliseconds(300)), Is.False, "the slot waits for the flag");
        _host.WriteHeap(Flag, [1]);
        Assert.That(waiting.Wait(TimeSpan.FromSeconds(20)), Is.True);
        Assert.That(waiting.Result.IsDone);
    }

    [Test]
    public void Typed_words_round_trip_int_float_and_ulong()
    {
        SlotRequest request = new SlotRequest(TestKernels.Opcodes.TypedEcho).WithArgument(0, -7).WithArgument(1, 1.25f).WithArgument(2, 0x1_0000_0000UL + 41);
        SlotResult result = _host.Submit(request);
        Assert.That(result.IsDone, result.ToString());
        Assert.That((result.GetInt32(0), result.GetSingle(1), result.GetUInt64(2)), Is.EqualTo((7, 2.5f, 0x1_0000_0000UL + 42)));
        Assert.That(() => request.WithArgument(11, 1UL), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("Fix:"));
    }

    [Test]
    public async Task Canceling_an_awaited_submit_ends_the_wait_and_the_slot_is_freed_once_it_runs()
    {
        const int Flag = 60010;
        _host.WriteHeap(Flag, [0]);
        using var cancel = new System.Threading.CancellationTokenSource();
        ValueTask<SlotResult> waiting = _host.SubmitAsync(new SlotRequest(TestKernels.Opcodes.WaitForFlag, Flag), cancel.Token);
        cancel.CancelAfter(100);
        Assert.That(async () => await waiting, Throws.InstanceOf<OperationCanceledException>());
        _host.WriteHeap(Flag, [1]);

        long before = _host.Telemetry().Published;
        Assert.That(async () => await _host.SubmitAsync(new SlotRequest(Opcodes.Nop), cancel.Token), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(_host.Telemetry().Published, Is.EqualTo(before), "a canceled token publishes nothing");

        // The ring keeps turning: the canceled slot's place is freed once it ran.
        for (int i = 0; i < _host.SlotCount + 8; i++)
        {
            Assert.That((await _host.SubmitAsync(TestKernels.Opcodes.Increment, (uint)i))[0], Is.EqualTo((uint)i + 1));
        }
    }

    [Test]
    public void Bad_requests_throw_with_a_fix_and_publish_nothing()
    {
        long before = _host.Telemetry().Published;
        Assert.That(() => _host.Submit(0xFFF5), Throws.ArgumentException.With.Message.Contains("Fix:"));
        Assert.That(() => _host.Submit(Opcodes.Shutdown), Throws.ArgumentException.With.Message.Contains("Fix:"));
        Assert.That(() => new SlotRequest(TestKernels.Opcodes.Increment, new uint[13]), Throws.ArgumentException.With.Message.Contains("Fix:"));
        Assert.That(() => _host.Submit(new SlotRequest(Opcodes.Nop) { Tenant = 40 }), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("Fix:"));
        Assert.That(() => _host.PublishBatch(new SlotRequest[_host.SlotCount + 1]), Throws.ArgumentException.With.Message.Contains("Fix:"));
        SlotRequest[] mixed = [new SlotRequest(Opcodes.Nop), new SlotRequest(0x8000_0000)];
        Assert.That(() => _host.PublishBatch(mixed), Throws.ArgumentException);
        Assert.That(() => _host.WaitBatch(default, new SlotResult[2]), Throws.ArgumentException.With.Message.Contains("Fix:"));
        Assert.That(() => _host.WriteData(_host.DataBytes, new byte[1]), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("Fix:"));
        Assert.That(() => _host.ReadData(-1, new byte[1]), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("Fix:"));
        Assert.That(_host.Telemetry().Published, Is.EqualTo(before), "nothing was published");
    }
}
