using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Vyre;
using Vyre.Benchmarks;

// Side-by-side measurements in one run. Prints markdown tables for docs/benchmarks.md.
// Usage: Vyre.Benchmarks [--quick] [--stream-only | --loadmiss-only | --ring-only | --priority-only | --programs-only | --scan-only (options below) | --breakdown-only [--dump DIR] [--profile-host] | --host-path-only | --cold-start embedded|compiled|cache]
bool quick = args.Contains("--quick");
Console.WriteLine($"# Vyre benchmarks, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, {Environment.OSVersion}");
string streamFolder = Path.Combine(Path.GetTempPath(), "vyre-bench-stream-" + Environment.ProcessId);
if (args.Contains("--stream-only"))
{
    // [--chunk-kib N --depth N]: the chunk size and depth of the stream and of the raw read beside it.
    int chunkKib = Array.IndexOf(args, "--chunk-kib") is int c and >= 0 ? int.Parse(args[c + 1]) : 1024;
    int depth = Array.IndexOf(args, "--depth") is int d and >= 0 ? int.Parse(args[d + 1]) : 8;
    await StreamingBenchmark.RunAsync(MegakernelHost.IsCudaAvailable() ? Backend.Cuda : Backend.Managed, quick, streamFolder, chunkKib * 1024, depth);
    return;
}

if (args.Contains("--scan-only"))
{
    // --scan-only --tool "dotnet PATH/vyre-scan.dll" [--rg PATH] [--rules 8,1000,10000] [--runs "cuda|managed:--depth 4096;..."] [--repeats N]
    string Value(string name, string fallback) => Array.IndexOf(args, name) is int i and >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    string? rg = Value("--rg", string.Empty) is { Length: > 0 } given ? given : null;
    int[] ruleCounts = [.. Value("--rules", "8,1000,10000").Split(',').Select(int.Parse)];
    var runs = Value("--runs", MegakernelHost.IsCudaAvailable() ? "cuda;managed" : "managed").Split(';')
        .Select(r => r.Split(':', 2)).Select(p => (p[0], p.Length > 1 ? p[1] : string.Empty)).ToArray();
    ScanBenchmark.Run(Value("--tool", "vyre-scan"), rg, ruleCounts, runs, Path.Combine(Path.GetTempPath(), "vyre-bench-scan"), int.Parse(Value("--repeats", "3")));
    return;
}

if (args.Contains("--priority-only"))
{
    // A GPU has thousands of lanes: its flood slots are long enough (milliseconds) that the device, not the host, limits the flood.
    await PriorityBenchmark.RunAsync(Backend.Managed, quick, slots: 16384, spinSteps: 2000);
    if (MegakernelHost.IsCudaAvailable())
    {
        await PriorityBenchmark.RunAsync(Backend.Cuda, quick, slots: 65536, spinSteps: 2_000_000);
    }

    return;
}

if (args.Contains("--programs-only"))
{
    await ProgramBenchmark.RunAsync(quick);
    return;
}

if (args.Contains("--ring-only"))
{
    await RingThroughput.ManagedAsync(quick);
    if (MegakernelHost.IsCudaAvailable())
    {
        await LatencyBreakdown.RunAsync(quick);
        await CudaLatency(quick);
        await RingThroughput.CudaAsync(quick);
    }

    return;
}

if (args.Contains("--throughput-only"))
{
    await RingThroughput.CudaAsync(quick);
    return;
}

if (args.Contains("--latency-only"))
{
    // The CUDA round-trip rows alone (Submit, untraced): seconds a run, so that builds can be interleaved many times.
    await CudaLatency(quick);
    return;
}

if (args.Contains("--host-path-only"))
{
    HostPathBenchmark.Run(quick);
    return;
}

if (args.Contains("--breakdown-only"))
{
    // [--dump DIR]: every round of each breakdown as CSV.
    HostPathBenchmark.Run(quick);
    // [--profile-host]: two more runs with the host ring's parts timed.
    await LatencyBreakdown.RunAsync(quick, Array.IndexOf(args, "--dump") is int d and >= 0 ? args[d + 1] : null, args.Contains("--profile-host"));
    await CudaLatency(quick);
    return;
}

