using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Vyre.IoUring;
using Vyre.Streaming;

namespace Vyre.Scan;

/// <summary>What to scan and how.</summary>
public sealed class ScanRequest
{
    /// <summary>
    /// Default chunk size: 64 KiB, so that a GPU has many chunks in flight (one lane each). The content hash
    /// depends on it, so it is the same on every backend.
    /// </summary>
    public const int DefaultChunkBytes = 64 * 1024;

    /// <summary>Default staging buffers on the CPU backends: 256 chunks in flight.</summary>
    public const int DefaultCpuDepth = 256;

    /// <summary>
    /// Default staging buffers on CUDA: 1,024 chunks in flight. A lane reads its chunk from host memory
    /// behind PCIe, so throughput grows with the lanes at work (docs/benchmarks.md: 937 MB/s at 256, 1.5 GB/s at 1,024).
    /// </summary>
    public const int DefaultCudaDepth = 1024;

    /// <summary>Files to scan, in report order.</summary>
    public required IReadOnlyList<string> Files { get; init; }

    /// <summary>Literal patterns to count (at most <see cref="ScanKernels.MaxPatterns"/>).</summary>
    public IReadOnlyList<byte[]> Patterns { get; init; } = [];

    /// <summary>Where the handlers run.</summary>
    public Backend Backend { get; init; } = Backend.Auto;

    /// <summary>Bytes per chunk (a multiple of 4096).</summary>
    public int ChunkBytes { get; init; } = DefaultChunkBytes;

    /// <summary>Staging buffers (reads and slots in flight).</summary>
    public int? Depth { get; init; }

    /// <summary>How files are read: io_uring (default), or positional reads where asked for.</summary>
    public IoReads IoReads { get; init; } = IoReads.IoUring;

    /// <summary>Use O_DIRECT where the file system allows it.</summary>
    public bool Direct { get; init; } = true;

    /// <summary>Entropy in bits per byte at or above which a file of 4 KiB or more is flagged.</summary>
    public double EntropyThreshold { get; init; } = 7.5;

    /// <summary>Where the runtime's and the stream's notes go.</summary>
    public Action<string>? Log { get; init; }
}

/// <summary>One file's results.</summary>
/// <param name="Path">The file.</param>
/// <param name="Bytes">Bytes scanned.</param>
/// <param name="ContentHash">FNV-1a 64 over the chunks' FNV-1a 32 hashes (4 bytes little-endian each, in file order).</param>
/// <param name="Entropy">Shannon entropy of the bytes, bits per byte.</param>
/// <param name="HighEntropy">Entropy at or above the threshold and at least 4 KiB.</param>
/// <param name="PatternCounts">Matches of each pattern.</param>
/// <param name="Error">Why the file could not be read, or null.</param>
public sealed record FileReport(string Path, long Bytes, ulong ContentHash, double Entropy, bool HighEntropy, long[] PatternCounts, string? Error);

/// <summary>A whole scan.</summary>
/// <param name="Files">Per-file results in request order.</param>
/// <param name="Backend">Where the handlers ran.</param>
/// <param name="Elapsed">Wall time of the stream (host start excluded).</param>
/// <param name="Stats">The stream's counters.</param>
public sealed record ScanSummary(IReadOnlyList<FileReport> Files, string Backend, TimeSpan Elapsed, StreamStats Stats);

/// <summary>Streams files through <see cref="ScanKernels.ChunkStats"/> and folds the chunks into per-file reports.</summary>
public static class ScanEngine
{
    private const int HighEntropyMinimumBytes = 4096;

