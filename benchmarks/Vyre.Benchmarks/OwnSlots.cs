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

    /// <summary>
    /// Spins for a random 0..<paramref name="maxNs"/> nanoseconds: the next slot then arrives at a random phase of the
    /// forwarder's polling, not right after the last answer.
    /// </summary>
    public static void RandomGap(Random random, int maxNs)
    {
        long until = Stopwatch.GetTimestamp() + (random.Next(maxNs) * Stopwatch.Frequency / 1_000_000_000);
        while (Stopwatch.GetTimestamp() < until)
        {
        }
    }

    /// <summary>
    /// <see cref="MegakernelHost.FirstReadServed"/> once the forwarder has republished its counters: it does so every 128th
    /// iteration after a slot (about 150 µs idle), so 2 ms without slots leave nothing unpublished.
    /// </summary>
    public static uint SettledFirstReads(MegakernelHost host)
    {
        System.Threading.Thread.Sleep(2);
        return host.FirstReadServed;
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

    /// <summary>Spins until <paramref name="sequence"/> completes; the clock is read every 1,024 polls, so the spin stays tight.</summary>
    public static void SpinUntilComplete(MegakernelHost host, long sequence)
    {
        long from = Stopwatch.GetTimestamp();
        for (int polls = 1; !host.IsComplete(sequence); polls++)
        {
            if ((polls & 1023) == 0 && Stopwatch.GetElapsedTime(from) > s_bound)
            {
                throw new TimeoutException($"Slot {sequence} did not complete in {s_bound.TotalSeconds:0} s. Fix: check the device loop (host.Description, Telemetry().KernelState).");
            }
        }
    }
}
