using System;
using System.Threading;
using Vyre.Internals;

namespace Vyre.Ring;

/// <summary>
/// The answer line (<see cref="ControlWord.AnswerFirst"/>, docs/latency.md): CUDA's forwarder writes a lone slot's end
/// there, each 8-byte entry tagged with the slot's sequence + 1, before its results and status go to the ring slot behind a
/// system fence. A waiter that finds every entry tagged for its slot takes the result from the line, a PCIe write round trip
/// before the status arrives, and leaves the ring slot to be retired once its status lands (<see cref="RetireDeferred"/>).
/// </summary>
internal sealed unsafe partial class HostRing
{
    /// <summary>How long retiring an answered slot waits for its status (far beyond the microseconds it takes).</summary>
    private static readonly TimeSpan s_deferredBound = TimeSpan.FromSeconds(10);

    /// <summary>The answered sequence whose ring slot waits for its status before it is retired, or -1.</summary>
    private long _deferred = -1;

    private bool _answerReads;

    /// <summary>Waits taken from the answer line (for tests and the benchmark).</summary>
    private long _answered;

    /// <summary>
    /// Whether waiters of lone slots look at the answer line: on for CUDA's persistent kernel (its forwarder writes it) while
    /// the express line is written (<see cref="ExpressWrites"/>, whose lone publishes clear the answer line first). Settable
    /// for the benchmark's side-by-side rows.
    /// </summary>
    internal bool AnswerReads
    {
        get => _answerReads;
        set => _answerReads = value;
    }

    /// <summary>Waits that took their result from the answer line.</summary>
    internal long Answered => Volatile.Read(ref _answered);

    /// <summary>The answer line's entries, as the host sees them now (tests).</summary>
    internal Span<ulong> AnswerEntries => new((ulong*)(_control + ControlWord.AnswerFirst), ControlWord.AnswerEntries);

    /// <summary>
    /// Clears every tag of the answer line (a lone publish does, before its doorbell): from then on, an entry tagged for the
    /// new sequence can only have been written for it. Without this a line written 2^32 sequences earlier, never
    /// overwritten since, could pass for a new slot's. A clear that lands on another lone slot's answer still being read
    /// only sends that waiter to the ring slot's status.
    /// </summary>
    private void ClearAnswer()
    {
        ulong* entries = (ulong*)(_control + ControlWord.AnswerFirst);
        for (int k = 0; k < ControlWord.AnswerEntries; k++)
        {
            Volatile.Write(ref entries[k], 0UL);
        }
    }

    /// <summary>
    /// Spins (bounded) until <paramref name="sequence"/>, claimed by the caller, completes, or, when <paramref name="answers"/>
    /// and <see cref="AnswerReads"/>, its answer is on the line (then <paramref name="answer"/> holds it and
    /// <paramref name="answered"/> is true); false on timeout or once the waiters are released.
    /// </summary>
    public bool SpinUntilDone(long sequence, DateTime deadline, bool answers, out SlotResult answer, out bool answered)
    {
        answer = default;
        answered = false;
        bool reads = answers && _answerReads;
        var spin = new SpinWait();
        int polls = 0;
        while (!IsComplete(sequence))
        {
            if (reads && TryReadAnswer(sequence, out answer))
            {
                answered = true;
                return true;
            }

            if ((++polls & 1023) == 0 && (DateTime.UtcNow > deadline || WaitersReleased))
            {
                return IsComplete(sequence);
            }

            if (polls > 4096)
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }
        }

        return true;
    }

    /// <summary>
    /// Hands the caller the result of <paramref name="sequence"/>, which it claimed and whose <paramref name="answer"/> it read
    /// from the answer line: counted and metered like a read from the ring slot, whose retirement waits for its status.
    /// </summary>
    public SlotResult TakeAnswered(long sequence, in SlotResult answer)
    {
        int index = Index(sequence);
        if (Volatile.Read(ref _holder[index]) != -(sequence + 1))
        {
            throw new InvalidOperationException($"Slot {sequence} is not claimed by this caller. Fix: this is a bug in Vyre; please report it.");
        }

        Meter(_ring + Base(sequence), answer.State, (FaultCode)answer[0]);
        Interlocked.Increment(ref _answered);
        DeferRetire(sequence);
        return answer;
    }

    /// <summary>Reads the answer line for <paramref name="sequence"/>: true when every entry carries its tag.</summary>
    private bool TryReadAnswer(long sequence, out SlotResult answer)
    {
        answer = default;
        ulong* entries = (ulong*)(_control + ControlWord.AnswerFirst);
        uint tag = (uint)(sequence + 1);
        ulong first = Volatile.Read(ref entries[0]);
        if ((uint)(first >> 32) != tag || tag == 0)
        {
            return false;
        }

        Span<uint> words = stackalloc uint[SlotLayout.ArgumentCount];
        for (int k = 1; k < ControlWord.AnswerEntries; k++)
        {
            ulong entry = Volatile.Read(ref entries[k]);
            if ((uint)(entry >> 32) != tag)
            {
                return false; // Still being written (or cleared under it): the next poll looks again.
            }

            words[k - 1] = (uint)entry;
        }

        answer.State = (SlotState)(uint)first;
        answer.SetWords(words);
        return answer.State is SlotState.Done or SlotState.Fault;
    }

    /// <summary>
    /// Keeps the answered <paramref name="sequence"/> claimed until its status lands; the one deferred before it, older, is
    /// retired now (waiting, bounded, for its status: it is a PCIe write behind its answer).
    /// </summary>
    private void DeferRetire(long sequence)
    {
        long older = Interlocked.Exchange(ref _deferred, sequence);
        if (older >= 0)
        {
            RetireWhenComplete(older);
        }
    }

    /// <summary>
    /// Retires the deferred sequence if its status has landed (every publish calls this first, so an answered slot holds
    /// its ring slot only until the next publish after its status). <paramref name="wait"/>: wait for it (bounded), as
    /// shutdown does.
    /// </summary>
    public void RetireDeferred(bool wait = false)
    {
        long deferred = Volatile.Read(ref _deferred);
        if (deferred < 0 || (!wait && !IsComplete(deferred)))
        {
            return;
        }

        if (Interlocked.CompareExchange(ref _deferred, -1, deferred) == deferred)
        {
            RetireWhenComplete(deferred);
        }
    }

    /// <summary>
    /// Retires <paramref name="sequence"/>, answered and claimed, once its status shows it complete (a running device writes
    /// it a PCIe write round trip after the answer). Gives up once the waiters are released (the device side stopped) or
    /// after <see cref="s_deferredBound"/>: the slot then stays claimed, as any slot a stopped device never finished does.
    /// </summary>
    private void RetireWhenComplete(long sequence)
    {
        DateTime deadline = DateTime.UtcNow + s_deferredBound;
        var spin = new SpinWait();
        while (!IsComplete(sequence))
        {
            if (WaitersReleased || DateTime.UtcNow > deadline)
            {
                return;
            }

            spin.SpinOnce(sleep1Threshold: -1);
        }

        Retire(sequence);
    }
}
