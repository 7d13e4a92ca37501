using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.IO.Pipes;
using System.Linq;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading.Tasks;
using Microsoft.Win32.SafeHandles;
using Microsoft.Extensions.Logging;
using NUnit.Framework;
using Vyre.IoUring;
using Vyre.Streaming;
using Vyre.Tests;

namespace Vyre.Runtime.Tests;

/// <summary>
/// The io sidecar against a hostile caller: files that are not regular (a FIFO, a device, a socket, a /proc file),
/// LOAD_MISS offsets io_uring reads as "the current position", handles closed or ids unregistered under a miss,
/// stream options near int.MaxValue, two streams on one host, and a locked-memory limit too small to pin the
/// buffers. Nothing may hang, read another file, or hand back another stream's bytes.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public abstract partial class HostileIoSuite
{
    private const int Chunk = 64 * 1024;
    private static readonly TimeSpan s_noHang = TimeSpan.FromSeconds(30);
    private string _folder = string.Empty;

    protected abstract MegakernelOptions Options(int dataBytes = 4 << 20);

    protected virtual void RequireBackend()
    {
    }

    [OneTimeSetUp]
    public void CreateFolder()
    {
        RequireBackend();
        IoUringAvailability.Require();
        _folder = Path.Combine(Path.GetTempPath(), $"vyre-hostile-{GetType().Name}-{Environment.ProcessId}");
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

    [Test]
    public async Task Registering_a_fifo_by_path_is_refused_at_once_and_says_what_it_is()
    {
        string fifo = Fifo("register.fifo");
        await using MegakernelHost host = await TestKernels.StartAsync(Options());
        Task<uint> register = Task.Run(() => host.RegisterIoFile(fifo));
        Assert.That(async () => await register.WaitAsync(s_noHang), Throws.InstanceOf<IOException>().With.Message.Contains("FIFO").And.Message.Contains("Fix:"), "refused, not blocked in open() waiting for a writer");
        Assert.That(() => host.RegisterIoFile("/dev/zero"), Throws.InstanceOf<IOException>().With.Message.Contains("character device"));
        Assert.That(() => host.RegisterIoFile("/proc/self/status"), Throws.InstanceOf<IOException>().With.Message.Contains("procfs"));
        string socketPath = BoundSocket("register.sock", out Socket socket);
        using (socket)
        {
            Assert.That(() => host.RegisterIoFile(socketPath), Throws.InstanceOf<IOException>().With.Message.Contains("socket"));
        }
    }

    [Test]
    public async Task A_fifo_a_device_a_socket_a_pipe_and_a_proc_file_among_stream_inputs_fault_only_themselves()
    {
        string good = Create("good.bin", 100_000, seed: 3);
        using var pipe = new AnonymousPipeServerStream(PipeDirection.In);
        using var pipeHandle = new SafeFileHandle(pipe.SafePipeHandle.DangerousGetHandle(), ownsHandle: false);
        StreamInput[] inputs =
        [
            StreamInput.FromPath(Fifo("stream.fifo")),
            StreamInput.FromPath("/dev/zero"),
            StreamInput.FromPath("/proc/self/status"),
            StreamInput.FromPath(BoundSocket("stream.sock", out Socket bound)),
            StreamInput.FromHandle(pipeHandle, "an anonymous pipe"),
            StreamInput.FromPath(good),
        ];
        using Socket keep = bound;
        await using MegakernelHost host = await TestKernels.StartAsync(Options());
        List<FileChunk> chunks = await Collect(host, inputs, new StreamOptions { ChunkBytes = Chunk, Depth = 2 }).WaitAsync(s_noHang);

        AssertRefused(chunks, 0, 29, "FIFO"); // ESPIPE, and never opened
        AssertRefused(chunks, 1, 95, "character device"); // /dev/zero: not DONE with 0 bytes
        AssertRefused(chunks, 2, 95, "procfs"); // size 0, content made when read
        AssertRefused(chunks, 3, 29, "socket");
        AssertRefused(chunks, 4, 29, "FIFO"); // a pipe by handle has no size either
        byte[] bytes = File.ReadAllBytes(good);
        List<FileChunk> goodChunks = chunks.Where(c => c.InputIndex == 5).ToList();
        Assert.That(goodChunks, Has.Count.EqualTo(2));
        foreach (FileChunk chunk in goodChunks)
        {
            Assert.That(chunk.Result[0], Is.EqualTo(Reference.Fnv1a(bytes.AsSpan((int)chunk.Offset, chunk.Length))), "the regular file after them");
        }
    }

    [Test]
    public async Task Cancelling_a_stream_with_a_fifo_first_is_prompt_and_the_host_goes_on()
    {
        string good = Create("after-fifo.bin", 4 * Chunk, seed: 4);
        await using MegakernelHost host = await TestKernels.StartAsync(Options());
        using var cancel = new System.Threading.CancellationTokenSource();
        var clock = Stopwatch.StartNew();
        Assert.That(
            async () =>
            {
                await foreach (FileChunk chunk in host.StreamAsync([StreamInput.FromPath(Fifo("cancel.fifo")), StreamInput.FromPath(good)], TestKernels.Opcodes.Fnv1a, new StreamOptions { ChunkBytes = Chunk, Depth = 2 }, cancel.Token))
                {
                    cancel.Cancel();
                }
            },
            Throws.InstanceOf<OperationCanceledException>());
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)), "no io thread blocked in open()");
        Assert.That(host.Submit(TestKernels.Opcodes.Increment, 1)[0], Is.EqualTo(2u));
    }

    [TestCase(0xFFFF_FFFFu, 0xFFFF_FFFFu, 16u, TestName = "A miss at file offset 2^64-1 (io_uring's current position) faults OutOfBounds")]
    [TestCase(0u, 0x8000_0000u, 16u, TestName = "A miss at file offset 2^63 faults OutOfBounds")]
    [TestCase(0xFFFF_FFF8u, 0x7FFF_FFFFu, 16u, TestName = "A miss whose end passes 2^63-1 faults OutOfBounds")]
    public async Task A_miss_at_an_offset_past_what_a_file_can_have_faults_out_of_bounds(uint offsetLow, uint offsetHigh, uint length)
    {
        string path = Create("offsets.bin", 8192, seed: 5);
        await using MegakernelHost host = await TestKernels.StartAsync(Options());
        uint file = host.RegisterIoFile(path);
        SlotResult result = host.Submit(Opcodes.LoadMiss, file, offsetLow, offsetHigh, length, 0);
        Assert.That((result.State, result.Fault, result.FaultDetail), Is.EqualTo((SlotState.Fault, FaultCode.OutOfBounds, offsetHigh)), result.ToString());
        Assert.That(host.Submit(Opcodes.LoadMiss, file, 4096, 0, 16, 0)[0], Is.EqualTo(16u), "the file still serves a sane miss");
    }

    [TestCase(IoReads.IoUring)]
    [TestCase(IoReads.Positional)]
    public async Task A_miss_on_a_handle_closed_while_registered_faults_ebadf_and_never_reads_the_file_that_reuses_its_number(IoReads reads)
    {
        string first = Create("closed-first.bin", 8192, seed: 6);
        string second = Create("closed-second.bin", 8192, seed: 7);
        await using MegakernelHost host = await TestKernels.StartAsync(BackendOptions.WithReads(Options(), reads));
        SafeFileHandle closed = File.OpenHandle(first);
        uint file = host.RegisterIoFile(closed);
        closed.Dispose();
        using SafeFileHandle reuser = File.OpenHandle(second); // Takes the lowest free number: the closed one, were it closed.
        host.WriteData(0, new byte[4096]);

        SlotResult result = host.Submit(Opcodes.LoadMiss, file, 0, 0, 4096, 0);
        Assert.That((result.Fault, result.FaultDetail), Is.EqualTo((FaultCode.IoError, 9u)), $"EBADF: the caller closed the handle ({result})");
        Assert.That(host.Submit(TestKernels.Opcodes.Fnv1a, 0, 4096)[0], Is.Not.EqualTo(Reference.Fnv1a(File.ReadAllBytes(second).AsSpan(0, 4096))), "the other file's bytes are not in the data buffer");
        host.UnregisterIoFile(file);
    }

    [TestCase(IoReads.IoUring)]
    [TestCase(IoReads.Positional)]
    public async Task An_unregistered_id_names_no_file_even_when_another_file_takes_its_place(IoReads reads)
    {
        string first = Create("id-first.bin", 8192, seed: 8);
        string second = Create("id-second.bin", 8192, seed: 9);
        await using MegakernelHost host = await TestKernels.StartAsync(BackendOptions.WithReads(Options(), reads));
        uint old = host.RegisterIoFile(first);
        host.UnregisterIoFile(old);
        uint next = host.RegisterIoFile(second);
        Assert.That(next, Is.Not.EqualTo(old), "a new registration gets a new id");

        SlotResult stale = host.Submit(Opcodes.LoadMiss, old, 0, 0, 16, 0);
        Assert.That((stale.Fault, stale.FaultDetail), Is.EqualTo((FaultCode.BadArgument, old)), "the stale id faults, it does not read the second file");
        Assert.That(() => host.UnregisterIoFile(old), Throws.ArgumentException.With.Message.Contains("Fix:"));
        Assert.That(host.Submit(Opcodes.LoadMiss, next, 0, 0, 16, 0)[0], Is.EqualTo(16u));
        host.UnregisterIoFile(next);
    }

    [Test]
    public async Task Stream_options_near_int_max_value_are_refused_with_a_fix_before_anything_is_read()
    {
        string path = Create("options.bin", 10, seed: 10);
        await using MegakernelHost host = await TestKernels.StartAsync(Options());
        StreamInput[] one = [StreamInput.FromPath(path)];
        const int LargestChunk = int.MaxValue / StreamOptions.Alignment * StreamOptions.Alignment;
        StreamOptions[] hostile =
        [
            new() { ChunkBytes = LargestChunk, OverlapBytes = 1, Depth = 1 },
            new() { ChunkBytes = LargestChunk, OverlapBytes = LargestChunk, Depth = 1 },
            new() { ChunkBytes = LargestChunk, Depth = 2 },
            new() { ChunkBytes = Chunk, Depth = 2, DataOffset = int.MaxValue },
            new() { ChunkBytes = Chunk, Depth = 2, DataOffset = int.MaxValue - 4095 },
            new() { ChunkBytes = Chunk, Depth = 2, DataOffset = -4096 },
            new() { ChunkBytes = Chunk, Depth = 2, ExtraArguments = null! },
        ];
        foreach (StreamOptions options in hostile)
        {
            Assert.That(async () => await Collect(host, one, options), Throws.ArgumentException.With.Message.Contains("Fix:"), $"Chunk {options.ChunkBytes}, overlap {options.OverlapBytes}, depth {options.Depth}, offset {options.DataOffset}");
        }

        Assert.That(new StreamOptions { ChunkBytes = LargestChunk, OverlapBytes = 1 }.StagingStride, Is.EqualTo((long)LargestChunk + StreamOptions.Alignment), "no wrap");
        Assert.That(host.Submit(TestKernels.Opcodes.Increment, 1)[0], Is.EqualTo(2u), "the host is unharmed");
    }

    [Test]
    public async Task Default_stream_options_fit_default_host_options()
    {
        string path = Create("defaults.bin", 200_000, seed: 11);
        MegakernelOptions backend = Options();
        await using MegakernelHost host = await TestKernels.StartAsync(new MegakernelOptions { Backend = backend.Backend });
        var chunks = new List<FileChunk>();
        await foreach (FileChunk chunk in host.StreamAsync([StreamInput.FromPath(path)], TestKernels.Opcodes.Fnv1a))
        {
            chunks.Add(chunk);
        }

        byte[] bytes = File.ReadAllBytes(path);
        Assert.That(chunks.Sum(c => c.Length), Is.EqualTo(bytes.Length));
        foreach (FileChunk chunk in chunks)
        {
            Assert.That(chunk.Result[0], Is.EqualTo(Reference.Fnv1a(bytes.AsSpan((int)chunk.Offset, chunk.Length))), $"@{chunk.Offset}: {chunk.Result}");
        }
    }

    [Test]
    public async Task A_second_stream_on_the_same_region_throws_at_once_and_one_on_a_disjoint_region_runs_alongside()
    {
        string firstPath = Create("region-first.bin", 6 * Chunk, seed: 12);
        string secondPath = Create("region-second.bin", 6 * Chunk, seed: 13);
        await using MegakernelHost host = await TestKernels.StartAsync(Options());
        var options = new StreamOptions { ChunkBytes = Chunk, Depth = 2 };
        var firstChunks = new List<FileChunk>();
        var secondChunks = new List<FileChunk>();
        await using (IAsyncEnumerator<FileChunk> first = host.StreamAsync([StreamInput.FromPath(firstPath)], TestKernels.Opcodes.Fnv1a, options).GetAsyncEnumerator())
        {
            Assert.That(await first.MoveNextAsync(), Is.True);
            firstChunks.Add(first.Current);

            Assert.That(async () => await Collect(host, [StreamInput.FromPath(secondPath)], options), Throws.InvalidOperationException.With.Message.Contains("Fix:").And.Message.Contains("DataOffset"), "the same bytes: refused");

            // A region past the first one's runs alongside it, each hashing its own bytes.
            await foreach (FileChunk chunk in host.StreamAsync([StreamInput.FromPath(secondPath)], TestKernels.Opcodes.Fnv1a, new StreamOptions { ChunkBytes = Chunk, Depth = 2, DataOffset = 1 << 20 }))
            {
                secondChunks.Add(chunk);
                if (await first.MoveNextAsync())
                {
                    firstChunks.Add(first.Current);
                }
            }

            while (await first.MoveNextAsync())
            {
                firstChunks.Add(first.Current);
            }
        }

        AssertHashes(firstPath, firstChunks);
        AssertHashes(secondPath, secondChunks);
        AssertHashes(firstPath, await Collect(host, [StreamInput.FromPath(firstPath)], options)); // The region was given back.
    }

    /// <summary>
    /// Past the locked-memory limit (RLIMIT_MEMLOCK, 8 MiB by default for a user without CAP_IPC_LOCK), io_uring will
    /// not pin the staging region nor the data buffer: streaming and misses read with plain READ into the same memory
    /// and say so once. Run as root, the test runs itself again without CAP_IPC_LOCK and with an 8 MiB limit.
    /// </summary>
    [Test]
    public async Task Past_the_locked_memory_limit_streams_and_misses_read_unpinned_and_say_so_once()
    {
        const int Limit = 8 << 20;
        if (LockedMemory.HasIpcLock())
        {
            LockedMemory.RunUnprivileged(TestContext.CurrentContext.Test.FullName, Limit);
            return;
        }

        ulong limit = LockedMemory.Limit();
        if (limit >= 16 << 20)
        {
            Assert.Ignore($"RLIMIT_MEMLOCK is {limit} bytes here, enough to pin every buffer of this test; it needs 8 MiB (the default) or less.");
        }

        string path = Create("unpinned.bin", (2 * 1024 * 1024) + 99, seed: 14);
        var log = new ListLogger();
        MegakernelOptions backend = Options();
        await using MegakernelHost host = await TestKernels.StartAsync(new MegakernelOptions { Backend = backend.Backend, SlotCount = 256, DataBytes = 24 << 20, Logger = log });
        var stats = new StreamStats();
        List<FileChunk> chunks = await Collect(host, [StreamInput.FromPath(path)], new StreamOptions { ChunkBytes = 1 << 20, Depth = 16, Stats = stats });
        AssertHashes(path, chunks, 1 << 20);
        string[] streamNotes = [.. log.Messages.Where(l => l.Contains("RLIMIT_MEMLOCK", StringComparison.Ordinal) && l.Contains("staging", StringComparison.Ordinal))];
        Assert.That(streamNotes, Has.Length.EqualTo(1), "said once: " + string.Join(" | ", log.Messages));
        Assert.That(streamNotes[0], Does.Contain("ulimit -l"));
        Assert.That(stats.ReadEngine, Does.Contain("unpinned"));

        uint file = host.RegisterIoFile(path);
        SlotResult miss = host.Submit(TestKernels.Opcodes.FetchRecord, file, 3, 4096, 20 << 20);
        Assert.That(miss.State, Is.EqualTo(SlotState.Done), miss.ToString());
        Assert.That(host.Submit(TestKernels.Opcodes.Fnv1a, 20 << 20, 4096)[0], Is.EqualTo(Reference.Fnv1a(File.ReadAllBytes(path).AsSpan(3 * 4096, 4096))));
        Assert.That(log.Messages.Count(l => l.Contains("RLIMIT_MEMLOCK", StringComparison.Ordinal) && l.Contains("data buffer", StringComparison.Ordinal)), Is.EqualTo(1), "the io service says so once too");
        Assert.That(log.Entries.Where(e => e.Message.Contains("RLIMIT_MEMLOCK", StringComparison.Ordinal)).Select(e => (e.Level, e.Event.Id)), Is.All.EqualTo((LogLevel.Warning, 7)));
    }

    private static void AssertRefused(List<FileChunk> chunks, int input, uint errno, string kind)
    {
        FileChunk chunk = chunks.Single(c => c.InputIndex == input);
        Assert.That((chunk.Result.Fault, chunk.Result.FaultDetail), Is.EqualTo((FaultCode.IoError, errno)), $"{chunk.Name}: {chunk.Result}");
        Assert.That(chunk.Error, Does.Contain(kind).And.Contain("Fix:"), $"{chunk.Name}: the error says what it is and what to do");
    }

    private static void AssertHashes(string path, List<FileChunk> chunks, int chunkBytes = Chunk)
    {
        byte[] bytes = File.ReadAllBytes(path);
        Assert.That(chunks.Select(c => c.Offset).Order(), Is.EqualTo(Enumerable.Range(0, (bytes.Length + chunkBytes - 1) / chunkBytes).Select(i => (long)i * chunkBytes)), $"{path}: every chunk once");
        foreach (FileChunk chunk in chunks)
        {
            Assert.That(chunk.Result[0], Is.EqualTo(Reference.Fnv1a(bytes.AsSpan((int)chunk.Offset, chunk.Length))), $"{Path.GetFileName(path)}@{chunk.Offset}: its own bytes ({chunk.Result})");
        }
    }

    private static async Task<List<FileChunk>> Collect(MegakernelHost host, IReadOnlyList<StreamInput> inputs, StreamOptions options)
    {
        var chunks = new List<FileChunk>();
        await foreach (FileChunk chunk in host.StreamAsync(inputs, TestKernels.Opcodes.Fnv1a, options))
        {
            chunks.Add(chunk);
        }

        return chunks;
    }

    private string Create(string name, int bytes, int seed)
    {
        string path = Path.Combine(_folder, name);
        byte[] data = new byte[bytes];
        new Random(seed).NextBytes(data);
        File.WriteAllBytes(path, data);
        return path;
    }

    private string Fifo(string name)
    {
        string path = Path.Combine(_folder, name);
        File.Delete(path);
        if (MkFifo(path, 0x180) != 0)
        {
            Assert.Fail($"mkfifo {path} failed: errno {Marshal.GetLastPInvokeError()}");
        }

        return path;
    }

    private string BoundSocket(string name, out Socket bound)
    {
        string path = Path.Combine(_folder, name);
        File.Delete(path);
        bound = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        bound.Bind(new UnixDomainSocketEndPoint(path));
        return path;
    }

    [LibraryImport("libc", EntryPoint = "mkfifo", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MkFifo(string path, uint mode);
}

/// <summary>The locked-memory limit and CAP_IPC_LOCK, and running a test again without them.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static partial class LockedMemory
{
    private const string ChildVariable = "VYRE_TEST_UNPRIVILEGED_CHILD";

    /// <summary>Whether this process may lock memory past RLIMIT_MEMLOCK (CAP_IPC_LOCK, bit 14 of CapEff).</summary>
    public static bool HasIpcLock()
    {
        string? line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("CapEff:", StringComparison.Ordinal));
        return line is not null && (Convert.ToUInt64(line["CapEff:".Length..].Trim(), 16) & (1ul << 14)) != 0;
    }

    /// <summary>RLIMIT_MEMLOCK's soft limit in bytes.</summary>
    public static unsafe ulong Limit()
    {
        ulong* limits = stackalloc ulong[2];
        return GetRLimit(8, (nint)limits) == 0 ? limits[0] : ulong.MaxValue;
    }

    /// <summary>
    /// Runs test <paramref name="fullName"/> of this test executable again in a child without CAP_IPC_LOCK
    /// (setpriv) and with RLIMIT_MEMLOCK at <paramref name="limitBytes"/> (prlimit), and asserts it passed there.
    /// </summary>
    public static void RunUnprivileged(string fullName, int limitBytes)
    {
        if (Environment.GetEnvironmentVariable(ChildVariable) == "1")
        {
            Assert.Fail("setpriv did not drop CAP_IPC_LOCK in the child run.");
        }

        string self = Path.Combine(AppContext.BaseDirectory, Path.GetFileNameWithoutExtension(typeof(LockedMemory).Assembly.Location));
        if (!File.Exists("/usr/bin/setpriv") || !File.Exists("/usr/bin/prlimit") || !File.Exists(self))
        {
            Assert.Ignore("This test drops CAP_IPC_LOCK with setpriv and lowers RLIMIT_MEMLOCK with prlimit (util-linux), which are missing here; CI also runs it as an unprivileged user.");
        }

        (int exit, string text) = ChildProcess.Run(
            ["/usr/bin/setpriv", "--bounding-set=-ipc_lock", "--", "/usr/bin/prlimit", $"--memlock={limitBytes}:{limitBytes}", "--", self, "--no-ansi", "--filter", $"FullyQualifiedName={fullName.Split('(')[0]}"],
            TimeSpan.FromMinutes(3),
            environment: new Dictionary<string, string> { [ChildVariable] = "1" });
        Assert.That(exit, Is.Zero, text);
        Assert.That(text, Does.Match(@"succeeded:\s*1"), "the test ran (and passed) in the child: " + text);
    }

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int GetRLimit(int resource, nint limits);
}

[TestFixture]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ManagedHostileIo : HostileIoSuite
{
    protected override MegakernelOptions Options(int dataBytes = 4 << 20) => BackendOptions.Managed(256, dataBytes);
}

[TestFixture]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class IlgpuCpuHostileIo : HostileIoSuite
{
    protected override MegakernelOptions Options(int dataBytes = 4 << 20) => BackendOptions.IlgpuCpu(256, dataBytes);
}

[TestFixture]
[Category("Gpu")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class CudaHostileIo : HostileIoSuite
{
    protected override void RequireBackend() => BackendOptions.RequireCuda();

    protected override MegakernelOptions Options(int dataBytes = 4 << 20) => BackendOptions.Cuda(256, dataBytes);
}
