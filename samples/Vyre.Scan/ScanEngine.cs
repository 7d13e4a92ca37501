using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Win32.SafeHandles;
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

    /// <summary>Literal patterns to count (at most <see cref="ScanPatterns.MaxPatterns"/>, each 1 to <see cref="ScanPatterns.MaxLength"/> bytes).</summary>
    public IReadOnlyList<byte[]> Patterns { get; init; } = [];

    /// <summary>
    /// Matches a chunk lists for the host (default 1,024). A chunk with more is counted again on the CPU from the file,
    /// so results never depend on it; it only bounds the result area (4 bytes per match per staging buffer).
    /// </summary>
    public int MatchCapacity { get; init; } = 1024;

    /// <summary>
    /// Copy each chunk into the heap before its slot runs: on CUDA device memory, filled by the copy engine, so handlers
    /// read device memory instead of host memory across PCIe. Null (default): on CUDA only; true: on every backend (on the
    /// CPU backends a memory copy, for tests); false: never.
    /// </summary>
    public bool? DeviceCopy { get; init; }

    /// <summary>Compute content hashes and byte entropy (default); without, only matches are counted.</summary>
    public bool Stats { get; init; } = true;

    /// <summary>GPU threads on CUDA, worker threads on Managed (<see cref="MegakernelOptions.Lanes"/>); null: the backend's default.</summary>
    public int? Lanes { get; init; }

    /// <summary>Where the handlers run.</summary>
    public Backend Backend { get; init; } = Backend.Auto;

    /// <summary>
    /// Who walks a chunk: a whole warp (<see cref="ScanKernels.ChunkStatsWarp{TGroup}"/>) or one lane
    /// (<see cref="ScanKernels.ChunkStats"/>). Null (default): a warp on CUDA, a lane on the CPU backends, where a lane is a
    /// worker thread and a warp is emulated by 32 threads.
    /// </summary>
    public HandlerWidth? Width { get; init; }

    /// <summary>Bytes per chunk (a multiple of 4096).</summary>
    public int ChunkBytes { get; init; } = DefaultChunkBytes;

    /// <summary>Staging buffers (reads and slots in flight).</summary>
    public int? Depth { get; init; }

    /// <summary>How files are read: io_uring (default), or positional reads where asked for.</summary>
    public IoReads IoReads { get; init; } = IoReads.IoUring;

    /// <summary>
    /// Use O_DIRECT where the file system allows it. Default false: through the page cache, like ripgrep; on the H200
    /// machine O_DIRECT read cached files at 1.38 GB/s against 5.57 through the cache (docs/benchmarks.md).
    /// </summary>
    public bool Direct { get; init; }

    /// <summary>Entropy in bits per byte at or above which a file of 4 KiB or more is flagged.</summary>
    public double EntropyThreshold { get; init; } = 7.5;

    /// <summary>Where the runtime's and the stream's notes go.</summary>
    public Action<string>? Log { get; init; }
}

/// <summary>One file's results.</summary>
/// <param name="Path">The file.</param>
/// <param name="Bytes">Bytes scanned.</param>
/// <param name="ContentHash">FNV-1a 64 over the chunks' FNV-1a 32 hashes (4 bytes little-endian each, in file order); 0 without <see cref="ScanRequest.Stats"/>.</param>
/// <param name="Entropy">Shannon entropy of the bytes, bits per byte; NaN without <see cref="ScanRequest.Stats"/>.</param>
/// <param name="HighEntropy">Entropy at or above the threshold and at least 4 KiB.</param>
/// <param name="Matches">Matches per pattern number (index into the request's patterns), only those with any.</param>
/// <param name="Error">Why the file could not be read, or null.</param>
public sealed record FileReport(string Path, long Bytes, ulong ContentHash, double Entropy, bool HighEntropy, IReadOnlyDictionary<int, long> Matches, string? Error)
{
    /// <summary>Matches of pattern <paramref name="pattern"/> in this file.</summary>
    public long Count(int pattern) => Matches.TryGetValue(pattern, out long count) ? count : 0;
}

/// <summary>A whole scan.</summary>
/// <param name="Files">Per-file results in request order.</param>
/// <param name="Backend">Where the handlers ran.</param>
/// <param name="Elapsed">Wall time of the stream (host start excluded).</param>
/// <param name="Stats">The stream's counters.</param>
/// <param name="Recounted">Chunks with more matches than their result area listed, counted again on the CPU.</param>
/// <param name="Setup">Time before the stream: building the automaton, starting the host, writing the automaton.</param>
public sealed record ScanSummary(IReadOnlyList<FileReport> Files, string Backend, TimeSpan Elapsed, StreamStats Stats, long Recounted, ScanSetup Setup);

