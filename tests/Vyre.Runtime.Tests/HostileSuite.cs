using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using NUnit.Framework;

namespace Vyre.Runtime.Tests;

/// <summary>
/// What a careless or hostile caller does, tried on every backend: handler bugs, forged and stale handles, options
/// at their limits, races with shutdown. Each outcome must be a clear exception or a FAULT with a code; the process
/// lives, and no caller gets another slot's data. docs/reliability.md lists what each case gets.
/// </summary>
public abstract class HostileSuite
{
    private MegakernelHost _host = null!;

    protected abstract MegakernelOptions Options(int slotCount = 256);

    /// <summary>Whether a .NET exception in a handler is caught (the CPU backends); on a GPU nothing throws.</summary>
    protected abstract bool CatchesExceptions { get; }

    /// <summary>Slots of the mixed soak (10^7 where the backend is fast enough).</summary>
    protected abstract int SoakSlots { get; }

    /// <summary>Whether a second host must wait for the first to stop (CUDA: one resident kernel per GPU).</summary>
    protected virtual bool OneHostPerDevice => false;

    protected virtual void RequireBackend()
    {
    }

    [OneTimeSetUp]
    public async Task StartHost()
    {
        RequireBackend();
        _host = await TestKernels.StartAsync(Options());
    }

    [OneTimeTearDown]
    public async Task StopHost()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    [TestCase(0u, 16u, 16u, TestName = "{m}(one past the end)")]
    [TestCase(0u, 16u, 100_000u, TestName = "{m}(far past the end)")]
    [TestCase(0u, 0u, 0u, TestName = "{m}(an empty view)")]
    public void Reading_past_a_data_view_faults_out_of_bounds(uint offset, uint length, uint index)
    {
        SlotResult result = _host.Submit(TestKernels.Opcodes.ReadPastView, offset, length, index);
        Assert.That((result.State, result.Fault, result.FaultDetail), Is.EqualTo((SlotState.Fault, FaultCode.OutOfBounds, index)));
        AssertStillServing();
    }

    [TestCase(0u, TestName = "{m}(past the end)")]
    [TestCase(1u, TestName = "{m}(negative index)")]
    public void Writing_past_a_heap_view_faults_and_writes_nothing_outside_it(uint negative)
    {
        const int Base = 1000;
        uint[] before = [11, 22, 33, 44, 55, 66];
        _host.WriteHeap(Base - 2, before);
        SlotResult result = _host.Submit(TestKernels.Opcodes.WritePastView, Base, 2, negative == 1 ? 0u : 2u, negative);
        Assert.That((result.State, result.Fault), Is.EqualTo((SlotState.Fault, FaultCode.OutOfBounds)));
        uint[] after = new uint[before.Length];
        _host.ReadHeap(Base - 2, after);
        Assert.That(after, Is.EqualTo(before), "the words around the view are untouched");
        AssertStillServing();
    }

    /// <summary>
    /// The out-of-bounds sink holds 8 bytes: a 16-byte element sent there would reach the next ring slot's fault words.
    /// The slots after it (another caller's, in the same batch) must end as their own handlers say, and the view's
    /// neighbours in the data buffer stay as they were.
    /// </summary>
    [TestCase(0u, TestName = "A 16-byte element past the view's end faults only its slot")]
    [TestCase(1u, TestName = "A 16-byte element before the view's start faults only its slot")]
    public void A_wide_element_outside_the_view_faults_only_its_slot(uint negative)
    {
        const uint At = 4096;
        byte[] around = Enumerable.Range(0, 128).Select(i => (byte)(i + 1)).ToArray();
        _host.WriteData((int)At - 32, around);
        var requests = new SlotRequest[8];
        requests[0] = new SlotRequest(TestKernels.Opcodes.WriteWidePastView, At, 0, negative == 1 ? 0u : 4u, negative);
        for (int i = 1; i < requests.Length; i++)
        {
            // Handlers that take a view: their slot's completion reads the scratch words a stray write would have hit.
            requests[i] = new SlotRequest(TestKernels.Opcodes.ReadPastView, At - 32, 16, (uint)i);
        }

        var results = new SlotResult[requests.Length];
        _host.WaitBatch(_host.PublishBatch(requests), results);
        Assert.That((results[0].State, results[0].Fault), Is.EqualTo((SlotState.Fault, FaultCode.OutOfBounds)), results[0].ToString());
        for (int i = 1; i < results.Length; i++)
        {
            Assert.That((results[i].State, results[i][0]), Is.EqualTo((SlotState.Done, (uint)around[i])), $"slot {i}: {results[i]}");
        }

        byte[] after = new byte[around.Length];
        _host.ReadData((int)At - 32, after);
        Assert.That(after.AsSpan(0, 32).ToArray(), Is.EqualTo(around.AsSpan(0, 32).ToArray()), "the bytes before the view are untouched");
        Assert.That(after.AsSpan(96).ToArray(), Is.EqualTo(around.AsSpan(96).ToArray()), "the bytes after the view are untouched");
        AssertStillServing();
    }

