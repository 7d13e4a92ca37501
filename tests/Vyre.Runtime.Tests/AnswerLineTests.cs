using System;
using System.Runtime.InteropServices;
using NUnit.Framework;
using Vyre.Internals;
using Vyre.Ring;

namespace Vyre.Runtime.Tests;

/// <summary>
/// The host's side of the answer line (docs/latency.md) without a device: this test writes the line as CUDA's forwarder
/// would, whole, torn or stale, and checks what a waiter takes and when the ring slot is retired.
/// </summary>
public sealed unsafe class AnswerLineTests
{
    private const int Slots = 8;
    private static readonly TimeSpan s_short = TimeSpan.FromMilliseconds(50);
    private uint* _memory;
    private HostRing _ring = null!;

    [SetUp]
    public void Create()
    {
        int words = (Slots * SlotLayout.WordCount) + ControlWord.AllocatedWords + (2 * Slots);
        _memory = (uint*)NativeMemory.AlignedAlloc((nuint)(words * sizeof(uint)), 128);
        new Span<uint>(_memory, words).Clear();
        uint* control = _memory + (Slots * SlotLayout.WordCount);
        uint* groupDone = control + ControlWord.AllocatedWords;
        _ring = new HostRing(_memory, control, groupDone, groupDone + Slots, Slots) { ExpressWrites = true, AnswerReads = true };
    }

    [TearDown]
    public void Free() => NativeMemory.AlignedFree(_memory);

    [Test]
    public void A_whole_answer_is_taken_before_the_status_and_the_slot_is_retired_once_its_status_lands()
    {
        long sequence = PublishLone(41);
        Answer(sequence, SlotState.Done, 42);

        Assert.That(_ring.SpinUntilDone(sequence, DateTime.UtcNow + s_short, answers: true, out SlotResult answer, out bool answered), Is.True);
        Assert.That(answered, Is.True);
        SlotResult result = _ring.TakeAnswered(sequence, answer);
        Assert.That((result.State, result[0], result[1]), Is.EqualTo((SlotState.Done, 42u, 1u)));
        Assert.That(_ring.Answered, Is.EqualTo(1));
        Assert.That(_ring.Outstanding, Is.EqualTo(1), "the ring slot is held until its status lands");

        long next = PublishLone(7);
        Assert.That(_ring.Outstanding, Is.EqualTo(2), "no status yet: the answered slot is still held");
        Complete(sequence, 42);
        _ring.RetireDeferred();
        Assert.That(_ring.Outstanding, Is.EqualTo(1), "its status landed: retired");
        Complete(next, 8);
        Assert.That(_ring.Take(next)[0], Is.EqualTo(8u));
        Assert.That(_ring.Outstanding, Is.Zero);
    }

    [Test]
    public void A_torn_line_or_one_tagged_for_another_slot_is_never_taken()
    {
        long sequence = PublishLone(5);
        Answer(sequence, SlotState.Done, 6);
        Span<ulong> entries = _ring.AnswerEntries;
        entries[7] = ((ulong)(uint)sequence << 32) | 99; // entry 7 still carries the previous sequence's tag

        Assert.That(_ring.SpinUntilDone(sequence, DateTime.UtcNow + s_short, answers: true, out _, out bool answered), Is.False, "a torn line is not an answer");
        Assert.That(answered, Is.False);

        Answer(sequence + 1, SlotState.Done, 6);
        Assert.That(_ring.SpinUntilDone(sequence, DateTime.UtcNow + s_short, answers: true, out _, out answered), Is.False, "another slot's answer is not this one's");

        Answer(sequence, SlotState.Published, 6);
        Assert.That(_ring.SpinUntilDone(sequence, DateTime.UtcNow + s_short, answers: true, out _, out answered), Is.False, "an answer must end the slot");

        Complete(sequence, 6);
        Assert.That(_ring.SpinUntilDone(sequence, DateTime.UtcNow + s_short, answers: true, out _, out answered), Is.True);
        Assert.That(answered, Is.False, "the status went first: the ring slot is read");
        Assert.That(_ring.Take(sequence)[0], Is.EqualTo(6u));
        Assert.That(_ring.Outstanding, Is.Zero);
    }

    [Test]
    public void A_lone_publish_clears_the_line_so_a_line_left_from_long_ago_cannot_pass_for_its_slot()
    {
        // A line the device wrote for the sequence 2^32 before: every tag is the new slot's too.
        long sequence = _ring.Published;
        Answer(sequence, SlotState.Done, 1234);
        PublishLone(1);
        foreach (ulong entry in _ring.AnswerEntries)
        {
            Assert.That(entry, Is.Zero);
        }

        Assert.That(_ring.SpinUntilDone(sequence, DateTime.UtcNow + s_short, answers: true, out _, out bool answered), Is.False);
        Assert.That(answered, Is.False);
    }

    [Test]
    public void With_answer_reads_off_only_the_status_counts()
    {
        _ring.AnswerReads = false;
        long sequence = PublishLone(3);
        Answer(sequence, SlotState.Done, 4);
        Assert.That(_ring.SpinUntilDone(sequence, DateTime.UtcNow + s_short, answers: true, out _, out bool answered), Is.False);
        Assert.That(answered, Is.False);
    }

    private long PublishLone(uint argument)
    {
        var request = new SlotRequest(0x100, argument);
        Assert.That(_ring.TryPublishOwned(new ReadOnlySpan<SlotRequest>(in request), (_, _) => { }, out long sequence), Is.True);
        return sequence;
    }

    /// <summary>Writes the answer line as the forwarder does: <paramref name="state"/>, result 0, and result 1 = 1.</summary>
    private void Answer(long sequence, SlotState state, uint result)
    {
        ulong tag = (ulong)(uint)(sequence + 1) << 32;
        Span<ulong> entries = _ring.AnswerEntries;
        entries[0] = tag | (uint)state;
        entries[1] = tag | result;
        entries[2] = tag | 1;
        for (int k = 3; k < entries.Length; k++)
        {
            entries[k] = tag;
        }
    }

    /// <summary>The ring slot's own end, as the device writes it behind the answer.</summary>
    private void Complete(long sequence, uint result)
    {
        uint* slot = _memory + ((sequence % Slots) * SlotLayout.WordCount);
        slot[SlotLayout.FirstArgument] = result;
        slot[SlotLayout.FirstArgument + 1] = 1;
        System.Threading.Volatile.Write(ref slot[SlotLayout.Status], (uint)SlotState.Done);
    }
}
