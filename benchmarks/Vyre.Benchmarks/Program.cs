using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using Vyre;
using Vyre.Benchmarks;
using Vyre.Internals;

// Side-by-side measurements in one run. Prints markdown tables for docs/benchmarks.md.
// Usage: Vyre.Benchmarks [--quick] [--stream-only | --loadmiss-only | --ring-only | --breakdown-only | --cold-start embedded|compiled|cache]
bool quick = args.Contains("--quick");
Console.WriteLine($"# Vyre benchmarks, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, {Environment.OSVersion}");
string streamFolder = Path.Combine(Path.GetTempPath(), "vyre-bench-stream-" + Environment.ProcessId);
if (args.Contains("--stream-only"))
{
    await StreamingBenchmark.RunAsync(MegakernelHost.IsCudaAvailable() ? Backend.Cuda : Backend.Managed, quick, streamFolder);
    return;
}

if (args.Contains("--ring-only"))
{
    await ManagedThroughput(quick);
    if (MegakernelHost.IsCudaAvailable())
    {
        await LatencyBreakdown.RunAsync(quick);
        await CudaLatency(quick);
        await CudaThroughput(quick);
    }

    return;
}

if (args.Contains("--breakdown-only"))
{
    await LatencyBreakdown.RunAsync(quick);
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
    await using MegakernelHost host = await BenchKernels.StartAsync(new MegakernelOptions { Backend = Backend.Cuda, SlotCount = 1024, KernelCacheDirectory = mode == "compiled" ? string.Empty : null, Log = _ => { } });
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

await ManagedThroughput(quick);
await StreamingBenchmark.RunAsync(Backend.Managed, quick, streamFolder);
await LoadMissBenchmark.RunAsync(Backend.Managed, quick, streamFolder);
if (MegakernelHost.IsCudaAvailable())
{
    await LatencyBreakdown.RunAsync(quick);
    await CudaLatency(quick);
    await CudaThroughput(quick);
    await StreamingBenchmark.RunAsync(Backend.Cuda, quick, streamFolder);
    await LoadMissBenchmark.RunAsync(Backend.Cuda, quick, streamFolder);
}
else
{
    Console.WriteLine("\nNo CUDA device: the CUDA tables are skipped.");
}

static async Task ManagedThroughput(bool quick)
{
    int total = quick ? 1 << 20 : 1 << 23;
    const int Batch = 8192;
    var requests = Enumerable.Repeat(new SlotRequest(Opcodes.Nop), Batch).ToArray();
    var results = new SlotResult[Batch];
    await using MegakernelHost host = await BenchKernels.StartAsync(new MegakernelOptions { Backend = Backend.Managed, Lanes = 1, SlotCount = Batch * 2, Log = _ => { } });
    host.WaitBatch(host.PublishBatch(requests), results);
    var clock = Stopwatch.StartNew();
    for (int done = 0; done < total; done += Batch)
    {
        host.WaitBatch(host.PublishBatch(requests), results);
    }

    double ringRate = total / clock.Elapsed.TotalSeconds;

    // Baseline: a direct loop calling the same handler through the same dispatcher, no ring.
    using Context context = Context.Create(b => b.CPU());
    using CPUAccelerator accelerator = context.CreateCPUAccelerator(0);
    using MemoryBuffer1D<uint, Stride1D.Dense> words = accelerator.Allocate1D<uint>(SlotLayout.WordCount);
    using MemoryBuffer1D<uint, Stride1D.Dense> scratch = accelerator.Allocate1D<uint>(SlotScratch.WordsPerSlot);
    var buffers = new MegakernelBuffers { Ring = new SharedWords(words.View, 0), Scratch = scratch.View, SlotCount = 1 };
    var dispatcher = default(BenchKernels.Dispatcher);
    clock.Restart();
    uint sink = 0;
    for (int i = 0; i < total; i++)
    {
        var slot = new SlotContext(buffers, 0, Opcodes.Nop, 0);
        sink += (uint)dispatcher.Dispatch(ref slot, out _);
    }

    double directRate = total / clock.Elapsed.TotalSeconds;
    Console.WriteLine($"\n## Managed backend, NOP slots, one worker thread ({total:N0} slots, batches of {Batch}; sink {sink % 7})\n");
    Console.WriteLine("| path | M slots/s | ratio to direct |");
    Console.WriteLine("| --- | ---: | ---: |");
    Console.WriteLine($"| direct loop calling the dispatcher | {directRate / 1e6:0.0} | 1.00 |");
    Console.WriteLine($"| ring → Managed worker → ring (publish, run, wait, read results) | {ringRate / 1e6:0.0} | {directRate / ringRate:0.00}x slower |");
}

static async Task CudaLatency(bool quick)
{
    int rounds = quick ? 2_000 : 20_000;
    var rows = new List<string>();
    foreach (KernelMode mode in new[] { KernelMode.Persistent, KernelMode.Once })
    {
        var start = Stopwatch.StartNew();
        await using MegakernelHost host = await BenchKernels.StartAsync(new MegakernelOptions { Backend = Backend.Cuda, Mode = mode, SlotCount = 1024, Log = _ => { } });
        host.Submit(BenchKernels.Opcodes.Increment, 1);
        double coldMs = start.Elapsed.TotalMilliseconds;
        for (int i = 0; i < 500; i++)
        {
            host.Submit(BenchKernels.Opcodes.Increment, (uint)i);
        }

        double[] micros = new double[rounds];
        int wrong = 0;
        for (int i = 0; i < rounds; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            SlotResult r = host.Submit(BenchKernels.Opcodes.Increment, (uint)i);
            micros[i] = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
            wrong += r[0] == (uint)i + 1 ? 0 : 1;
        }

        Array.Sort(micros);
        string label = mode == KernelMode.Persistent ? "resident megakernel (ring round trip)" : "ILGPU launch + synchronize per task (Once mode)";
        rows.Add($"| {label} | {micros[rounds / 2]:0.00} | {micros[rounds * 99 / 100]:0.00} | {coldMs:0} | {wrong} |");
    }

    Console.WriteLine($"\n## CUDA: one tiny slot, host → device → host ({rounds:N0} round trips each)\n");
    Console.WriteLine("| path | p50 µs | p99 µs | cold start to first slot, ms | wrong results |");
    Console.WriteLine("| --- | ---: | ---: | ---: | ---: |");
    rows.ForEach(Console.WriteLine);
}

static async Task CudaThroughput(bool quick)
{
    const int Ring = 1 << 17;
    await using MegakernelHost host = await BenchKernels.StartAsync(new MegakernelOptions { Backend = Backend.Cuda, SlotCount = Ring, Log = _ => { } });
    Console.WriteLine($"\n## CUDA: sustained tiny slots, resident megakernel ({host.Description})\n");
    Console.WriteLine("| batch | batches | M slots/s | wrong results |");
    Console.WriteLine("| ---: | ---: | ---: | ---: |");
    foreach (int batch in new[] { 1024, 16384, 65536 })
    {
        var requests = new SlotRequest[batch];
        for (int i = 0; i < batch; i++)
        {
            requests[i] = new SlotRequest(BenchKernels.Opcodes.Increment, (uint)i);
        }

        var results = new SlotResult[batch];
        host.WaitBatch(host.PublishBatch(requests), results);
        int total = quick ? 1 << 20 : 1 << 23;
        int batches = Math.Max(1, total / batch);
        int wrong = 0;
        var clock = Stopwatch.StartNew();
        for (int b = 0; b < batches; b++)
        {
            host.WaitBatch(host.PublishBatch(requests), results);
            wrong += results[batch - 1][0] == (uint)batch ? 0 : 1;
        }

        Console.WriteLine($"| {batch:N0} | {batches} | {(double)batch * batches / clock.Elapsed.TotalSeconds / 1e6:0.00} | {wrong} |");
    }
}