    /// <summary>Runs the scan; <paramref name="progress"/> gets bytes as chunks finish.</summary>
    public static async Task<ScanSummary> RunAsync(ScanRequest request, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        byte[][] patterns = ScanPatterns.Validate(request.Patterns);
        bool cuda = request.Backend == Backend.Cuda || (request.Backend == Backend.Auto && MegakernelHost.IsCudaAvailable());
        int depth = request.Depth ?? (cuda ? ScanRequest.DefaultCudaDepth : ScanRequest.DefaultCpuDepth);
        uint[] automaton = ScanPatterns.ToAutomaton(patterns, out int states);
        int statsBase = automaton.Length;
        int overlap = Math.Max(0, patterns.Select(p => p.Length).DefaultIfEmpty(1).Max() - 1);
        var stream = new StreamOptions
        {
            ChunkBytes = request.ChunkBytes,
            OverlapBytes = overlap,
            Depth = depth,
            Direct = request.Direct,
            ExtraArguments = [0, (uint)patterns.Length, (uint)statsBase, (uint)states],
            Stats = new StreamStats(),
            Log = request.Log,
        };
        long dataBytes = stream.DataBytesNeeded;
        if (request.ChunkBytes <= 0 || dataBytes > int.MaxValue)
        {
            throw new ArgumentException($"{depth} staging buffers of {request.ChunkBytes} bytes need {dataBytes} bytes of data buffer, past the 2 GiB a host has. Fix: lower --chunk-kib or --depth.");
        }

        var options = new MegakernelOptions
        {
            Backend = request.Backend,
            SlotCount = Math.Max(256, depth),
            DataBytes = (int)dataBytes,
            HeapWords = statsBase + (ScanKernels.StatsWords * depth),
            IoReads = request.IoReads,
            Log = request.Log,
        };
        await using MegakernelHost host = await ScanKernels.StartAsync(options, cancellationToken);
        host.WriteHeap(0, automaton);
        var files = request.Files.Select(f => new FileFold(f, patterns.Length)).ToArray();
        uint[] histogram = new uint[256];
        var clock = Stopwatch.StartNew();
        StreamInput[] inputs = request.Files.Select(StreamInput.FromPath).ToArray();
        await foreach (FileChunk chunk in host.StreamAsync(inputs, ScanKernels.Opcodes.ChunkStats, stream, cancellationToken))
        {
            FileFold file = files[chunk.InputIndex];
            if (chunk.Result.State != SlotState.Done)
            {
                // A file that is not a regular one (a FIFO, a device, a socket, a /proc file) says what it is.
                file.Fail(chunk.Error is { } error
                    ? error
                    : chunk.Result.Fault == FaultCode.IoError
                    ? $"{IoUring.IoUringException.Describe((int)chunk.Result.FaultDetail)} (errno {chunk.Result.FaultDetail}) at offset {chunk.Offset}"
                    : $"handler fault {chunk.Result.Fault} ({chunk.Result.FaultDetail}) at offset {chunk.Offset}");
                continue;
            }

            host.ReadHeap(statsBase + (ScanKernels.StatsWords * chunk.StagingIndex), histogram);
            file.Add(chunk, histogram);
            progress?.Report(chunk.Length);
        }

        return new ScanSummary(files.Select(f => f.Report(request.EntropyThreshold)).ToArray(), host.Description, clock.Elapsed, stream.Stats);
    }

    /// <summary>Shannon entropy in bits per byte of a byte histogram.</summary>
    public static double Entropy(ReadOnlySpan<long> histogram)
    {
        long total = 0;
        foreach (long count in histogram)
        {
            total += count;
        }

        double entropy = 0;
        foreach (long count in histogram)
        {
            if (count > 0)
            {
                double p = (double)count / total;
                entropy -= p * Math.Log2(p);
            }
        }

        return entropy;
    }

    /// <summary>The content hash of a file from its chunk hashes in file order.</summary>
    public static ulong ContentHash(IEnumerable<uint> chunkHashes)
    {
        ulong hash = 14695981039346656037;
        foreach (uint chunk in chunkHashes)
        {
            for (int shift = 0; shift < 32; shift += 8)
            {
                hash = (hash ^ ((chunk >> shift) & 0xFF)) * 1099511628211;
            }
        }

        return hash;
    }

    /// <summary>One file's chunks folded as they arrive, in any order.</summary>
    private sealed class FileFold(string path, int patterns)
    {
        private readonly SortedDictionary<long, uint> _chunkHashes = [];
        private readonly long[] _histogram = new long[256];
        private readonly long[] _counts = new long[patterns];
        private long _bytes;
        private string? _error;

        public void Add(FileChunk chunk, ReadOnlySpan<uint> histogram)
        {
            _chunkHashes.Add(chunk.Offset, chunk.Result[0]);
            _bytes += chunk.Length;
            for (int i = 0; i < 256; i++)
            {
                _histogram[i] += histogram[i];
            }

            for (int p = 0; p < _counts.Length; p++)
            {
                _counts[p] += chunk.Result[1 + p];
            }
        }

        public void Fail(string error) => _error ??= error;

        public FileReport Report(double threshold)
        {
            double entropy = Entropy(_histogram);
            return new FileReport(path, _bytes, ContentHash(_chunkHashes.Values), entropy, entropy >= threshold && _bytes >= HighEntropyMinimumBytes, _counts, _error);
        }
    }
}
