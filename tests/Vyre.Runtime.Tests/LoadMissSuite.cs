using System;
using System.IO;
using System.IO.Pipes;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Win32.SafeHandles;
using NUnit.Framework;
using Vyre.Internals;
using Vyre.IoUring;

namespace Vyre.Runtime.Tests;

/// <summary>
/// LOAD_MISS on real files: a handler asks for bytes, the host's io service reads them with io_uring into
/// the data buffer, and the slot ends DONE with the byte count (a handler then reads the very bytes) or
/// FAULT with the errno. One host per fixture; the tests that stop a host are in <see cref="LoadMissLifecycleSuite"/>.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public abstract class LoadMissSuite
{
    private const int Record = 4096;
    private const int Records = 256;
    private MegakernelHost _host = null!;
    private string _folder = string.Empty;
    private byte[] _bytes = [];
    private uint _file;

    protected abstract MegakernelOptions Options();

    protected virtual void RequireBackend()
    {
    }

    [OneTimeSetUp]
    public async Task Start()
    {
        RequireBackend();
        IoUringAvailability.Require();
        _folder = Path.Combine(Path.GetTempPath(), $"vyre-loadmiss-{GetType().Name}-{Environment.ProcessId}");
        Directory.CreateDirectory(_folder);
        _bytes = new byte[(Records * Record) + 1000];
        new Random(7).NextBytes(_bytes);
        string path = Path.Combine(_folder, "records.bin");
        File.WriteAllBytes(path, _bytes);
        _host = await TestKernels.StartAsync(Options());
        _file = _host.RegisterIoFile(path);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Test]
    public void A_handler_asks_for_a_record_and_another_handler_reads_the_very_bytes()
    {
        const uint At = 8192;
        SlotResult load = _host.Submit(TestKernels.Opcodes.FetchRecord, _file, 17, Record, At);
        Assert.That(load.State, Is.EqualTo(SlotState.Done), load.ToString());
        Assert.That(load[0], Is.EqualTo((uint)Record), "result 0: bytes read");
        Assert.That(load[1], Is.EqualTo(0x600Du), "the handler's own result words are kept");
        uint hash = _host.Submit(TestKernels.Opcodes.Fnv1a, At, Record)[0];
        Assert.That(hash, Is.EqualTo(Reference.Fnv1a(_bytes.AsSpan(17 * Record, Record))));
    }

    [Test]
    public void The_meter_times_each_request_and_counts_its_bytes()
    {
        using var recorder = new MeterRecorder();
        SlotResult load = _host.Submit(TestKernels.Opcodes.FetchRecord, _file, 3, Record, 4096);
        Assert.That(load.State, Is.EqualTo(SlotState.Done), load.ToString());
        Measured[] measured = [.. recorder.All];
        Assert.That(measured.Where(m => m.Instrument == "vyre.io.bytes" && m.Tag(MegakernelMetrics.IoKindTag) == "load_miss").Sum(m => m.Value), Is.EqualTo(Record));
        Measured duration = measured.Single(m => m.Instrument == "vyre.load_miss.duration");
        Assert.That(duration.Value, Is.GreaterThan(0).And.LessThan(30), "seconds from taking the request to ending the slot");
    }

    [Test]
    public void The_built_in_reads_the_tail_short_and_past_the_end_nothing()
    {
        int tail = _bytes.Length - 100;
        SlotResult shortRead = _host.Submit(Opcodes.LoadMiss, _file, (uint)tail, 0, 4096, 0);
        Assert.That(shortRead.State, Is.EqualTo(SlotState.Done), shortRead.ToString());
        Assert.That(shortRead[0], Is.EqualTo(100u), "only the 100 bytes the file has");
        Assert.That(_host.Submit(TestKernels.Opcodes.Fnv1a, 0, 100)[0], Is.EqualTo(Reference.Fnv1a(_bytes.AsSpan(tail))));

        SlotResult pastEnd = _host.Submit(Opcodes.LoadMiss, _file, 0, 1, 4096, 0); // offset 2^32: the high word
        Assert.That(pastEnd.State, Is.EqualTo(SlotState.Done), pastEnd.ToString());
        Assert.That(pastEnd[0], Is.Zero);
    }

    [Test]
    public void More_misses_than_the_io_queue_holds_each_complete_once_with_their_own_bytes()
    {
        var requests = new SlotRequest[Records];
        for (int i = 0; i < Records; i++)
        {
            int record = (i * 37) % Records;
            requests[i] = new SlotRequest(TestKernels.Opcodes.FetchRecord, _file, (uint)record, Record, (uint)(i * Record));
        }

        var results = new SlotResult[Records];
        _host.WaitBatch(_host.PublishBatch(requests), results);
        Assert.That(results.Select(r => r.State), Is.All.EqualTo(SlotState.Done), results.FirstOrDefault(r => !r.IsDone).ToString());

        var hashes = new SlotRequest[Records];
        for (int i = 0; i < Records; i++)
        {
            hashes[i] = new SlotRequest(TestKernels.Opcodes.Fnv1a, (uint)(i * Record), Record);
        }

        _host.WaitBatch(_host.PublishBatch(hashes), results);
        for (int i = 0; i < Records; i++)
        {
            int record = (i * 37) % Records;
            Assert.That(results[i][0], Is.EqualTo(Reference.Fnv1a(_bytes.AsSpan(record * Record, Record))), $"request {i}, record {record}");
        }
    }

    [Test]
    public async Task A_miss_that_waits_on_a_pipe_completes_after_later_misses_and_holds_back_a_fence()
    {
        using var pipe = new AnonymousPipeServerStream(PipeDirection.In);
        using var writer = new AnonymousPipeClientStream(PipeDirection.Out, pipe.ClientSafePipeHandle);
        using var handle = new SafeFileHandle(pipe.SafePipeHandle.DangerousGetHandle(), ownsHandle: false);
        uint pipeFile = _host.RegisterIoFile(handle);
        try
        {
            Task<SlotResult> first = _host.SubmitAsync(Opcodes.LoadMiss, pipeFile, 0, 0, 5, 64 * 1024).AsTask();
            SlotResult later = _host.Submit(TestKernels.Opcodes.FetchRecord, _file, 3, Record, 128 * 1024);
            Assert.That(later.State, Is.EqualTo(SlotState.Done), "a later miss on a file completes first");

            // The fence is published last (on IlgpuCpu its spinning lane holds the one warp, so nothing follows it).
            Task<SlotResult> fence = _host.SubmitAsync(Opcodes.BatchFence, 2).AsTask();
            await Task.Delay(100);
            Assert.That(first.IsCompleted, Is.False, "the pipe has no bytes yet");
            Assert.That(fence.IsCompleted, Is.False, "a fence waits for the miss before it");

            writer.Write("hello"u8);
            writer.Flush();
            SlotResult pipeRead = await first.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.That(pipeRead.State, Is.EqualTo(SlotState.Done), pipeRead.ToString());
            Assert.That(pipeRead[0], Is.EqualTo(5u));
            SlotResult fenced = await fence.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.That(fenced.State, Is.EqualTo(SlotState.Done), $"the fence passes once the miss ends: {fenced}");
            Assert.That(_host.Submit(TestKernels.Opcodes.Fnv1a, 64 * 1024, 5)[0], Is.EqualTo(Reference.Fnv1a("hello"u8)));
        }
        finally
        {
            _host.UnregisterIoFile(pipeFile);
        }
    }

    [Test]
    public void A_read_error_ends_the_slot_in_fault_with_the_errno()
    {
        string path = Path.Combine(_folder, "write-only.bin");
        File.WriteAllBytes(path, new byte[100]);
        using SafeFileHandle writeOnly = File.OpenHandle(path, FileMode.Open, FileAccess.Write);
        uint file = _host.RegisterIoFile(writeOnly);
        try
        {
            SlotResult result = _host.Submit(Opcodes.LoadMiss, file, 0, 0, 100, 0);
            Assert.That(result.Fault, Is.EqualTo(FaultCode.IoError), result.ToString());
            Assert.That(result.FaultDetail, Is.EqualTo(9u), "EBADF: the descriptor is not open for reading");
        }
        finally
        {
            _host.UnregisterIoFile(file);
        }
    }

    [Test]
    public void Bad_requests_fault_with_what_is_wrong()
    {
        SlotResult unknown = _host.Submit(Opcodes.LoadMiss, 63, 0, 0, 16, 0);
        Assert.That((unknown.Fault, unknown.FaultDetail), Is.EqualTo((FaultCode.BadArgument, 63u)), "an unregistered file id");

        SlotResult outside = _host.Submit(TestKernels.Opcodes.FetchRecord, _file, 0, Record, (uint)_host.DataBytes - 10);
        Assert.That((outside.Fault, outside.FaultDetail), Is.EqualTo((FaultCode.OutOfBounds, (uint)_host.DataBytes - 10)), "a destination past the data buffer");

        SlotResult nothing = _host.Submit(TestKernels.Opcodes.WaitForNothing);
        Assert.That((nothing.Fault, nothing.FaultDetail), Is.EqualTo((FaultCode.BadArgument, (uint)SlotStatus.WaitIo)), "WaitIo without a LoadMiss");

        SlotResult packed = _host.Submit(Opcodes.PackedSlot, 1, TestKernels.Opcodes.WaitForNothing, 0);
        Assert.That(packed.Fault, Is.EqualTo(FaultCode.BadArgument), "a packed op cannot wait for io");
    }

    [Test]
    public void Registering_a_directory_or_a_missing_file_throws_with_a_fix()
    {
        Assert.That(() => _host.RegisterIoFile(_folder), Throws.InstanceOf<IOException>().With.Message.Contains("Fix:").And.Message.Contains("directory"));
        Assert.That(() => _host.RegisterIoFile(Path.Combine(_folder, "missing.bin")), Throws.InstanceOf<IOException>().With.Message.Contains("Fix:"));
        Assert.That(() => _host.UnregisterIoFile(62), Throws.ArgumentException.With.Message.Contains("Fix:"));
    }

    [Test]
    public void Loads_copy_nothing_on_the_host()
    {
        long before = _host.Telemetry().HostBytesCopied;
        long bytesBefore = _host.Telemetry().LoadMissBytes;
        Assert.That(_host.Submit(TestKernels.Opcodes.FetchRecord, _file, 5, Record, 0).IsDone);
        TelemetrySnapshot after = _host.Telemetry();
        Assert.That(after.HostBytesCopied, Is.EqualTo(before), "io_uring wrote the bytes where the handler reads them");
        Assert.That(after.LoadMissBytes - bytesBefore, Is.EqualTo(Record));
    }
}

