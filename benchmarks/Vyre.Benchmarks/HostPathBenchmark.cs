using System;
using System.Diagnostics;
using System.Linq;
using System.Runtime.InteropServices;
using Vyre.Internals;
using Vyre.Ring;

namespace Vyre.Benchmarks;

/// <summary>
/// The host's own share of one lone round trip, with nothing on the other side (issue 10): the ring and its control block
/// in plain memory, the express line written as on CUDA, and this thread marking each slot DONE itself where the device
/// would. What is timed is the code of the host's publish (validate, reserve, write the slot and the line, ring) and of its
/// take (read the results, retire), without PCIe, snoops or a consumer: the floor under the breakdown's two host stages.
/// </summary>
internal static unsafe class HostPathBenchmark
{
    public static void Run(bool quick)
    {
        const int SlotCount = 1024;
        int rounds = quick ? 200_000 : 2_000_000;
        uint* ring = (uint*)NativeMemory.AlignedAlloc(SlotCount * SlotLayout.WordCount * sizeof(uint), 64);
        uint* control = (uint*)NativeMemory.AlignedAlloc(ControlWord.AllocatedWords * sizeof(uint), 128);
        uint* groupDone = (uint*)NativeMemory.AlignedAlloc(4096, 64);
        uint* ioCompleted = (uint*)NativeMemory.AlignedAlloc(SlotCount * sizeof(uint), 64);
        try
        {
            NativeMemory.Clear(ring, SlotCount * SlotLayout.WordCount * sizeof(uint));
            NativeMemory.Clear(control, ControlWord.AllocatedWords * sizeof(uint));
            var hostRing = new HostRing(ring, control, groupDone, ioCompleted, SlotCount) { ExpressWrites = true };
            Action<long, int> published = static (_, _) => { };
            var publish = new long[rounds];
            var take = new long[rounds];
            var start = new long[rounds];
            uint wrong = 0;
            for (int pass = 0; pass < 2; pass++)
            {
                // The first pass warms the JIT's tiers; only the second is reported.
                for (int i = 0; i < rounds; i++)
                {
                    var request = new SlotRequest(BenchKernels.Opcodes.Increment, (uint)i);
                    long t0 = Stopwatch.GetTimestamp();
                    RequestValidator.Validate(in request, SlotCount);
                    if (!hostRing.TryPublishOwned(new ReadOnlySpan<SlotRequest>(in request), published, out long sequence))
                    {
                        throw new InvalidOperationException("The ring had no room: a slot was not retired.");
                    }

                    long t1 = Stopwatch.GetTimestamp();
                    uint* slot = ring + ((sequence & (SlotCount - 1)) * SlotLayout.WordCount);
                    slot[SlotLayout.FirstArgument] = slot[SlotLayout.FirstArgument] + 1;
                    System.Threading.Volatile.Write(ref slot[SlotLayout.Status], (uint)SlotState.Done);
                    long t2 = Stopwatch.GetTimestamp();
                    hostRing.TryTake(sequence, out SlotResult result);
                    long t3 = Stopwatch.GetTimestamp();
                    wrong += result.IsDone && result[0] == (uint)i + 1 ? 0u : 1u;
                    start[i] = t0;
                    publish[i] = t1 - t0;
                    take[i] = t3 - t2;
                }
            }

            long empty = EmptyStamp(rounds);
            double tickNs = 1e9 / Stopwatch.Frequency;
            Console.WriteLine($"\n## Host path alone: one lone slot's publish and take, nothing on the other side ({rounds:N0} rounds, second pass; {wrong} wrong results)\n");
            Console.WriteLine($"Two back-to-back timer reads cost {empty * tickNs:0} ns at the median; the rows below include one.\n");
            Console.WriteLine("| stage | p50 ns | p90 ns | p99 ns |");
            Console.WriteLine("| --- | ---: | ---: | ---: |");
            // A round that starts long after the one before it found the thread interrupted (a timer tick, say): its
            // caches and TLB may be cold, as a publish after such an interruption is on the GPU path.
            long normal = Median(start.Zip(start.Skip(1), (a, b) => b - a).ToArray());
            long[] afterGap = [.. Enumerable.Range(1, rounds - 1).Where(i => start[i] - start[i - 1] > normal + (long)(2_000 / tickNs)).Select(i => publish[i])];
            long[] takeAfterGap = [.. Enumerable.Range(1, rounds - 1).Where(i => start[i] - start[i - 1] > normal + (long)(2_000 / tickNs)).Select(i => take[i])];
            Row("validate, reserve, write the slot and the express line, ring (TryPublish)", publish, tickNs);
            Row("read the results, retire (TryTake)", take, tickNs);
            if (afterGap.Length > 0)
            {
                Row($"TryPublish right after an interruption of the thread (≥ 2 µs between rounds; {afterGap.Length} rounds)", afterGap, tickNs);
                Row("TryTake in those rounds", takeAfterGap, tickNs);
            }
        }
        finally
        {
            NativeMemory.AlignedFree(ring);
            NativeMemory.AlignedFree(control);
            NativeMemory.AlignedFree(groupDone);
            NativeMemory.AlignedFree(ioCompleted);
        }
    }

    private static void Row(string stage, long[] ticks, double tickNs)
    {
        Array.Sort(ticks);
        Console.WriteLine($"| {stage} | {ticks[ticks.Length / 2] * tickNs:0} | {ticks[ticks.Length * 9 / 10] * tickNs:0} | {ticks[ticks.Length * 99 / 100] * tickNs:0} |");
    }

    private static long Median(long[] ticks)
    {
        Array.Sort(ticks);
        return ticks[ticks.Length / 2];
    }

    /// <summary>The median of two back-to-back timer reads, in ticks.</summary>
    private static long EmptyStamp(int rounds)
    {
        var ticks = new long[rounds];
        for (int i = 0; i < rounds; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            ticks[i] = Stopwatch.GetTimestamp() - t0;
        }

        Array.Sort(ticks);
        return ticks[rounds / 2];
    }
}
