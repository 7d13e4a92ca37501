using System;
using System.Diagnostics;
using System.IO;
using System.Threading.Tasks;
using Microsoft.Win32.SafeHandles;

namespace Vyre.Benchmarks;

/// <summary>
/// LOAD_MISS beside what a host would do without it, in one run on one file in the page cache: the device
/// asks for a 4 KiB record (one LOAD_MISS slot: device → io queue → io_uring → slot DONE) versus the host
/// reading the record itself (pread into the data buffer) and then submitting a slot, and versus the bare
/// pread. Then batches of misses in flight together versus a host loop of preads of the same records.
/// </summary>
internal static class LoadMissBenchmark
{
    private const int Record = 4096;
    private const int Records = 4096;

    public static async Task RunAsync(Backend backend, bool quick, string folder)
    {
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, "records.bin");
        byte[] bytes = new byte[Records * Record];
        new Random(3).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);
        const int Batch = 256;
        await using MegakernelHost host = await BenchKernels.StartAsync(new MegakernelOptions
        {
            Backend = backend,
            SlotCount = 1024,
            DataBytes = Batch * Record,

        });
        uint file = host.RegisterIoFile(path);
        using SafeFileHandle handle = File.OpenHandle(path);
        int rounds = quick ? 1_000 : 10_000;
        var random = new Random(5);
        uint NextRecord() => (uint)random.Next(Records);

        for (int i = 0; i < 200; i++)
        {
            Check(host.Submit(Opcodes.LoadMiss, file, NextRecord() * (uint)Record, 0, Record, 0), Record);
        }

        double[] miss = new double[rounds];
        double[] hostRead = new double[rounds];
        double[] pread = new double[rounds];
        byte[] scratch = new byte[Record];
        for (int i = 0; i < rounds; i++)
        {
            uint record = NextRecord();
            long t0 = Stopwatch.GetTimestamp();
            Check(host.Submit(Opcodes.LoadMiss, file, record * (uint)Record, 0, Record, 0), Record);
            miss[i] = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;

            t0 = Stopwatch.GetTimestamp();
            RandomAccess.Read(handle, scratch, (long)record * Record);
            host.WriteData(0, scratch);
            Check(host.Submit(BenchKernels.Opcodes.Increment, record), record + 1);
            hostRead[i] = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;

            t0 = Stopwatch.GetTimestamp();
            RandomAccess.Read(handle, scratch, (long)record * Record);
            pread[i] = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
        }

        Console.WriteLine($"\n## LOAD_MISS, {host.Description} (4 KiB records of a {Records * Record >> 20} MiB file in the page cache; {rounds:N0} rounds, interleaved)\n");
        Console.WriteLine("| path | p50 µs | p99 µs |");
        Console.WriteLine("| --- | ---: | ---: |");
        Console.WriteLine($"| device asks: one LOAD_MISS slot (io queue → io_uring → slot DONE) | {Percentile(miss, 50):0.00} | {Percentile(miss, 99):0.00} |");
        Console.WriteLine($"| host reads (pread + WriteData) then submits a slot | {Percentile(hostRead, 50):0.00} | {Percentile(hostRead, 99):0.00} |");
        Console.WriteLine($"| bare pread of the record (no slot) | {Percentile(pread, 50):0.00} | {Percentile(pread, 99):0.00} |");

        int batches = quick ? 20 : 200;
        var requests = new SlotRequest[Batch];
        var results = new SlotResult[Batch];
        var clock = Stopwatch.StartNew();
        for (int b = 0; b < batches; b++)
        {
            for (int i = 0; i < Batch; i++)
            {
                requests[i] = new SlotRequest(Opcodes.LoadMiss, file, NextRecord() * (uint)Record, 0, Record, (uint)(i * Record));
            }

            host.WaitBatch(host.PublishBatch(requests), results);
            foreach (SlotResult result in results)
            {
                Check(result, Record);
            }
        }

        double missRate = (double)Batch * batches / clock.Elapsed.TotalSeconds;
        clock.Restart();
        for (int n = 0; n < Batch * batches; n++)
        {
            RandomAccess.Read(handle, scratch, (long)NextRecord() * (uint)Record);
        }

        double preadRate = (double)Batch * batches / clock.Elapsed.TotalSeconds;
        TelemetrySnapshot telemetry = host.Telemetry();
        Console.WriteLine($"\n| {Batch} misses in flight per batch, {batches} batches | K records/s | MB/s |");
        Console.WriteLine("| --- | ---: | ---: |");
        Console.WriteLine($"| LOAD_MISS slots (batch published, waited) | {missRate / 1e3:0.0} | {missRate * Record / 1e6:0} |");
        Console.WriteLine($"| one host thread, pread per record (no slot) | {preadRate / 1e3:0.0} | {preadRate * Record / 1e6:0} |");
        Console.WriteLine($"\nHost copies into the data buffer: {telemetry.HostBytesCopied:N0} bytes, all from the host-read row's WriteData ({rounds:N0} × {Record}); LOAD_MISS read {telemetry.LoadMissBytes:N0} bytes in {telemetry.LoadMissRequests:N0} requests.");
        Directory.Delete(folder, recursive: true);
    }

    private static void Check(SlotResult result, uint expected)
    {
        if (!result.IsDone || result[0] != expected)
        {
            throw new InvalidOperationException($"LOAD_MISS benchmark: expected DONE with {expected}, got {result}.");
        }
    }

    private static double Percentile(double[] values, int percent)
    {
        double[] sorted = (double[])values.Clone();
        Array.Sort(sorted);
        return sorted[Math.Min(sorted.Length - 1, sorted.Length * percent / 100)];
    }
}