/// <summary>LOAD_MISS around a host's start and stop: each test has a host of its own.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public abstract class LoadMissLifecycleSuite
{
    protected abstract MegakernelOptions Options();

    protected virtual void RequireBackend()
    {
    }

    [OneTimeSetUp]
    public void Require()
    {
        RequireBackend();
        IoUringAvailability.Require();
    }

    [Test]
    public async Task Without_a_registered_file_a_miss_is_unsupported()
    {
        await using MegakernelHost host = await TestKernels.StartAsync(Options());
        SlotResult result = host.Submit(Opcodes.LoadMiss, 0, 0, 0, 16, 0);
        Assert.That((result.Fault, result.FaultDetail), Is.EqualTo((FaultCode.Unsupported, Opcodes.LoadMiss)));
    }

    [Test]
    public async Task Positional_reads_serve_misses_and_their_errors_too()
    {
        string path = Path.GetTempFileName();
        byte[] bytes = new byte[3 * 4096];
        new Random(2).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);
        try
        {
            await using MegakernelHost host = await TestKernels.StartAsync(BackendOptions.WithReads(Options(), IoReads.Positional));
            uint file = host.RegisterIoFile(path);
            Assert.That(host.Submit(TestKernels.Opcodes.FetchRecord, file, 2, 4096, 0)[0], Is.EqualTo(4096u));
            Assert.That(host.Submit(TestKernels.Opcodes.Fnv1a, 0, 4096)[0], Is.EqualTo(Reference.Fnv1a(bytes.AsSpan(2 * 4096))));
            using SafeFileHandle writeOnly = File.OpenHandle(path, FileMode.Open, FileAccess.Write);
            uint writeOnlyFile = host.RegisterIoFile(writeOnly);
            SlotResult error = host.Submit(Opcodes.LoadMiss, writeOnlyFile, 0, 0, 16, 0);
            host.UnregisterIoFile(writeOnlyFile);
            Assert.That((error.Fault, error.FaultDetail), Is.EqualTo((FaultCode.IoError, 9u)), "EBADF");
            Assert.That(host.Telemetry().HostBytesCopied, Is.Zero, "pread writes into the data buffer too");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public async Task Shutdown_with_a_read_in_flight_cancels_it_and_ends_its_slot()
    {
        using var pipe = new AnonymousPipeServerStream(PipeDirection.In);
        using var writer = new AnonymousPipeClientStream(PipeDirection.Out, pipe.ClientSafePipeHandle);
        using var handle = new SafeFileHandle(pipe.SafePipeHandle.DangerousGetHandle(), ownsHandle: false);
        MegakernelHost host = await TestKernels.StartAsync(Options());
        uint file = host.RegisterIoFile(handle);
        Task<SlotResult> stuck = host.SubmitAsync(Opcodes.LoadMiss, file, 0, 0, 5, 0).AsTask();
        await Task.Delay(100);
        Assert.That(stuck.IsCompleted, Is.False, "the pipe has no bytes");

        await host.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(60));
        SlotResult result = await stuck.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.That((result.Fault, result.FaultDetail), Is.EqualTo((FaultCode.IoError, 125u)), "ECANCELED");
    }

    [Test]
    public async Task Misses_past_what_the_io_service_can_take_wait_and_all_end_at_shutdown()
    {
        // 64 reads of an empty pipe fill the io service's reads in flight, 64 more fill the io queue, and
        // the last lane waits for room. Shutdown must end every one of them, wherever it waits.
        using var pipe = new AnonymousPipeServerStream(PipeDirection.In);
        using var writer = new AnonymousPipeClientStream(PipeDirection.Out, pipe.ClientSafePipeHandle);
        using var handle = new SafeFileHandle(pipe.SafePipeHandle.DangerousGetHandle(), ownsHandle: false);
        MegakernelOptions options = Options();
        MegakernelHost host = await TestKernels.StartAsync(new MegakernelOptions { Backend = options.Backend, SlotCount = 256, WaitTimeout = TimeSpan.FromSeconds(5) });
        uint file = host.RegisterIoFile(handle);
        Task<SlotResult>[] misses = Enumerable.Range(0, (2 * IoQueueLayout.Capacity) + 1)
            .Select(i => host.SubmitAsync(Opcodes.LoadMiss, file, 0, 0, 1, (uint)i * 4096).AsTask())
            .ToArray();
        await Task.Delay(200);
        Assert.That(misses.Count(m => m.IsCompleted), Is.LessThanOrEqualTo(1), "the pipe has no bytes; only the lane waiting for room may have timed out");

        // A lane stuck waiting for room may keep the SHUTDOWN slot from running; the stop word then ends it.
        try
        {
            await host.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
        }

        // Cancelled by the shutdown, or (the lane that waited for room longer than the heartbeat timeout) timed out.
        SlotResult[] results = await Task.WhenAll(misses).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.That(results.Select(r => r.Fault), Is.All.EqualTo(FaultCode.IoError));
        Assert.That(results.Count(r => r.FaultDetail == IoQueueLayout.Canceled), Is.GreaterThanOrEqualTo(2 * IoQueueLayout.Capacity));
        Assert.That(results.Select(r => r.FaultDetail), Is.All.AnyOf(IoQueueLayout.Canceled, IoQueueLayout.TimedOut));
    }
}