/// <summary>Where the time before the stream went.</summary>
/// <param name="Automaton">Building the automaton and its heap form.</param>
/// <param name="Start">Starting the megakernel host (on CUDA: context, buffers, kernel load and launch).</param>
/// <param name="Upload">Writing the automaton into the heap.</param>
/// <param name="States">States of the automaton.</param>
/// <param name="Classes">Byte classes of the automaton (words per state).</param>
public sealed record ScanSetup(TimeSpan Automaton, TimeSpan Start, TimeSpan Upload, int States, int Classes)
{
    /// <summary>Time the consumer spent folding chunks into file reports (inside the stream's time, not before it).</summary>
    public TimeSpan Folding { get; init; }
}

/// <summary>Streams files through <see cref="ScanKernels.ChunkStats"/> and folds the chunks into per-file reports.</summary>
public static class ScanEngine
{
    private const int HighEntropyMinimumBytes = 4096;

    /// <summary>Runs the scan; <paramref name="progress"/> gets bytes as chunks finish.</summary>
    public static async Task<ScanSummary> RunAsync(ScanRequest request, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        byte[][] patterns = ScanPatterns.Validate(request.Patterns);
        if (request.MatchCapacity is < 1 or > 1 << 20)
        {
            throw new ArgumentException($"A match capacity of {request.MatchCapacity} per chunk. Fix: give 1 to {1 << 20}.");
        }

        bool cuda = request.Backend == Backend.Cuda || (request.Backend == Backend.Auto && MegakernelHost.IsCudaAvailable());
        bool warp = (request.Width ?? (cuda ? HandlerWidth.Warp : HandlerWidth.Lane)) == HandlerWidth.Warp;
        int depth = request.Depth ?? (cuda ? ScanRequest.DefaultCudaDepth : ScanRequest.DefaultCpuDepth);
        if (depth is < 1 or > StreamOptions.MaxDepth)
        {
            // Before anything is sized by it: the ring (four slots per buffer) and the data buffer.
            throw new ArgumentException($"--depth {depth}: the scan keeps 1 to {StreamOptions.MaxDepth} chunks in flight. Fix: give a depth in that range.");
        }

        var setupClock = Stopwatch.StartNew();
        RuleAutomaton automaton = RuleAutomaton.Build(patterns);
        ReadOnlyMemory<uint> automatonWords = automaton.Words;
        TimeSpan built = setupClock.Elapsed;
        long histograms = automatonWords.Length;
        int overlap = Math.Max(0, patterns.Select(p => p.Length).DefaultIfEmpty(1).Max() - 1);
        int areaBytes = (ScanKernels.HistogramWords + request.MatchCapacity) * sizeof(uint);
        // The result areas follow the staging region in the data buffer: host memory on every backend, so the host
        // reads them without a device copy.
        var layout = new StreamOptions { ChunkBytes = request.ChunkBytes, OverlapBytes = overlap, Depth = depth };
        long resultsOffset = layout.DataBytesNeeded;
        long stride = layout.StagingStride;
        long dataBytes = resultsOffset + ((long)depth * areaBytes);
        long staging = histograms + ((long)ScanKernels.HistogramWords * depth);
        bool deviceCopy = request.DeviceCopy ?? cuda;
        long heapWords = staging + (deviceCopy ? depth * stride / sizeof(uint) : 0);
        if (request.ChunkBytes <= 0 || dataBytes > int.MaxValue)
        {
            throw new ArgumentException($"{depth} staging buffers of {request.ChunkBytes} bytes need {dataBytes} bytes of data buffer, past the 2 GiB a host has. Fix: lower --chunk-kib or --depth.");
        }

        if (heapWords > MegakernelOptions.MaxHeapWords)
        {
            throw new ArgumentException($"The automaton, {depth} histograms{(deviceCopy ? " and staging buffers" : string.Empty)} need {heapWords:N0} heap words; a host has {MegakernelOptions.MaxHeapWords:N0}. Fix: use fewer rules or a lower --depth.");
        }

        var stream = new StreamOptions
        {
            ChunkBytes = request.ChunkBytes,
            OverlapBytes = overlap,
            Depth = depth,
            Direct = request.Direct,
            HeapStaging = deviceCopy ? (int)staging : null,
            ExtraArguments = [0, (uint)histograms, (uint)resultsOffset, (uint)request.MatchCapacity, (request.Stats ? ScanKernels.WithStats : 0) | (deviceCopy ? ScanKernels.InHeap : 0)],
            Stats = new StreamStats(),
        };
        var options = new MegakernelOptions
        {
            Backend = request.Backend,
            // Four ring slots per staging buffer: the ring frees its slots in order, so while one chunk's slot runs long the
            // chunks after it can still finish, hand back their buffers and publish again (StreamRun takes them out of order).
            SlotCount = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(256, 4 * depth)), // At most 65,536.
            DataBytes = (int)dataBytes,
            HeapWords = (int)heapWords,
            IoReads = request.IoReads,
            Logger = request.Log is { } notes ? new NotesLogger(notes) : null,
            Lanes = request.Lanes,

            // A chunk is a long slot: one per lane (a warp takes a warp's width, a worker one chunk at a time), or one per warp
            // when a warp walks it.
            MaxClaim = warp ? 1 : cuda ? 32 : request.Backend == Backend.Managed || request.Backend == Backend.Auto ? 1 : null,
        };
        setupClock.Restart();
        Task warmUp = cuda ? Task.CompletedTask : Task.Run(() => ScanWarmUp.Prepare(), cancellationToken);
        await using MegakernelHost host = await ScanKernels.StartAsync(options, cancellationToken);
        TimeSpan started = setupClock.Elapsed;
        await warmUp;
        setupClock.Restart();
        host.WriteHeap(0, automatonWords.Span);
        var setup = new ScanSetup(built, started, setupClock.Elapsed, automaton.States, automaton.Classes);
        var files = request.Files.Select(f => new FileFold(f)).ToArray();
        uint[] area = new uint[ScanKernels.HistogramWords + request.MatchCapacity];
        long recounted = 0;
        var clock = Stopwatch.StartNew();
        StreamInput[] inputs = request.Files.Select(StreamInput.FromPath).ToArray();
        long folding = 0;
        await foreach (FileChunk chunk in host.StreamAsync(inputs, warp ? ScanKernels.Opcodes.ChunkStatsWarp : ScanKernels.Opcodes.ChunkStats, stream, cancellationToken))
        {
            long began = Stopwatch.GetTimestamp();
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

            uint found = chunk.Result[1];
            int listed = (int)Math.Min(chunk.Result[2], (uint)request.MatchCapacity);
            int statsWords = request.Stats ? ScanKernels.HistogramWords : 0;
            Span<uint> read = area.AsSpan(ScanKernels.HistogramWords - statsWords, statsWords + listed);
            host.ReadData((int)(resultsOffset + ((long)chunk.StagingIndex * areaBytes) + ((ScanKernels.HistogramWords - statsWords) * sizeof(uint))), MemoryMarshal.AsBytes(read));
            file.Add(chunk, read[..statsWords]);
            if (found == listed)
            {
                file.AddMatches(read[statsWords..]);
            }
            else
            {
                recounted++;
                file.Recount(automaton, chunk, overlap);
            }

            progress?.Report(chunk.Length);
            folding += Stopwatch.GetTimestamp() - began;
        }

