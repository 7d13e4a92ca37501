using System;
using System.Diagnostics;

namespace Vyre.Benchmarks;

/// <summary>
/// One slot at a time for benchmarks that take their own results (to know each slot's sequence, as the round-trip
/// trace is indexed by it): publish, spin until it completes, bounded.
/// </summary>
internal static class OwnSlots
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Runs tiny slots one at a time through <c>Submit</c> for <paramref name="duration"/>: long enough for .NET's tiered JIT
    /// to replace the host path's first code (a few hundred slots left it running quick-JIT code, which doubled the host's
    /// share of a round trip in the first rows of a run).
    /// </summary>
    public static void WarmUp(MegakernelHost host, TimeSpan duration)
    {
        long from = Stopwatch.GetTimestamp();
        for (uint i = 0; Stopwatch.GetElapsedTime(from) < duration; i++)
        {
            host.Submit(BenchKernels.Opcodes.Increment, i);
        }
    }

    /// <summary>Publishes <paramref name="request"/> alone; the caller takes its result (<c>TryTake</c>).</summary>
    public static long Publish(MegakernelHost host, in SlotRequest request)
    {
        if (!host.TryPublish(new ReadOnlySpan<SlotRequest>(in request), out long sequence))
        {
            throw new InvalidOperationException("The ring had no room: an earlier slot was not retired.");
        }

        return sequence;
    }

    /// <summary>
    /// Spins until <paramref name="sequence"/> completes, or its answer is on the answer line (then true, with the
    /// <paramref name="answer"/> for <c>TakeAnswered</c>): the host's own wait, bounded.
    /// </summary>
    public static bool SpinUntilDone(MegakernelHost host, long sequence, out SlotResult answer)
    {
        if (!host.Ring.SpinUntilDone(sequence, DateTime.UtcNow + s_bound, answers: true, out answer, out bool answered))
        {
            throw new TimeoutException($"Slot {sequence} did not complete in {s_bound.TotalSeconds:0} s. Fix: check the device loop (host.Description, Telemetry().KernelState).");
        }

        return answered;
    }

    /// <summary>Takes the result of <paramref name="sequence"/> after <see cref="SpinUntilDone"/>: the answer it read, or the ring slot's.</summary>
    public static SlotResult Take(MegakernelHost host, long sequence, bool answered, in SlotResult answer)
    {
        if (answered)
        {
            return host.Ring.TakeAnswered(sequence, answer);
        }

        host.TryTake(sequence, out SlotResult result);
        return result;
    }

    /// <summary><see cref="SpinUntilDone"/>, then <see cref="Take"/>.</summary>
    public static SlotResult Wait(MegakernelHost host, long sequence) =>
        Take(host, sequence, SpinUntilDone(host, sequence, out SlotResult answer), answer);
}
