using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace Vyre.Benchmarks;

/// <summary>
/// The latency of a tiny probe slot while other threads flood the ring with slots that each do some work (so a queue
/// forms on the device): no flood; a flood at the probe's own priority (what a host without priorities gives); a
/// Background flood under Critical and Normal probes. Every result is checked.
/// </summary>
internal static class PriorityBenchmark
{
    private const int FloodBatch = 64;

    /// <param name="backend">Where to run.</param>
    /// <param name="quick">Fewer probes.</param>
    /// <param name="slots">The ring's size.</param>
    /// <param name="spinSteps">Generator steps per flood slot: enough that the device, not the host, limits the flood (a GPU has thousands of lanes, so its slots must be far longer than a CPU worker's).</param>
    public static async Task RunAsync(Backend backend, bool quick, int slots, uint spinSteps)
    {
        uint[] expected = [.. Enumerable.Range(0, FloodBatch).Select(i => Expected((uint)i, spinSteps))];

        int probes = quick ? 200 : 1_000;
        int flooders = Math.Clamp(Environment.ProcessorCount / 4, 2, 4);
        int inFlight = (slots * 3 / 2) / (flooders * FloodBatch);
        var rows = new List<string>();
        await using MegakernelHost host = await BenchKernels.StartAsync(new MegakernelOptions { Backend = backend, SlotCount = slots });
        (int normal, int low, int background) = (host.Priorities.Window(2), host.Priorities.Window(3), host.Priorities.Window(4));
        rows.Add(Row("no flood", Run(host, probes, 0, inFlight, spinSteps, expected, SlotPriority.Normal, SlotPriority.Normal)));
        rows.Add(Row("Normal flood, Normal probe (no priorities)", Run(host, probes, flooders, inFlight, spinSteps, expected, SlotPriority.Normal, SlotPriority.Normal)));
        rows.Add(Row("Background flood, Critical probe", Run(host, probes, flooders, inFlight, spinSteps, expected, SlotPriority.Background, SlotPriority.Critical)));
        rows.Add(Row("Background flood, Normal probe", Run(host, probes, flooders, inFlight, spinSteps, expected, SlotPriority.Background, SlotPriority.Normal)));

        Console.WriteLine($"\n## {backend}: a probe slot's round trip under a flood ({probes:N0} probes; {flooders} flood thread(s) of {spinSteps:N0}-step slots, batches of {FloodBatch}, up to {inFlight} in flight each; ring {slots:N0}, windows Normal {normal}, Low {low}, Background {background})\n");
        Console.WriteLine("| flood and probe | probe p50 µs | p99 µs | max µs | flood slots/s | wrong results |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        rows.ForEach(Console.WriteLine);
    }

    private static string Row(string label, (double P50, double P99, double Max, double FloodRate, long Wrong) r) =>
        $"| {label} | {r.P50:0.0} | {r.P99:0.0} | {r.Max:0.0} | {(r.FloodRate > 0 ? $"{r.FloodRate / 1e6:0.0} M" : "-")} | {r.Wrong} |";

    private static (double P50, double P99, double Max, double FloodRate, long Wrong) Run(MegakernelHost host, int probes, int flooders, int batchesInFlight, uint spinSteps, uint[] expected, SlotPriority flood, SlotPriority probe)
    {
        using var stop = new CancellationTokenSource();
        long flooded = 0;
        long wrong = 0;
        var threads = Enumerable.Range(0, flooders).Select(_ => new Thread(() =>
        {
            SlotRequest[] requests = [.. Enumerable.Range(0, FloodBatch).Select(i => new SlotRequest(BenchKernels.Opcodes.Spin, spinSteps, (uint)i) { Priority = flood })];
            var results = new SlotResult[FloodBatch];
            var inFlight = new Queue<SlotBatch>();
            long own = 0;
            long ownWrong = 0;
            while (!stop.IsCancellationRequested || inFlight.Count > 0)
            {
                if (!stop.IsCancellationRequested && inFlight.Count < batchesInFlight && host.TryPublishBatch(requests, out SlotBatch batch))
                {
                    inFlight.Enqueue(batch);
                    continue;
                }

                if (inFlight.Count == 0)
                {
                    Thread.Yield();
                    continue;
                }

                host.WaitBatch(inFlight.Dequeue(), results);
                own += FloodBatch;
                for (int i = 0; i < FloodBatch; i++)
                {
                    ownWrong += results[i][0] == (uint)i + 1 && results[i][1] == expected[i] ? 0 : 1;
                }
            }

            Interlocked.Add(ref flooded, own);
            Interlocked.Add(ref wrong, ownWrong);
        }) { IsBackground = true }).ToArray();

        var clock = Stopwatch.StartNew();
        foreach (Thread thread in threads)
        {
            thread.Start();
        }

        Thread.Sleep(flooders > 0 ? 200 : 0);
        double[] micros = new double[probes];
        long probeWrong = 0;
        for (int i = 0; i < probes; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            SlotResult r = host.Submit(new SlotRequest(BenchKernels.Opcodes.Increment, (uint)i) { Priority = probe });
            micros[i] = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
            probeWrong += r[0] == (uint)i + 1 ? 0 : 1;
            Thread.SpinWait(200);
        }

        stop.Cancel();
        foreach (Thread thread in threads)
        {
            thread.Join();
        }

        double seconds = clock.Elapsed.TotalSeconds;
        Array.Sort(micros);
        return (micros[probes / 2], micros[probes * 99 / 100], micros[^1], flooded / seconds, wrong + probeWrong);
    }

    /// <summary>What <see cref="BenchKernels.Spin"/> leaves in result 1 after <paramref name="steps"/> from <paramref name="seed"/>.</summary>
    private static uint Expected(uint seed, uint steps)
    {
        uint x = seed;
        for (uint i = 0; i < steps; i++)
        {
            x = (x * 1664525u) + 1013904223u;
        }

        return x;
    }
}
