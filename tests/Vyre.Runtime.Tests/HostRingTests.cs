using System;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;
using NUnit.Framework;
using Vyre.Internals;
using Vyre.Ring;

namespace Vyre.Runtime.Tests;

/// <summary>
/// The host's ring without a device: what a publish writes into each slot (a line at a time where the CPU has AVX-512,
/// word by word elsewhere and for a batch's last slot), and retirement out of order from several threads.
/// </summary>
public sealed unsafe class HostRingTests
{
    private const int ControlWords = 1024;

    [Test]
    public void A_batch_of_requests_writes_every_word_of_every_slot()
    {
        var random = new Random(7);
        SlotRequest[] requests = [.. Enumerable.Range(0, 37).Select(_ => RandomRequest(random))];
        using var memory = new RingMemory(64);
        Assert.That(memory.Ring.TryPublish(requests, (_, _) => { }, out long first), Is.True);
        for (int i = 0; i < requests.Length; i++)
        {
            Assert.That(memory.Words(first + i), Is.EqualTo(Expected(requests[i])), $"slot {i} (accelerated: {SlotLine.Accelerated})");
        }
    }

    [Test]
    public void A_lone_slot_writes_its_slot_and_every_express_entry_and_leaves_the_doorbell_to_the_ring()
    {
        // Every word distinct, so a lane taken from the wrong place shows; the word after the doorbell is reserved.
        var random = new Random(11);
        using var memory = new RingMemory(64);
        memory.Ring.ExpressWrites = true;
        memory.Control[ControlWord.PublishCursor + 1] = 0xA5A5A5A5;
        for (int round = 0; round < 70; round++)
        {
            SlotRequest request = RandomRequest(random);
            Assert.That(memory.Ring.TryPublish([request], (_, _) => { }, out long first), Is.True);
            uint[] words = Expected(request);
            Assert.That(memory.Words(first), Is.EqualTo(words), $"round {round} (accelerated: {SlotLine.Accelerated})");
            ulong tag = (ulong)(uint)(first + 1) << 32;
            ulong[] entries = new ReadOnlySpan<ulong>(memory.Control + ControlWord.ExpressFirst, ControlWord.ExpressEntries).ToArray();
            Assert.That(entries, Is.EqualTo(words[1..].Select(w => tag | w).ToArray()), $"round {round}: the express line");
            Assert.That(memory.Control[ControlWord.PublishCursor], Is.EqualTo((uint)(first + 1)), "the doorbell is the ring's alone");
            Assert.That(memory.Control[ControlWord.PublishCursor + 1], Is.EqualTo(0xA5A5A5A5), "the reserved word is never written");
            memory.Complete(first, 1);
            Assert.That(memory.Ring.TryClaim(first) && memory.Ring.TryTake(first, out _), Is.True);
        }
    }

    [Test]
    public void A_request_is_laid_out_as_the_line_writer_reads_it()
    {
        // RequestSource reads a request as 16 words: its 12 arguments, opcode, tenant, priority (and the next one's first).
        var request = new SlotRequest(7, 11, 12) { Tenant = 3, Priority = SlotPriority.Low };
        ref uint words = ref Unsafe.As<SlotRequest, uint>(ref request);
        Assert.That(Unsafe.SizeOf<SlotRequest>(), Is.EqualTo(15 * sizeof(uint)));
        Assert.That(new[] { words, Unsafe.Add(ref words, 1), Unsafe.Add(ref words, 12), Unsafe.Add(ref words, 13), Unsafe.Add(ref words, 14) }, Is.EqualTo(new uint[] { 11, 12, 7, 3, (uint)SlotPriority.Low }));
    }

