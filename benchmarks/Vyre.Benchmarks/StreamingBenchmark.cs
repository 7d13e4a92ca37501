using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Threading.Tasks;
using Vyre.IoUring;
using Vyre.Streaming;

namespace Vyre.Benchmarks;

/// <summary>
/// File → handler throughput of <see cref="MegakernelHost.StreamAsync"/> beside a raw io_uring read
/// of the same files (READ_FIXED into one registered buffer, same chunk size and depth, no handler),
/// in the page-cache and O_DIRECT cases.
/// </summary>
internal static class StreamingBenchmark
{
    private static int s_chunk = 1 << 20;
    private static int s_depth = 8;

    public static async Task RunAsync(Backend backend, bool quick, string folder, int chunk = 1 << 20, int depth = 8)
    {
        s_chunk = chunk;
        s_depth = depth;
        int files = quick ? 32 : 128;
        int fileBytes = 8 << 20;
        string[] paths = CreateFiles(folder, files, fileBytes);
        long total = (long)files * fileBytes;
        var rows = new List<string>();
        await using MegakernelHost host = await BenchKernels.StartAsync(new MegakernelOptions
        {
            Backend = backend,
            SlotCount = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(256, s_depth)),
            DataBytes = (s_depth * s_chunk) + StreamOptions.Alignment,

        });
        foreach (bool direct in new[] { false, true })
        {
            if (!direct)
            {
                Raw(paths, direct: false, s_chunk, s_depth); // Warm the page cache for the cached case.
            }

            double raw = 0, ours = 0;
            for (int round = 0; round < 3; round++)
            {
                raw = Math.Max(raw, total / Raw(paths, direct, s_chunk, s_depth));
                ours = Math.Max(ours, total / await Ours(host, paths, direct));
            }

            rows.Add($"| {(direct ? "O_DIRECT" : "page cache")} | {raw / 1e9:0.00} | {ours / 1e9:0.00} | {ours / raw * 100:0}% |");
            Console.Error.WriteLine(rows[^1]);
        }

        Console.WriteLine($"\n## Streaming files → handler, {host.Description} ({files} files × {fileBytes >> 20} MiB, chunks of {s_chunk >> 10} KiB, depth {s_depth}; best of 3)\n");
        Console.WriteLine("| case | raw io_uring GB/s | StreamAsync → TouchPages GB/s | ours / raw |");
        Console.WriteLine("| --- | ---: | ---: | ---: |");
        rows.ForEach(Console.WriteLine);
        Console.WriteLine($"\nHost copies into the data buffer while streaming: {host.Telemetry().HostBytesCopied:N0} bytes.");
        Directory.Delete(folder, recursive: true);
    }

    private static async Task<double> Ours(MegakernelHost host, string[] paths, bool direct)
    {
        var inputs = paths.Select(StreamInput.FromPath).ToArray();
        var clock = Stopwatch.StartNew();
        await foreach (FileChunk chunk in host.StreamAsync(inputs, BenchKernels.Opcodes.TouchPages, new StreamOptions { ChunkBytes = s_chunk, Depth = s_depth, Direct = direct }))
        {
            if (!chunk.Result.IsDone)
            {
                throw new InvalidOperationException($"{chunk.Name}@{chunk.Offset}: {chunk.Result}");
            }
        }

        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>Reads every file with READ_FIXED, <paramref name="depth"/> reads of <paramref name="chunk"/> bytes in flight, from one thread; returns seconds.</summary>
    internal static unsafe double Raw(string[] paths, bool direct, int chunk, int depth)
    {
        byte* buffer = (byte*)NativeMemory.AlignedAlloc((nuint)((long)depth * chunk), StreamOptions.Alignment);
        try
        {
            using IoUringRing ring = IoUringRing.Create(depth * 2);
            ring.RegisterBuffers([((nint)buffer, (nuint)((long)depth * chunk))]);
            var clock = Stopwatch.StartNew();
            var handles = paths.Select(p => new Microsoft.Win32.SafeHandles.SafeFileHandle(
                IoUringNative.Open(p, IoUringNative.ORdOnly | IoUringNative.OCloExec | (direct ? IoUringNative.ODirect : 0), 0), ownsHandle: true)).ToArray();
            long[] lengths = handles.Select(RandomAccess.GetLength).ToArray();
            var queue = new Queue<(int File, long Offset)>(handles.SelectMany((h, i) => Enumerable.Range(0, (int)((lengths[i] + chunk - 1) / chunk)).Select(c => (i, (long)c * chunk))));
            var expected = new long[depth];
            var free = new Stack<int>(Enumerable.Range(0, depth));
            int inFlight = 0;
            while (queue.Count > 0 || inFlight > 0)
            {
                while (queue.Count > 0 && free.Count > 0)
                {
                    (int file, long offset) = queue.Dequeue();
                    int slot = free.Pop();
                    expected[slot] = Math.Min(chunk, lengths[file] - offset);
                    ring.TryQueueRead((int)handles[file].DangerousGetHandle(), false, (nint)(buffer + ((long)slot * chunk)), (uint)chunk, (ulong)offset, 0, (ulong)slot);
                    inFlight++;
                }

                ring.Submit(waitFor: 1, TimeSpan.FromSeconds(5));
                while (ring.TryReap(out ulong slot, out int result))
                {
                    if (result != expected[slot])
                    {
                        throw new IOException($"raw read returned {result}");
                    }

                    free.Push((int)slot);
                    inFlight--;
                }
            }

            double seconds = clock.Elapsed.TotalSeconds;
            foreach (var handle in handles)
            {
                handle.Dispose();
            }

            return seconds;
        }
        finally
        {
            NativeMemory.AlignedFree(buffer);
        }
    }

    private static string[] CreateFiles(string folder, int count, int bytes)
    {
        Directory.CreateDirectory(folder);
        byte[] data = new byte[bytes];
        new Random(1).NextBytes(data);
        return Enumerable.Range(0, count).Select(i =>
        {
            string path = Path.Combine(folder, $"f{i:D4}.bin");
            data[0] = (byte)i;
            File.WriteAllBytes(path, data);
            return path;
        }).ToArray();
    }
}
