using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Vyre.Internals;
using Vyre.Ring;

namespace Vyre.Benchmarks;

/// <summary>
/// Where the time of one tiny round trip goes on CUDA (issue 10): host stamps (Stopwatch) around publishing, the
/// status becoming visible and the results being taken; device stamps (the GPU's global timer, <see cref="RoundTripTrace"/>)
/// at each stage of the device side. The clocks are aligned by the offset that makes the doorbell leg (host writes,
/// forwarder sees) equal to the status leg (device writes, host sees) at the median of each window of rounds: the sum
/// of the two legs is exact, their split assumes they cost the same. Every other round waits a random 0-3 µs before it
/// publishes (a slot arriving at a random phase of the forwarder's polling); those rounds take the clock offset of the
/// back-to-back rounds around them and get their own table.
/// </summary>
internal static class LatencyBreakdown
{
    private static readonly string[] s_legs =
    [
        "host: validate, write the slot, ring the doorbell",
        "doorbell written → the read that sees it issued (negative: already in flight)",
        "that read: issued → the forwarder sees the doorbell (PCIe read)",
        "claim (a store, or a compare-exchange after a batch)",
        "read the slot (from the express line: shuffles; else four 16-byte loads over PCIe)",
        "tenant check, slot context, dispatch to the handler",
        "handler (arguments from the slot read, result written to the ring)",
        "completion: fault check, status written with release",
        "status write → host sees it (PCIe write, host poll)",
        "host: read results, retire the slot",
    ];

    /// <summary>
    /// The breakdowns; with <paramref name="dumpFolder"/>, each run's rounds also go there as CSV (one row per round, its
    /// stages in µs); with <paramref name="profileHost"/>, two more runs (express line on and off) with the host ring's parts
    /// timed (<see cref="RingProfile"/>: a timer read per part, so those runs' host stages are slower by those reads).
    /// </summary>
    public static async Task RunAsync(bool quick, string? dumpFolder = null, bool profileHost = false)
    {
        // With the express line (the default on CUDA) and without it (the slot read from the ring after the doorbell).
        await RunAsync(quick, express: true, packed: false, dumpFolder);
        await RunAsync(quick, express: false, packed: false, dumpFolder);
        await RunAsync(quick, express: true, packed: true, dumpFolder);
        if (profileHost)
        {
            await RunAsync(quick, express: true, packed: false, dumpFolder: null, profileHost: true);
            await RunAsync(quick, express: false, packed: false, dumpFolder: null, profileHost: true);
        }
    }

