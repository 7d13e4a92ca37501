using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Win32.SafeHandles;
using NUnit.Framework;
using Vyre.IoUring;
using Vyre.Streaming;

namespace Vyre.Runtime.Tests;

/// <summary>
/// Files streamed through a handler with the io_uring sidecar, on real files the tests create: every
/// chunk hashed by the handler equals the C# hash of the same bytes, each (file, offset) exactly once,
/// and every failure ends exactly the affected chunk in FAULT with its errno.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public abstract class StreamingSuite
{
    private const int Chunk = 64 * 1024;
    private string _folder = string.Empty;

    /// <summary>Bytes of the large files (scaled down where the backend is slow).</summary>
    protected virtual int LargeFileBytes => 3 * 1024 * 1024 + 777;

    protected abstract MegakernelOptions Options();

    /// <summary>Whether a lane that spins in its handler stops the backend's other lanes (one warp, run in lockstep).</summary>
    protected virtual bool HeldLaneHoldsTheDevice => false;

    protected virtual void RequireBackend()
    {
    }

    [OneTimeSetUp]
    public void CreateFolder()
    {
        RequireBackend();
        IoUringAvailability.Require();
        _folder = Path.Combine(Path.GetTempPath(), $"vyre-stream-{GetType().Name}-{Environment.ProcessId}");
        Directory.CreateDirectory(_folder);
    }

    [OneTimeTearDown]
    public void DeleteFolder()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [TestCase(false, IoReads.IoUring, TestName = "Many small files, large files and an empty file hash like plain C#")]
    [TestCase(true, IoReads.IoUring, TestName = "Many small files, large files and an empty file hash like plain C#, with SQPOLL")]
    [TestCase(false, IoReads.Positional, TestName = "Many small files, large files and an empty file hash like plain C#, with positional reads")]
    public async Task Many_small_files_large_files_and_an_empty_file_hash_like_plain_csharp(bool sqPoll, IoReads reads)
    {
        var files = new List<string>();
        for (int i = 0; i < 40; i++)
        {
            files.Add(Create($"small{i}.bin", 1 + (i * 997 % 5000), seed: i));
        }

        files.Add(Create("large0.bin", LargeFileBytes, seed: 100));
        files.Add(Create("large1.bin", LargeFileBytes / 2, seed: 101));
        files.Add(Create("empty.bin", 0, seed: 0));
        var stats = new StreamStats();
        await using MegakernelHost host = await TestKernels.StartAsync(BackendOptions.WithReads(Options(), reads));
        var streaming = System.Diagnostics.Stopwatch.StartNew();
        List<FileChunk> chunks = await Collect(host, files, new StreamOptions { ChunkBytes = Chunk, Depth = 6, Stats = stats, SqPoll = sqPoll });
        TimeSpan streamed = streaming.Elapsed;

        int expected = files.Sum(f => Math.Max(1, (int)((new FileInfo(f).Length + Chunk - 1) / Chunk)));
        Assert.That(chunks, Has.Count.EqualTo(expected), "one chunk per 64 KiB, one for the empty file");
        Assert.That(chunks.Select(c => (c.InputIndex, c.Offset)).Distinct().Count(), Is.EqualTo(expected), "no chunk twice");
        foreach (FileChunk chunk in chunks)
        {
            byte[] bytes = File.ReadAllBytes(files[chunk.InputIndex]);
            int own = (int)Math.Min(Chunk, bytes.Length - chunk.Offset);
            Assert.That(chunk.Result.State, Is.EqualTo(SlotState.Done), $"{chunk.Name}@{chunk.Offset}: {chunk.Result}");
            Assert.That(chunk.Length, Is.EqualTo(own), $"{chunk.Name}@{chunk.Offset} length");
            Assert.That(chunk.Result[0], Is.EqualTo(Reference.Fnv1a(bytes.AsSpan((int)chunk.Offset, own))), $"{chunk.Name}@{chunk.Offset} hash");
        }

        Assert.That(stats.BytesRead, Is.EqualTo(files.Sum(f => new FileInfo(f).Length)), "every byte read once");
        Assert.That(host.Telemetry().HostBytesCopied, Is.Zero, "io_uring wrote every byte where the handler read it: no host copy");
        Assert.That(stats.DirectFiles + stats.BufferedFiles, Is.EqualTo(files.Count));
        Assert.That(stats.ReadEngine, Does.StartWith(reads == IoReads.Positional ? "pread" : "io_uring"), "the engine asked for read the files");

        // Where the staging buffers were: never negative, never more than there are; every chunk went through a slot and the consumer.
        double[] stages = [stats.MeanReadsInFlight, stats.MeanChunksWaitingToPublish, stats.MeanSlotsInFlight, stats.MeanChunksWithConsumer];
        Assert.That(stages, Is.All.GreaterThanOrEqualTo(0));
        Assert.That(stages.Sum(), Is.LessThanOrEqualTo(6 + 1e-9), "at most Depth buffers at any time");
        Assert.That(stats.MeanSlotTime, Is.GreaterThan(TimeSpan.Zero));
        Assert.That(stats.MeanConsumerTime, Is.GreaterThan(TimeSpan.Zero));

        // Where the io thread's time went: its start, its turns, its parts; and the reads ended before the stream did.
        Assert.That(stats.SetupTime, Is.GreaterThan(TimeSpan.Zero));
        Assert.That(stats.ReadsDoneAfter, Is.GreaterThan(stats.SetupTime), "the first read starts after the setup, the last ends after it");
        Assert.That(stats.TeardownTime, Is.GreaterThan(TimeSpan.Zero), "the stream has ended: its end is measured");
        Assert.That(stats.IoThreadLoops, Is.GreaterThanOrEqualTo(expected / 6), "a turn takes at most every buffer's chunk");
        Assert.That(stats.IoThreadPublishing + stats.IoThreadTakingResults, Is.GreaterThan(TimeSpan.Zero));
        Assert.That(stats.IoThreadIdle, Is.GreaterThanOrEqualTo(TimeSpan.Zero));
        TimeSpan accounted = stats.SetupTime + stats.IoThreadInKernel + stats.IoThreadPublishing + stats.IoThreadTakingResults + stats.IoThreadIdle + stats.TeardownTime;
        Assert.That(accounted, Is.LessThanOrEqualTo(streamed), "the io thread's parts are parts of the stream's time, none counted twice");
    }

    [Test]
    public async Task A_directory_a_missing_file_and_a_bad_descriptor_fault_only_themselves()
    {
        string good = Create("good.bin", 10_000, seed: 7);
        string directory = Path.Combine(_folder, "a-directory");
        Directory.CreateDirectory(directory);
        SafeFileHandle closed = File.OpenHandle(good);
        closed.Dispose();
        StreamInput[] inputs =
        [
            StreamInput.FromPath(directory),
            StreamInput.FromPath(Path.Combine(_folder, "missing.bin")),
            StreamInput.FromHandle(new SafeFileHandle(987_654, ownsHandle: false), "fd 987654"),
            StreamInput.FromHandle(closed, "closed handle"),
            StreamInput.FromPath(good),
        ];
        await using MegakernelHost host = await TestKernels.StartAsync(Options());
        List<FileChunk> chunks = await Collect(host, inputs, new StreamOptions { ChunkBytes = Chunk, Depth = 2 });

        Assert.That(Errno(chunks, 0), Is.EqualTo(21), "a directory: EISDIR");
        Assert.That(Errno(chunks, 1), Is.EqualTo(2), "a missing file: ENOENT");
        Assert.That(Errno(chunks, 2), Is.EqualTo(9), "a descriptor that is not open: EBADF");
        Assert.That(Errno(chunks, 3), Is.EqualTo(9), "a closed handle: EBADF");
        FileChunk ok = chunks.Single(c => c.InputIndex == 4);
        Assert.That(ok.Result[0], Is.EqualTo(Reference.Fnv1a(File.ReadAllBytes(good))), "the good file after them");
    }

    [Test]
    public async Task The_meter_counts_the_bytes_a_stream_read()
    {
        string a = Create("metered-a.bin", (3 * Chunk) + 17, seed: 21);
        string b = Create("metered-b.bin", 999, seed: 22);
        await using MegakernelHost host = await TestKernels.StartAsync(Options());
        using var recorder = new MeterRecorder();
        List<FileChunk> chunks = await Collect(host, [a, b], new StreamOptions { ChunkBytes = Chunk });
        Assert.That(chunks.All(c => c.Result.IsDone), "every chunk read and hashed");
        double counted = recorder.All.Where(m => m.Instrument == "vyre.io.bytes" && m.Tag(MegakernelMetrics.IoKindTag) == "stream" && m.Tag(MegakernelMetrics.MegakernelTag) == host.Name).Sum(m => m.Value);
        Assert.That(counted, Is.EqualTo((3 * Chunk) + 17 + 999));
    }

    [Test]
    public async Task Permission_denied_faults_with_eacces()
    {
        string locked = Create("locked.bin", 5000, seed: 9);
        File.SetUnixFileMode(locked, UnixFileMode.None);
        if (IsRoot())
        {
            Assert.Ignore("Running as root, which reads a mode-000 file anyway: this case runs for non-root users only.");
        }

        await using MegakernelHost host = await TestKernels.StartAsync(Options());
        List<FileChunk> chunks = await Collect(host, [locked], new StreamOptions { ChunkBytes = Chunk });
        Assert.That(Errno(chunks, 0), Is.EqualTo(13), "EACCES");
    }

    [Test]
    public async Task A_file_truncated_while_read_faults_its_missing_chunks_with_enodata()
    {
        const int Size = 32 * Chunk;
        string file = Create("shrinks.bin", Size, seed: 11);
        byte[] original = File.ReadAllBytes(file);
        await using MegakernelHost host = await TestKernels.StartAsync(Options());
        var chunks = new List<FileChunk>();
        await foreach (FileChunk chunk in host.StreamAsync([StreamInput.FromPath(file)], TestKernels.Opcodes.Fnv1a, new StreamOptions { ChunkBytes = Chunk, Depth = 2 }))
        {
            if (chunks.Count == 0)
            {
                using FileStream shrink = new(file, FileMode.Open, FileAccess.Write);
                shrink.SetLength(4 * Chunk);
            }

            chunks.Add(chunk);
        }

        Assert.That(chunks.Select(c => c.Offset).Order(), Is.EqualTo(Enumerable.Range(0, 32).Select(i => (long)i * Chunk)), "every chunk once");
        foreach (FileChunk chunk in chunks)
        {
            if (chunk.Offset < 4 * Chunk)
            {
                Assert.That(chunk.Result[0], Is.EqualTo(Reference.Fnv1a(original.AsSpan((int)chunk.Offset, Chunk))), $"chunk @{chunk.Offset} still there");
            }
            else if (chunk.Result.State == SlotState.Fault)
            {
                Assert.That((chunk.Result.Fault, chunk.Result.FaultDetail), Is.EqualTo((FaultCode.IoError, 61u)), $"chunk @{chunk.Offset}: ENODATA");
            }
            else
            {
                // Read before the truncation reached it: the bytes it got are the file's.
                Assert.That(chunk.Result[0], Is.EqualTo(Reference.Fnv1a(original.AsSpan((int)chunk.Offset, Chunk))), $"chunk @{chunk.Offset} read before the cut");
            }
        }

        Assert.That(chunks.Count(c => c.Result.State == SlotState.Fault), Is.GreaterThan(0), "the cut reached some chunks");
    }

    [Test]
    public async Task Cancellation_and_an_early_break_stop_cleanly_and_the_host_goes_on()
    {
        string file = Create("long.bin", LargeFileBytes, seed: 12);
        await using MegakernelHost host = await TestKernels.StartAsync(Options());
        using var cancel = new CancellationTokenSource();
        int seen = 0;
        Assert.That(
            async () =>
            {
                await foreach (FileChunk chunk in host.StreamAsync([StreamInput.FromPath(file)], TestKernels.Opcodes.Fnv1a, new StreamOptions { ChunkBytes = Chunk, Depth = 4 }, cancel.Token))
                {
                    seen++;
                    cancel.Cancel();
                }
            },
            Throws.InstanceOf<OperationCanceledException>());
        Assert.That(seen, Is.EqualTo(1));

        await foreach (FileChunk chunk in host.StreamAsync([StreamInput.FromPath(file)], TestKernels.Opcodes.Fnv1a, new StreamOptions { ChunkBytes = Chunk, Depth = 4 }))
        {
            break;
        }

        List<FileChunk> all = await Collect(host, [file], new StreamOptions { ChunkBytes = Chunk, Depth = 4 });
        Assert.That(all, Has.Count.EqualTo((LargeFileBytes + Chunk - 1) / Chunk), "a full stream after both");
        Assert.That(host.Submit(TestKernels.Opcodes.Increment, 41)[0], Is.EqualTo(42u), "slots still run");
    }

    /// <summary>
    /// HeapStaging copies each chunk into the heap before its slot (a DMA on CUDA) and the handler reads it there; on a
    /// host with MaxClaim = 1 (long slots: one per claim, and on CUDA the forwarder runs none itself).
    /// </summary>
    [Test]
    public async Task Chunks_staged_in_the_heap_hash_like_plain_csharp_on_a_host_for_long_slots()
    {
        string[] files = [Create("heap0.bin", LargeFileBytes, seed: 7), Create("heap1.bin", 12345, seed: 8), Create("heap2.bin", 0, seed: 0)];
        MegakernelOptions basis = Options();
        int depth = 5;
        var stream = new StreamOptions { ChunkBytes = Chunk, Depth = depth, HeapStaging = 1000 };
        await using MegakernelHost host = await TestKernels.StartAsync(new MegakernelOptions
        {
            Backend = basis.Backend,
            SlotCount = basis.SlotCount,
            DataBytes = basis.DataBytes,
            HeapWords = 1000 + (int)(depth * stream.StagingStride / 4),
            MaxClaim = 1,
            Logger = basis.Logger,
        });
        List<FileChunk> chunks = await Collect(host, files.Select(StreamInput.FromPath).ToArray(), stream, TestKernels.Opcodes.Fnv1aHeap).WaitAsync(TimeSpan.FromMinutes(2));
        Assert.That(chunks, Has.Count.EqualTo(((LargeFileBytes + Chunk - 1) / Chunk) + 2));
        foreach (FileChunk chunk in chunks)
        {
            byte[] bytes = File.ReadAllBytes(files[chunk.InputIndex]);
            Assert.That(chunk.Result.State, Is.EqualTo(SlotState.Done), $"{chunk.Name}@{chunk.Offset}: {chunk.Result}");
            Assert.That(chunk.Result[0], Is.EqualTo(Reference.Fnv1a(bytes.AsSpan((int)chunk.Offset, chunk.Length))), $"{chunk.Name}@{chunk.Offset} hash");
        }

        Assert.That(async () => await Collect(host, [StreamInput.FromPath(files[1])], new StreamOptions { ChunkBytes = Chunk, Depth = depth, HeapStaging = 1001 }), Throws.ArgumentException.With.Message.Contains("HeapStaging").And.Message.Contains("Fix:"), "a region past the heap's end");
        Assert.That(async () => await Collect(host, [StreamInput.FromPath(files[1])], new StreamOptions { ChunkBytes = Chunk, Depth = depth, HeapStaging = -1 }), Throws.ArgumentException.With.Message.Contains("HeapStaging"));
    }

    /// <summary>
    /// The stream's first chunk runs until the consumer has seen ten chunks after it, with four staging buffers and one
    /// chunk per claim: those ten can only come if finished chunks are taken past a running one and their buffers read
    /// again. (Taken in order, the stream would wait for the first; a timer then releases it after 5 s, and the order
    /// shows it.)
    /// </summary>
    [Test]
    public async Task A_slow_chunk_does_not_hold_back_the_chunks_after_it()
    {
        if (HeldLaneHoldsTheDevice)
        {
            Assert.Ignore("ILGPU's CPU accelerator runs one warp: a lane held in its handler holds the warp's other lanes too.");
        }

        const byte Marker = 0xAB;
        const uint Flag = 100;
        var files = new List<string> { Create("held.bin", 1000, seed: 1, first: Marker) };
        for (int i = 0; i < 16; i++)
        {
            files.Add(Create($"free{i}.bin", 1000, seed: 10 + i, first: 0));
        }

        MegakernelOptions basis = Options();
        await using MegakernelHost host = await TestKernels.StartAsync(new MegakernelOptions
        {
            Backend = basis.Backend,
            SlotCount = basis.SlotCount,
            DataBytes = basis.DataBytes,
            Lanes = basis.Backend == Backend.Managed ? 2 : basis.Lanes,
            MaxClaim = 1,
            Logger = basis.Logger,
        });
        host.WriteHeap((int)Flag, [0]);
        var order = new List<string>();
        bool released = false;
        using var done = new CancellationTokenSource();
        _ = Task.Delay(TimeSpan.FromSeconds(5), done.Token).ContinueWith(t => host.WriteHeap((int)Flag, [1]), TaskContinuationOptions.NotOnCanceled);
        var options = new StreamOptions { ChunkBytes = Chunk, Depth = 4, ExtraArguments = [Marker, Flag] };
        await foreach (FileChunk chunk in host.StreamAsync(files.Select(StreamInput.FromPath).ToArray(), TestKernels.Opcodes.HoldMarkedChunk, options))
        {
            Assert.That(chunk.Result.State, Is.EqualTo(SlotState.Done), $"{chunk.Name}: {chunk.Result}");
            Assert.That(chunk.Result[0], Is.EqualTo(chunk.InputIndex == 0 ? Marker : 0u), $"{chunk.Name} ran the handler");
            order.Add(chunk.Name);
            if (order.Count == 10 && !released)
            {
                released = true;
                host.WriteHeap((int)Flag, [1]);
            }
        }

        done.Cancel();
        Assert.That(order, Has.Count.EqualTo(files.Count));
        Assert.That(order.IndexOf(files[0]), Is.GreaterThanOrEqualTo(10), $"the held chunk came after the ten it let through; order: {string.Join(", ", order.Select(Path.GetFileName))}");
    }

    [Test]
    public async Task Bad_stream_options_throw_with_a_fix_before_anything_is_read()
    {
        await using MegakernelHost host = await TestKernels.StartAsync(Options());
        StreamInput[] one = [StreamInput.FromPath(Create("x.bin", 10, seed: 1))];
        Assert.That(async () => await Collect(host, one, new StreamOptions { ChunkBytes = 1000 }), Throws.ArgumentException.With.Message.Contains("Fix:"));
        Assert.That(async () => await Collect(host, one, new StreamOptions { ChunkBytes = 1 << 20, Depth = 64 }), Throws.ArgumentException.With.Message.Contains("DataBytes"));
        Assert.That(async () => await Collect(host, one, new StreamOptions { ChunkBytes = 4096, Depth = host.SlotCount + 1 }), Throws.ArgumentException.With.Message.Contains("SlotCount"));
        Assert.That(async () => await Collect(host, one, new StreamOptions(), opcode: Opcodes.Shutdown), Throws.ArgumentException.With.Message.Contains("Fix:"));
        Assert.That(async () => await Collect(host, one, new StreamOptions { ChunkBytes = 4096, Depth = StreamOptions.MaxDepth + 1 }), Throws.ArgumentException.With.Message.Contains($"1..{StreamOptions.MaxDepth}"));
    }

    private static async Task<List<FileChunk>> Collect(MegakernelHost host, IEnumerable<string> files, StreamOptions options) =>
        await Collect(host, files.Select(StreamInput.FromPath).ToArray(), options);

    private static async Task<List<FileChunk>> Collect(MegakernelHost host, IReadOnlyList<StreamInput> inputs, StreamOptions options, uint opcode = TestKernels.Opcodes.Fnv1a)
    {
        var chunks = new List<FileChunk>();
        await foreach (FileChunk chunk in host.StreamAsync(inputs, opcode, options))
        {
            chunks.Add(chunk);
        }

        return chunks;
    }

    private static uint Errno(List<FileChunk> chunks, int input)
    {
        FileChunk chunk = chunks.Single(c => c.InputIndex == input);
        Assert.That(chunk.Result.Fault, Is.EqualTo(FaultCode.IoError), $"{chunk.Name}: {chunk.Result}");
        return chunk.Result.FaultDetail;
    }

    private static bool IsRoot() => Environment.UserName == "root";

    private string Create(string name, int bytes, int seed, byte? first = null)
    {
        string path = Path.Combine(_folder, name);
        byte[] data = new byte[bytes];
        new Random(seed).NextBytes(data);
        if (first is { } value && bytes > 0)
        {
            data[0] = value;
        }

        File.WriteAllBytes(path, data);
        return path;
    }
}

[TestFixture]
public sealed class ManagedStreaming : StreamingSuite
{
    protected override MegakernelOptions Options() => BackendOptions.Managed(256, dataBytes: 4 << 20);
}

[TestFixture]
public sealed class IlgpuCpuStreaming : StreamingSuite
{
    // ILGPU's CPU accelerator runs one warp of four lanes: smaller large files.
    protected override int LargeFileBytes => 512 * 1024 + 777;

    protected override bool HeldLaneHoldsTheDevice => true;

    protected override MegakernelOptions Options() => BackendOptions.IlgpuCpu(256, dataBytes: 4 << 20);
}

[TestFixture]
[Category("Gpu")]
public sealed class CudaStreaming : StreamingSuite
{
    protected override void RequireBackend() => BackendOptions.RequireCuda();

    protected override MegakernelOptions Options() => BackendOptions.Cuda(256, dataBytes: 4 << 20);
}