    [Test]
    public void Writing_through_the_empty_view_of_a_failed_call_faults()
    {
        SlotResult result = _host.Submit(TestKernels.Opcodes.WriteThroughEmptyView);
        Assert.That((result.State, result.Fault), Is.EqualTo((SlotState.Fault, FaultCode.OutOfBounds)));
        AssertStillServing();
    }

    [Test]
    public void A_misaligned_cast_faults_instead_of_a_misaligned_load()
    {
        _host.WriteData(64, [1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0]);
        Assert.That(_host.Submit(TestKernels.Opcodes.SumWords, 64, 12)[0], Is.EqualTo(6u), "aligned");
        SlotResult misaligned = _host.Submit(TestKernels.Opcodes.SumWords, 65, 8);
        Assert.That((misaligned.State, misaligned.Fault), Is.EqualTo((SlotState.Fault, FaultCode.OutOfBounds)));
    }

    [Test]
    public void A_zero_divisor_faults_on_the_cpu_and_completes_on_a_gpu()
    {
        SlotResult result = _host.Submit(TestKernels.Opcodes.Divide, 7, 0);
        if (CatchesExceptions)
        {
            Assert.That((result.State, result.Fault), Is.EqualTo((SlotState.Fault, FaultCode.HandlerException)));
            Assert.That(result.FaultDetail, Is.EqualTo((uint)new DivideByZeroException().HResult));
        }
        else
        {
            Assert.That(result.State, Is.EqualTo(SlotState.Done), "a GPU does not trap on a zero divisor (docs/reliability.md)");
        }

        Assert.That(_host.Submit(TestKernels.Opcodes.Divide, 7, 2)[0], Is.EqualTo(3u), "the worker goes on");
    }

    [Test]
    public void A_checked_overflow_faults_on_the_cpu_and_wraps_on_a_gpu()
    {
        SlotResult result = _host.Submit(TestKernels.Opcodes.CheckedAdd, uint.MaxValue, 2);
        if (CatchesExceptions)
        {
            Assert.That((result.State, result.Fault, result.FaultDetail), Is.EqualTo((SlotState.Fault, FaultCode.HandlerException, (uint)new OverflowException().HResult)));
        }
        else
        {
            Assert.That((result.State, result[0]), Is.EqualTo((SlotState.Done, 1u)), "ILGPU compiles checked arithmetic without the check (docs/reliability.md)");
        }

        AssertStillServing();
    }

    [Test]
    public void A_batch_is_waited_for_once_and_only_on_its_own_host()
    {
        SlotBatch batch = _host.PublishBatch([new SlotRequest(TestKernels.Opcodes.Increment, 1), new SlotRequest(TestKernels.Opcodes.Increment, 2)]);
        var results = new SlotResult[2];
        _host.WaitBatch(batch, results);
        Assert.That(results.Select(r => r[0]), Is.EqualTo(new[] { 2u, 3u }));

        // The slots are free again: a second wait must not hand back whatever reuses them.
        SlotBatch later = _host.PublishBatch([new SlotRequest(TestKernels.Opcodes.Increment, 100)]);
        Assert.That(() => _host.WaitBatch(batch, results), Throws.InvalidOperationException.With.Message.Contains("Fix:"));
        Assert.That(() => _host.WaitBatch(default, results), Throws.ArgumentException.With.Message.Contains("Fix:"));
        _host.WaitBatch(later, results);
        Assert.That(results[0][0], Is.EqualTo(101u), "the later batch's own result");
    }