    /// <summary>One run; <paramref name="packed"/>: each slot a PACKED slot of one Increment op instead of the op itself.</summary>
    private static async Task RunAsync(bool quick, bool express, bool packed, string? dumpFolder, bool profileHost = false)
    {
        int rounds = quick ? 2_000 : 20_000;
        int entries = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)rounds); // a power of two: a stamp masks
        await using MegakernelHost host = await BenchKernels.StartAsync(new MegakernelOptions { Backend = Backend.Cuda, SlotCount = 1024, TraceEntries = entries });
        host.Ring.ExpressWrites = express;
        OwnSlots.WarmUp(host, TimeSpan.FromSeconds(0.5));
        host.Ring.Profile = profileHost ? new RingProfile() : null;

        // Warm-up slots used trace entries too: the measured rounds, consecutive sequences, overwrite one entry each.
        var hostStamps = new long[rounds, 4];
        var sequences = new long[rounds];
        int wrong = 0;
        var random = new Random(12345);
        for (int i = 0; i < rounds; i++)
        {
            if (i % 2 == 1)
            {
                OwnSlots.RandomGap(random, 3000);
            }

            var request = packed
                ? new SlotRequest(Opcodes.PackedSlot, 1, BenchKernels.Opcodes.Increment, (uint)i)
                : new SlotRequest(BenchKernels.Opcodes.Increment, (uint)i);
            long h0 = Stopwatch.GetTimestamp();
            long sequence = OwnSlots.Publish(host, request);
            long h1 = Stopwatch.GetTimestamp();
            OwnSlots.SpinUntilComplete(host, sequence);

            long h2 = Stopwatch.GetTimestamp();
            host.TryTake(sequence, out SlotResult result);
            long h3 = Stopwatch.GetTimestamp();
            wrong += result.IsDone && result[packed ? 2 : 0] == (uint)i + 1 ? 0 : 1;
            (hostStamps[i, 0], hostStamps[i, 1], hostStamps[i, 2], hostStamps[i, 3]) = (h0, h1, h2, h3);
            sequences[i] = sequence;
        }

        if (host.Ring.Profile is { } profile)
        {
            host.Ring.Profile = null;
            PrintHostParts(profile.Totals(), rounds, express);
        }

        uint[] words = new uint[entries * RoundTripTrace.WordsPerEntry];
        host.ReadTrace(words);
        double tickNs = 1e9 / Stopwatch.Frequency;
        long Device(int i, int stage)
        {
            int at = ((int)(sequences[i] % entries) * RoundTripTrace.WordsPerEntry) + (stage * 2);
            return (long)(words[at] | ((ulong)words[at + 1] << 32));
        }

        long HostNs(int i, int stamp) => (long)(hostStamps[i, stamp] * tickNs);

        // Rounds the forwarder served itself (the single-slot path) carry every stamp.
        int[] served = Enumerable.Range(0, rounds).Where(i => Device(i, RoundTripTrace.DoorbellSeen) != 0 && Device(i, RoundTripTrace.Claimed) >= Device(i, RoundTripTrace.DoorbellSeen)).ToArray();
        // Per round, the offset that makes its two PCIe legs equal; the two clocks drift apart by microseconds over a
        // run, so each window of rounds takes the median of its own back-to-back rounds.
        const int Window = 500;
        long[] offsets = new long[served.Length];
        for (int start = 0; start < served.Length; start += Window)
        {
            int[] window = served[start..Math.Min(served.Length, start + Window)].Where(i => i % 2 == 0).ToArray();
            long median = window.Length == 0 ? 0 : window.Select(i => ((Device(i, RoundTripTrace.DoorbellSeen) - HostNs(i, 1)) - (HostNs(i, 2) - Device(i, RoundTripTrace.StatusWritten))) / 2).Order().ElementAt(window.Length / 2);
            Array.Fill(offsets, median, start, Math.Min(Window, served.Length - start));
        }

        double drift = (offsets[^1] - offsets[0]) / 1000.0;
        var legs = new double[s_legs.Length][];
        double[] afterStatus = new double[served.Length];
        for (int leg = 0; leg < legs.Length; leg++)
        {
            legs[leg] = new double[served.Length];
        }

        for (int k = 0; k < served.Length; k++)
        {
            int i = served[k];
            long offset = offsets[k];
            long[] t =
            [
                HostNs(i, 0) + offset,
                HostNs(i, 1) + offset,
                Device(i, RoundTripTrace.ReadIssued),
                Device(i, RoundTripTrace.DoorbellSeen),
                Device(i, RoundTripTrace.Claimed),
                Device(i, RoundTripTrace.HeaderRead),
                Device(i, RoundTripTrace.HandlerStart),
                Device(i, RoundTripTrace.HandlerEnd),
                Device(i, RoundTripTrace.StatusWritten),
                HostNs(i, 2) + offset,
                HostNs(i, 3) + offset,
            ];
            for (int leg = 0; leg < legs.Length; leg++)
            {
                legs[leg][k] = (t[leg + 1] - t[leg]) / 1000.0;
            }

            afterStatus[k] = (Device(i, RoundTripTrace.LaneFree) - Device(i, RoundTripTrace.StatusWritten)) / 1000.0;
        }

        if (dumpFolder is not null)
        {
            Dump(Path.Combine(dumpFolder, $"breakdown-{(express ? "express" : "ring")}{(packed ? "-packed" : "")}.csv"), served, legs, afterStatus, k => HostNs(served[k], 0) - HostNs(served[0], 0));
        }

        foreach (bool gap in new[] { false, true })
        {
            int[] rows = Enumerable.Range(0, served.Length).Where(k => served[k] % 2 == (gap ? 1 : 0)).ToArray();
            double Total(int k) => (HostNs(served[k], 3) - HostNs(served[k], 0)) / 1000.0;
            double[] totals = rows.Select(Total).Order().ToArray();
            // The tail's owner: each stage's mean over the rounds at or above the total's p99.
            int[] slowest = rows.Where(k => Total(k) >= totals[totals.Length * 99 / 100]).ToArray();
            string how = gap ? "each after a random 0-3 µs gap" : "back to back";
            Console.WriteLine($"\n## CUDA: where one round trip goes{(packed ? ", a PACKED slot of one Increment op (its handler stage: the whole PACKED run)" : "")}, express line {(express ? "on" : "off")}{(profileHost ? " (the host ring's parts timed)" : "")}, {how} ({rounds / 2:N0} round trips, {rows.Length:N0} served by the forwarder; {wrong} wrong results in the run)\n");
            Console.WriteLine($"Total p50 {totals[totals.Length / 2]:0.00} µs, p99 {totals[totals.Length * 99 / 100]:0.00} µs. Clocks aligned per window of {Window} rounds (the two PCIe legs equal at the median of the back-to-back rounds); the GPU clock drifted {drift:0.00} µs against the host's over the run. The two legs' sum is exact; their split is that assumption.\n");
            Console.WriteLine($"| stage | p50 µs | p90 µs | p99 µs | mean µs | mean over the slowest 1% ({slowest.Length} rounds at or above the total's p99) µs |");
            Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");
            for (int leg = 0; leg < legs.Length; leg++)
            {
                double[] sorted = rows.Select(k => legs[leg][k]).Order().ToArray();
                Console.WriteLine($"| {s_legs[leg]} | {sorted[sorted.Length / 2]:0.00} | {sorted[sorted.Length * 9 / 10]:0.00} | {sorted[sorted.Length * 99 / 100]:0.00} | {sorted.Average():0.00} | {slowest.Average(k => legs[leg][k]):0.00} |");
            }

            double[] after = rows.Select(k => afterStatus[k]).Order().ToArray();
            Console.WriteLine($"| (off the path) after the status: completion mark, device fence, until the lane is free | {after[after.Length / 2]:0.00} | {after[after.Length * 9 / 10]:0.00} | {after[after.Length * 99 / 100]:0.00} | {after.Average():0.00} | {slowest.Average(k => afterStatus[k]):0.00} |");
        }
    }

    /// <summary>
    /// The host ring's parts of a lone slot's publish and take (<see cref="RingProfile"/>), ns per round over all rounds. A lone
    /// take's result read is not a part of its own (only a batch's wait laps it): it is in the breakdown's host take stage.
    /// </summary>
    private static void PrintHostParts(double[] totals, int rounds, bool express)
    {
        int[] parts = [RingProfile.Reserve, RingProfile.Write, RingProfile.Mark, RingProfile.Doorbell, RingProfile.RetireClear, RingProfile.RetireMark];
        Console.WriteLine($"\n## CUDA: the host's parts of one lone slot, express line {(express ? "on" : "off")}, ns per round ({rounds:N0} rounds, half after a random 0-3 µs gap; each part includes one timer read)\n");
        Console.WriteLine($"| {string.Join(" | ", parts.Select(p => RingProfile.Names[p]))} |");
        Console.WriteLine($"|{string.Concat(Enumerable.Repeat(" ---: |", parts.Length))}");
        Console.WriteLine($"| {string.Join(" | ", parts.Select(p => (totals[p] / rounds).ToString("0")))} |");
    }

    /// <summary>One CSV row per served round: its index (odd: after a random gap), when it started (µs from the first), and each stage in µs.</summary>
    private static void Dump(string path, int[] served, double[][] legs, double[] afterStatus, Func<int, long> startNs)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var writer = new StreamWriter(path);
        writer.WriteLine("round,start_us," + string.Join(',', Enumerable.Range(0, legs.Length).Select(leg => $"stage{leg}")) + ",after_status");
        for (int k = 0; k < served.Length; k++)
        {
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{served[k]},{startNs(k) / 1000.0:0.000},{string.Join(',', legs.Select(leg => leg[k].ToString("0.000", CultureInfo.InvariantCulture)))},{afterStatus[k]:0.000}"));
        }
    }
}