[TestFixture]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ManagedLoadMiss : LoadMissSuite
{
    protected override MegakernelOptions Options() => BackendOptions.Managed(slotCount: 1024, dataBytes: 4 << 20);
}

[TestFixture]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class IlgpuCpuLoadMiss : LoadMissSuite
{
    protected override MegakernelOptions Options() => BackendOptions.IlgpuCpu(slotCount: 1024, dataBytes: 4 << 20);
}

[TestFixture]
[Category("Gpu")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class CudaLoadMiss : LoadMissSuite
{
    protected override void RequireBackend() => BackendOptions.RequireCuda();

    protected override MegakernelOptions Options() => BackendOptions.Cuda(slotCount: 1024, dataBytes: 4 << 20);
}

[TestFixture]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ManagedLoadMissLifecycle : LoadMissLifecycleSuite
{
    protected override MegakernelOptions Options() => BackendOptions.Managed(slotCount: 64);
}

[TestFixture]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class IlgpuCpuLoadMissLifecycle : LoadMissLifecycleSuite
{
    protected override MegakernelOptions Options() => BackendOptions.IlgpuCpu(slotCount: 64);
}

[TestFixture]
[Category("Gpu")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class CudaLoadMissLifecycle : LoadMissLifecycleSuite
{
    protected override void RequireBackend() => BackendOptions.RequireCuda();

    protected override MegakernelOptions Options() => BackendOptions.Cuda(slotCount: 64);
}