    [Test]
    public async Task A_batch_from_another_host_is_refused()
    {
        await using MegakernelHost other = await TestKernels.StartAsync(BackendOptions.Managed(64));
        SlotBatch foreign = other.PublishBatch([new SlotRequest(TestKernels.Opcodes.Increment, 5)]);
        var results = new SlotResult[1];
        Assert.That(() => _host.WaitBatch(foreign, results), Throws.ArgumentException.With.Message.Contains("another host"));
        other.WaitBatch(foreign, results);
        Assert.That(results[0][0], Is.EqualTo(6u));
    }

    [Test]
    public Task A_fence_over_slots_never_published_faults_at_once() => WithOwnHost(async () =>
    {
        // On a fresh host the fence is the first slot: there is nothing before it to wait for.
        await using MegakernelHost fresh = await TestKernels.StartAsync(Options(slotCount: 64));
        SlotResult result = fresh.Submit(Opcodes.BatchFence, 5);
        Assert.That((result.State, result.Fault), Is.EqualTo((SlotState.Fault, FaultCode.BadArgument)));
    });

    [Test]
    public void Heap_calls_at_the_end_with_nothing_to_copy_do_nothing()
    {
        int end = (int)Options().HeapWords;
        Assert.That(() => _host.WriteHeap(end, ReadOnlySpan<uint>.Empty), Throws.Nothing);
        Assert.That(() => _host.ReadHeap(end, Span<uint>.Empty), Throws.Nothing);
        Assert.That(() => _host.WriteHeap(end, new uint[1]), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void Options_beyond_what_a_backend_can_do_are_refused_before_anything_starts()
    {
        MegakernelOptions basis = Options();
        MegakernelOptions[] bad =
        [
            With(basis, slotCount: 1000),
            With(basis, lanes: int.MaxValue),
            With(basis, wait: TimeSpan.MaxValue),
            With(basis, heartbeat: TimeSpan.FromTicks(1)),
            With(basis, heartbeat: TimeSpan.FromDays(365)),
            new MegakernelOptions { Backend = Backend.Managed, Lanes = 1024 * Environment.ProcessorCount },
            new MegakernelOptions { Backend = basis.Backend, MaxClaim = 0 },
            new MegakernelOptions { Backend = basis.Backend, MaxClaim = int.MaxValue },
            new MegakernelOptions { Backend = basis.Backend, ProgramWords = -1 },
            new MegakernelOptions { Backend = basis.Backend, ProgramWords = MegakernelOptions.MaxProgramWords + 1 },
            new MegakernelOptions { Backend = basis.Backend, CudaDevice = -1 },
            new MegakernelOptions { Backend = basis.Backend, BackgroundPriorityWindow = 0 },
            new MegakernelOptions { Backend = basis.Backend, SlotCount = 64, NormalPriorityWindow = 65 },
            new MegakernelOptions { Backend = basis.Backend, SlotCount = 64, LowPriorityWindow = 32, BackgroundPriorityWindow = 33 },
            new MegakernelOptions { Backend = basis.Backend, StarvationLimit = 0 },
            new MegakernelOptions { Backend = basis.Backend, StarvationLimit = (1 << 20) + 1 },
            new MegakernelOptions { Backend = basis.Backend, CudaDevice = 0, CudaDeviceFilter = _ => true },
            new MegakernelOptions { Backend = basis.Backend, TraceEntries = 20_000 }, // the stamps mask: a power of two only
        ];
        foreach (MegakernelOptions options in bad)
        {
            Assert.That(() => TestKernels.StartAsync(options), Throws.ArgumentException.With.Message.Contains("Fix:"));
        }
    }

    [Test]
    public Task Shutdown_with_a_ring_full_of_unread_results_is_prompt_and_clean() => WithOwnHost(async () =>
    {
        MegakernelHost host = await TestKernels.StartAsync(Options(slotCount: 16));
        for (int i = 0; i < 16; i++)
        {
            host.PublishBatch([new SlotRequest(Opcodes.Nop)]);
        }

        ShutdownReport report = await host.ShutdownAsync().WaitAsync(TimeSpan.FromSeconds(20));
        Assert.That(report.Clean, report.Summary);
    });

    [Test]
    public Task A_handler_that_never_returns_is_reported_and_its_memory_is_kept() => WithOwnHost(async () =>
    {
        MegakernelOptions basis = Options(slotCount: 16);
        MegakernelHost host = await TestKernels.StartAsync(new MegakernelOptions
        {
            Backend = basis.Backend,
            SlotCount = 16,
            WaitTimeout = TimeSpan.FromSeconds(2),

        });
        Task<SlotResult> stuck = host.SubmitAsync(TestKernels.Opcodes.SpinUntilDataFlag, 0).AsTask();
        ShutdownReport report = await host.ShutdownAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.That((report.DeviceExited, report.MemoryReleased, report.Clean), Is.EqualTo((false, false, false)), report.Summary);
        Assert.That(report.Summary, Does.Contain("Fix:"));
        Assert.That(() => stuck.GetAwaiter().GetResult(), Throws.InstanceOf<ObjectDisposedException>().Or.InstanceOf<TimeoutException>());

        // The memory was kept: releasing the handler now touches live memory, and the device side then exits.
        unsafe
        {
            Volatile.Write(ref host.DataPointer[0], 1);
        }

        Assert.That(() => host.Submit(Opcodes.Nop), Throws.InstanceOf<ObjectDisposedException>());
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (host.DeviceKernelState != KernelState.Exited && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.That(host.DeviceKernelState, Is.EqualTo(KernelState.Exited), "released, the device side stops by itself");
    });

    [Test]
    public Task Submits_racing_shutdown_complete_or_throw_object_disposed() => WithOwnHost(async () =>
    {
        MegakernelHost host = await TestKernels.StartAsync(Options(slotCount: 64));
        using var started = new CountdownEvent(4);
        var outcomes = new List<string>[4];
        Task[] submitters = Enumerable.Range(0, 4).Select(t => Task.Run(() =>
        {
            var seen = outcomes[t] = [];
            started.Signal();
            for (int i = 0; i < 100_000; i++)
            {
                try
                {
                    SlotResult r = host.Submit(TestKernels.Opcodes.Increment, (uint)i);
                    if (r[0] != (uint)i + 1)
                    {
                        seen.Add("wrong result " + r);
                    }
                }
                catch (ObjectDisposedException)
                {
                    return;
                }
                catch (Exception ex)
                {
                    seen.Add(ex.GetType().Name + ": " + ex.Message);
                    return;
                }
            }
        })).ToArray();
        started.Wait();
        await host.ShutdownAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await Task.WhenAll(submitters).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.That(outcomes.SelectMany(o => o), Is.Empty);
    });

    [Test]
    public void Mixed_soak_every_slot_ends_once_with_its_own_status()
    {
        const int Submitters = 8;
        int perSubmitter = SoakSlots / Submitters;
        int batch = Math.Min(64, _host.SlotCount / Submitters);
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        long checkedSlots = 0;
        Parallel.For(0, Submitters, new ParallelOptions { MaxDegreeOfParallelism = Submitters }, s =>
        {
            var requests = new SlotRequest[batch];
            var results = new SlotResult[batch];
            for (int done = 0; done < perSubmitter; done += batch)
            {
                int count = Math.Min(batch, perSubmitter - done);
                for (int i = 0; i < count; i++)
                {
                    uint tag = (uint)((s << 24) | (done + i));
                    requests[i] = (tag % 5) switch
                    {
                        0 => new SlotRequest(TestKernels.Opcodes.Increment, tag),
                        1 => new SlotRequest(TestKernels.Opcodes.Reject, tag),
                        2 => new SlotRequest(TestKernels.Opcodes.ReadPastView, 0, 0, tag),
                        3 => new SlotRequest(CatchesExceptions ? TestKernels.Opcodes.Divide : TestKernels.Opcodes.Increment, tag, 0),
                        _ => new SlotRequest(TestKernels.Opcodes.WriteThroughEmptyView, tag),
                    };
                }

                _host.WaitBatch(_host.PublishBatch(requests.AsSpan(0, count)), results);
                for (int i = 0; i < count; i++)
                {
                    uint tag = (uint)((s << 24) | (done + i));
                    (SlotState state, FaultCode fault, uint detail) expected = (tag % 5) switch
                    {
                        0 => (SlotState.Done, FaultCode.None, 0u),
                        1 => (SlotState.Fault, FaultCode.HandlerFault, tag),
                        2 => (SlotState.Fault, FaultCode.OutOfBounds, tag),
                        3 => CatchesExceptions ? (SlotState.Fault, FaultCode.HandlerException, (uint)new DivideByZeroException().HResult) : (SlotState.Done, FaultCode.None, 0u),
                        _ => (SlotState.Fault, FaultCode.OutOfBounds, uint.MaxValue - 4),
                    };
                    SlotResult r = results[i];
                    bool ok = (r.State, r.Fault, r.FaultDetail) == expected && (tag % 5 != 0 || r[0] == tag + 1);
                    if (!ok && failures.Count < 10)
                    {
                        failures.Add($"tag {tag:X}: {r}, expected {expected}");
                    }
                }

                Interlocked.Add(ref checkedSlots, count);
            }
        });
        Assert.That(failures, Is.Empty);
        Assert.That(checkedSlots, Is.EqualTo((long)perSubmitter * Submitters));
    }

    /// <summary>Runs <paramref name="body"/>, which starts hosts of its own: where one host per device is the rule, with the shared host stopped.</summary>
    private async Task WithOwnHost(Func<Task> body)
    {
        if (OneHostPerDevice)
        {
            await _host.DisposeAsync();
        }

        try
        {
            await body();
        }
        finally
        {
            if (OneHostPerDevice)
            {
                _host = await TestKernels.StartAsync(Options());
            }
        }
    }

    private void AssertStillServing() => Assert.That(_host.Submit(TestKernels.Opcodes.Increment, 41)[0], Is.EqualTo(42u), "the host goes on");

    private static MegakernelOptions With(MegakernelOptions o, int? slotCount = null, int? lanes = null, TimeSpan? wait = null, TimeSpan? heartbeat = null) => new()
    {
        Backend = o.Backend,
        SlotCount = slotCount ?? o.SlotCount,
        Lanes = lanes ?? o.Lanes,
        WaitTimeout = wait ?? o.WaitTimeout,
        HeartbeatTimeout = heartbeat ?? o.HeartbeatTimeout,

    };
}

[TestFixture]
public sealed class ManagedHostile : HostileSuite
{
    protected override bool CatchesExceptions => true;

    protected override int SoakSlots => 10_000_000;

    protected override MegakernelOptions Options(int slotCount = 256) => BackendOptions.Managed(slotCount);
}

[TestFixture]
public sealed class IlgpuCpuHostile : HostileSuite
{
    protected override bool CatchesExceptions => true;

    // One warp of four lanes on ILGPU's CPU accelerator: scaled down.
    protected override int SoakSlots => 20_000;

    protected override MegakernelOptions Options(int slotCount = 256) => BackendOptions.IlgpuCpu(slotCount);
}

[TestFixture]
[Category("Gpu")]
public sealed class CudaHostile : HostileSuite
{
    protected override bool CatchesExceptions => false;

    protected override bool OneHostPerDevice => true;

    protected override int SoakSlots => 10_000_000;

    protected override void RequireBackend() => BackendOptions.RequireCuda();

    protected override MegakernelOptions Options(int slotCount = 256) => BackendOptions.Cuda(slotCount);
}