if (Array.IndexOf(args, "--cold-start") is int at and >= 0)
{
    // One start in this fresh process: MODE embedded (the shipped kernel), compiled (IL compiled at start, no cache),
    // or cache (the shipped kernel ignored, the kernel cache in VYRE_KERNEL_CACHE used). The driver's own JIT cache is
    // the caller's business (CUDA_CACHE_PATH): a fresh one is a first start, a warm one a second start.
    string mode = at + 1 < args.Length ? args[at + 1] : "embedded";
    Vyre.Backends.Cuda.CudaKernelLoader.IgnoreEmbedded = mode != "embedded";
    var clock = Stopwatch.StartNew();
    await using MegakernelHost host = await BenchKernels.StartAsync(new MegakernelOptions { Backend = Backend.Cuda, SlotCount = 1024, KernelCacheDirectory = mode == "compiled" ? string.Empty : null });
    double started = clock.Elapsed.TotalMilliseconds;
    host.Submit(BenchKernels.Opcodes.Increment, 1);
    double firstSlot = clock.Elapsed.TotalMilliseconds;
    TelemetrySnapshot telemetry = host.Telemetry();
    Console.WriteLine($"cold-start mode={mode} origin={telemetry.KernelOrigin} kernel_load_ms={telemetry.KernelLoadTime.TotalMilliseconds:0} started_ms={started:0} first_slot_ms={firstSlot:0} process_to_first_slot_ms={(DateTime.Now - Process.GetCurrentProcess().StartTime).TotalMilliseconds:0}");
    return;
}

if (args.Contains("--loadmiss-only"))
{
    await LoadMissBenchmark.RunAsync(MegakernelHost.IsCudaAvailable() ? Backend.Cuda : Backend.Managed, quick, streamFolder);
    return;
}

await RingThroughput.ManagedAsync(quick);
await StreamingBenchmark.RunAsync(Backend.Managed, quick, streamFolder);
await LoadMissBenchmark.RunAsync(Backend.Managed, quick, streamFolder);
if (MegakernelHost.IsCudaAvailable())
{
    await LatencyBreakdown.RunAsync(quick);
    await CudaLatency(quick);
    await RingThroughput.CudaAsync(quick);
    await StreamingBenchmark.RunAsync(Backend.Cuda, quick, streamFolder);
    await LoadMissBenchmark.RunAsync(Backend.Cuda, quick, streamFolder);
}
else
{
    Console.WriteLine("\nNo CUDA device: the CUDA tables are skipped.");
}

static async Task CudaLatency(bool quick)
{
    int rounds = quick ? 2_000 : 20_000;
    var rows = new List<string>();
    foreach ((KernelMode mode, bool express) in new[] { (KernelMode.Persistent, true), (KernelMode.Persistent, false), (KernelMode.Once, false) })
    {
        var start = Stopwatch.StartNew();
        await using MegakernelHost host = await BenchKernels.StartAsync(new MegakernelOptions { Backend = Backend.Cuda, Mode = mode, SlotCount = 1024 });
        host.Ring.ExpressWrites = express;
        host.Submit(BenchKernels.Opcodes.Increment, 1);
        double coldMs = start.Elapsed.TotalMilliseconds;
        (double p50, double p99, int wrong, double first) = RingThroughput.RoundTrips(host, rounds);
        string label = mode == KernelMode.Once ? "ILGPU launch + synchronize per task (Once mode)"
            : express ? "resident megakernel (ring round trip; the express line, the default)" : "resident megakernel, express line off (slot read from the ring after the doorbell)";
        rows.Add($"| {label} | {p50:0.00} | {p99:0.00} | {FirstRead(first, mode)} | {coldMs:0} | {wrong} |");
        if (mode == KernelMode.Persistent && express)
        {
            (p50, p99, wrong, first) = RingThroughput.RoundTrips(host, rounds, maxGapNs: 3000);
            rows.Add($"| the same, each slot after a random 0-3 µs gap (arriving at a random phase of the forwarder's polling) | {p50:0.00} | {p99:0.00} | {FirstRead(first, mode)} | | {wrong} |");
            host.SetTenantPermissions(1, TenantPermissions.User);
            (p50, p99, wrong, first) = RingThroughput.RoundTrips(host, rounds, tenant: 1);
            rows.Add($"| the same, back to back, slots of tenant 1 (checked against its permission mask) | {p50:0.00} | {p99:0.00} | {FirstRead(first, mode)} | | {wrong} |");
            foreach ((int ops, bool nop) in new[] { (1, false), (Vyre.PackedSlot.MaxOps, false), (Vyre.PackedSlot.MaxOps, true) })
            {
                (p50, p99, wrong, first) = RingThroughput.PackedRoundTrips(host, rounds, ops, nop);
                rows.Add($"| the same, back to back, a PACKED slot of {ops} {(nop ? "NOP" : "Increment")} op{(ops == 1 ? "" : "s")}, every result checked | {p50:0.00} | {p99:0.00} | {FirstRead(first, mode)} | | {wrong} |");
            }
        }
    }

    Console.WriteLine($"\n## CUDA: one tiny slot, host → device → host ({rounds:N0} round trips each)\n");
    Console.WriteLine("| path | p50 µs | p99 µs | served from the forwarder's first read after the previous answer | cold start to first slot, ms | wrong results |");
    Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");
    rows.ForEach(Console.WriteLine);

    // Once mode has no forwarder: nothing to count.
    static string FirstRead(double share, KernelMode mode) => mode == KernelMode.Once ? "" : $"{share:P1}";
}