    [Test]
    public void A_uniform_batch_writes_each_slots_words_and_the_template_for_the_rest([Range(1, SlotLayout.ArgumentCount)] int perSlot)
    {
        var random = new Random(perSlot);
        SlotRequest template = RandomRequest(random);
        uint[] args = [.. Enumerable.Range(0, 21 * perSlot).Select(_ => (uint)random.Next())];
        using var memory = new RingMemory(64);
        var source = new UniformSource(template, args, perSlot);
        Assert.That(memory.Ring.TryPublish(ref source, (_, _) => { }, out long first), Is.True);
        for (int i = 0; i < 21; i++)
        {
            SlotRequest expected = template;
            for (int w = 0; w < perSlot; w++)
            {
                expected.SetArgument(w, args[(i * perSlot) + w]);
            }

            Assert.That(memory.Words(first + i), Is.EqualTo(Expected(expected)), $"slot {i}");
        }
    }

    [Test]
    public void Ranges_retired_out_of_order_by_several_threads_free_the_whole_ring_every_lap()
    {
        // Each thread keeps up to three batches in flight and takes them in random order: ranges retire out of order, and
        // the retired mark must pass each of them (a lost pass leaves the ring full: publishers time out).
        const int Threads = 4;
        const int Batch = 24;
        const int Rounds = 2000;
        var memory = new RingMemory(256);
        HostRing ring = memory.Ring;
        long wrong = 0;
        Exception? failure = null;
        var workers = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            try
            {
                Publish(t);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref failure, e, null);
            }
        })
        { IsBackground = true }).ToArray();

        void Publish(int t)
        {
            // Never blocks on room while holding a batch (slots are reused in sequence order: holders would wait on
            // each other): when the ring refuses, it takes one of its own first.
            var random = new Random(t);
            var requests = new SlotRequest[Batch];
            var results = new SlotResult[Batch];
            var held = new System.Collections.Generic.List<(long First, int Round)>();
            void TakeOne()
            {
                int take = random.Next(held.Count);
                (long first, int round) = held[take];
                var sink = new ResultSink(results);
                if (ring.TakeRange(first, Batch, ref sink, DateTime.UtcNow + TimeSpan.FromSeconds(10)) != Batch)
                {
                    throw new TimeoutException($"batch {first} was not taken");
                }

                // Each slot's own result (its argument plus one): a slot reused while held would show another's.
                Interlocked.Add(ref wrong, results.Select((r, i) => r.IsDone && r[0] == (uint)(round + i + 1) ? 0 : 1).Sum());
                held.RemoveAt(take);
            }

            for (int round = 0; round < Rounds; round++)
            {
                for (int i = 0; i < Batch; i++)
                {
                    requests[i] = new SlotRequest(3, (uint)(round + i));
                }

                // Odd threads publish owned (holders written claimed), even ones publish, then claim.
                bool owned = t % 2 == 1;
                long first;
                DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
                while (!(owned ? ring.TryPublishOwned(requests, (_, _) => { }, out first) : ring.TryPublish(requests, (_, _) => { }, out first)))
                {
                    if (held.Count > 0)
                    {
                        TakeOne();
                    }
                    else if (DateTime.UtcNow > deadline)
                    {
                        throw new TimeoutException($"no room with nothing held: {ring.Outstanding} outstanding");
                    }
                }

                if (!owned && !ring.TryClaimBatch(first, Batch))
                {
                    throw new InvalidOperationException($"batch {first} could not be claimed by its publisher");
                }

                // Like a device: only slots the doorbell has passed run (a publisher before this one may still be writing).
                if (!SpinWait.SpinUntil(() => ring.Published >= first + Batch, TimeSpan.FromSeconds(10)))
                {
                    throw new TimeoutException($"the doorbell did not pass batch {first}");
                }

                memory.Complete(first, Batch);
                held.Add((first, round));
                if (held.Count == 3)
                {
                    TakeOne();
                }
            }

            while (held.Count > 0)
            {
                TakeOne();
            }
        }

        foreach (Thread worker in workers)
        {
            worker.Start();
        }

        // A publisher still running after the bound may still write the ring: its memory is then left allocated.
        Assert.That(workers.All(w => w.Join(TimeSpan.FromSeconds(60))), Is.True, "a publisher hung");
        using RingMemory owned = memory;
        Assert.That(failure, Is.Null, failure?.ToString());
        Assert.That(wrong, Is.Zero);
        Assert.That(ring.Published, Is.EqualTo((long)Threads * Rounds * Batch));
        Assert.That(ring.Outstanding, Is.Zero, "every range retired, the mark at the doorbell");
        Assert.That(ring.TryPublish(new SlotRequest[256], (_, _) => { }, out _), Is.True, "the whole ring is free again");
    }

    [Test]
    public void A_batch_retired_while_its_doorbell_is_being_rung_is_passed_by_the_retired_mark()
    {
        // The device may run a batch, and its waiter retire it, as soon as the doorbell reaches the device: before the
        // host's own record of the doorbell moves (here: inside the backend's notification, which comes between them).
        using var memory = new RingMemory(64);
        HostRing ring = memory.Ring;
        var results = new SlotResult[8];
        int taken = 0;
        void RunAndTake(long first, int count)
        {
            Assert.That(ring.TryClaimBatch(first, count), Is.True);
            memory.Complete(first, count);
            var sink = new ResultSink(results);
            taken += ring.TakeRange(first, count, ref sink, DateTime.UtcNow + TimeSpan.FromSeconds(5));
        }

        for (int round = 0; round < 20; round++)
        {
            Assert.That(ring.TryPublish(new SlotRequest[8], RunAndTake, out _), Is.True, $"round {round}: {ring.Outstanding} outstanding");
        }

        Assert.That(taken, Is.EqualTo(160));
        Assert.That(ring.Outstanding, Is.Zero, "the mark passed every batch");
    }

    private static SlotRequest RandomRequest(Random random)
    {
        uint[] args = [.. Enumerable.Range(0, SlotLayout.ArgumentCount).Select(_ => (uint)random.Next())];
        return new SlotRequest((uint)random.Next(), args) { Tenant = (uint)random.Next(4), Priority = (SlotPriority)random.Next(5) };
    }

    private static uint[] Expected(in SlotRequest request) =>
        [(uint)SlotState.Published, request.Opcode, request.Tenant, (uint)request.Priority, .. request.Args];

    /// <summary>A ring, its control block and its group words in native memory, as a backend would hand them to the host.</summary>
    private sealed class RingMemory : IDisposable
    {
        private readonly uint* _ring;
        private readonly uint* _control;
        private readonly uint* _groups;
        private readonly uint* _io;
        private readonly int _slotCount;

        public RingMemory(int slotCount)
        {
            _slotCount = slotCount;
            _ring = (uint*)NativeMemory.AlignedAlloc((nuint)(slotCount * SlotLayout.SizeInBytes), 64);
            _control = (uint*)NativeMemory.AllocZeroed(ControlWords, sizeof(uint));
            _groups = (uint*)NativeMemory.AllocZeroed((nuint)slotCount, sizeof(uint));
            _io = (uint*)NativeMemory.AllocZeroed((nuint)slotCount, sizeof(uint));
            new Span<uint>(_ring, slotCount * SlotLayout.WordCount).Clear();
            Ring = new HostRing(_ring, _control, _groups, _io, slotCount);
        }

        public HostRing Ring { get; }

        public uint* Control => _control;

        public uint[] Words(long sequence) => new Span<uint>(_ring + ((sequence % _slotCount) * SlotLayout.WordCount), SlotLayout.WordCount).ToArray();

        /// <summary>What the device would do: each slot DONE with its first argument plus one.</summary>
        public void Complete(long first, int count)
        {
            for (long s = first; s < first + count; s++)
            {
                uint* slot = _ring + ((s % _slotCount) * SlotLayout.WordCount);
                slot[SlotLayout.FirstArgument]++;
                Volatile.Write(ref slot[SlotLayout.Status], (uint)SlotState.Done);
            }
        }

        public void Dispose()
        {
            NativeMemory.AlignedFree(_ring);
            NativeMemory.Free(_control);
            NativeMemory.Free(_groups);
            NativeMemory.Free(_io);
        }
    }
}