        setup = setup with { Folding = Stopwatch.GetElapsedTime(0, folding) };

        return new ScanSummary(files.Select(f => f.Report(request.EntropyThreshold, request.Stats)).ToArray(), host.Description, clock.Elapsed, stream.Stats!, recounted, setup);
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
    private sealed class FileFold(string path)
    {
        private readonly SortedDictionary<long, uint> _chunkHashes = [];
        private readonly long[] _histogram = new long[256];
        private readonly Dictionary<int, long> _counts = [];
        private long _bytes;
        private string? _error;

        public void Add(FileChunk chunk, ReadOnlySpan<uint> histogram)
        {
            _chunkHashes.Add(chunk.Offset, chunk.Result[0]);
            _bytes += chunk.Length;
            for (int i = 0; i < histogram.Length; i++)
            {
                _histogram[i] += histogram[i];
            }
        }

        public void AddMatches(ReadOnlySpan<uint> rules)
        {
            foreach (uint rule in rules)
            {
                _counts[(int)rule] = _counts.TryGetValue((int)rule, out long count) ? count + 1 : 1;
            }
        }

        /// <summary>Counts the chunk's matches again from the file (its result area could not list them all).</summary>
        public void Recount(RuleAutomaton automaton, FileChunk chunk, int overlap)
        {
            try
            {
                using SafeFileHandle handle = File.OpenHandle(path);
                long readable = Math.Min((long)chunk.Length + overlap, RandomAccess.GetLength(handle) - chunk.Offset);
                byte[] bytes = new byte[Math.Max(0, readable)];
                int got = 0;
                while (got < bytes.Length)
                {
                    int n = RandomAccess.Read(handle, bytes.AsSpan(got), chunk.Offset + got);
                    if (n == 0)
                    {
                        break;
                    }

                    got += n;
                }

                automaton.Count(bytes.AsSpan(0, got), chunk.Length, _counts);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Fail($"could not read the chunk at offset {chunk.Offset} again to count its matches: {e.Message}");
            }
        }

        public void Fail(string error) => _error ??= error;

        public FileReport Report(double threshold, bool stats)
        {
            if (!stats)
            {
                return new FileReport(path, _bytes, 0, double.NaN, false, _counts, _error);
            }

            double entropy = Entropy(_histogram);
            return new FileReport(path, _bytes, ContentHash(_chunkHashes.Values), entropy, entropy >= threshold && _bytes >= HighEntropyMinimumBytes, _counts, _error);
        }
    }
}
