using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using NUnit.Framework;

namespace Vyre.Runtime.Tests;

/// <summary>
/// Priorities on every backend: less urgent levels stop at their windows while more urgent ones go on, a Critical slot
/// under a background flood has at most the background window ahead of it in claim order, waiting publishers are
/// admitted most urgent first, and the starvation guard lets a passed-over level through.
/// </summary>
public abstract class PrioritySuite
{
    private const int Slots = 256;
    private const int BackgroundWindow = 32;
    private const int LowWindow = 64;

    private MegakernelHost _host = null!;

    /// <summary>The backend under test.</summary>
    protected abstract Backend Backend { get; }

    protected virtual void RequireBackend()
    {
    }

    [OneTimeSetUp]
    public async Task StartHost()
    {
        RequireBackend();
        _host = await TestKernels.StartAsync(Options(starvationLimit: 1 << 20));
    }

    [OneTimeTearDown]
    public async Task StopHost()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    [Test]
    public void Background_slots_stop_at_their_window_while_more_urgent_ones_go_on()
    {
        var held = new List<SlotBatch>();
        try
        {
            SlotRequest[] background = Batch(8, SlotPriority.Background);
            while (_host.TryPublishBatch(background, out SlotBatch batch))
            {
                held.Add(batch);
                Assert.That(held, Has.Count.LessThanOrEqualTo(Slots / 8), "the ring itself would stop it here");
            }

            Assert.That(held, Has.Count.EqualTo(BackgroundWindow / 8), "background stops at its window, not at the ring");
            Assert.That(_host.TryPublishBatch(Batch(8, SlotPriority.Low), out SlotBatch low), Is.True, "Low has room up to its own window");
            held.Add(low);
            Assert.That(_host.Submit(new SlotRequest(TestKernels.Opcodes.Increment, 41) { Priority = SlotPriority.Critical })[0], Is.EqualTo(42u));

            // Ring slots are reused in sequence order: the Critical slot's stays taken until the batches before it are read.
            int left = Slots - (BackgroundWindow + 8 + 1);
            Assert.That(_host.TryPublishBatch(Batch(left, SlotPriority.Normal), out SlotBatch normal), Is.True, "Normal may fill the ring");
            held.Add(normal);
            Assert.That(_host.TryPublishBatch(Batch(1, SlotPriority.Critical), out _), Is.False, "the ring is full: not even Critical");
        }
        finally
        {
            WaitAll(held);
        }

        Assert.That(_host.TryPublishBatch(Batch(8, SlotPriority.Background), out SlotBatch again), Is.True, "room again once the results are read");
        WaitAll([again]);
    }

    [Test]
    public void A_critical_slot_under_a_background_flood_has_at_most_the_background_window_ahead_of_it()
    {
        // Right after each Critical slot is published, the ring snapshot counts the background slots before it that have
        // not finished: those were outstanding when it was admitted, and background slots outstanding never pass the window.
        using var stop = new CancellationTokenSource();
        long backgroundPublished = 0;
        Task flood = Task.Run(() =>
        {
            var inFlight = new Queue<SlotBatch>();
            var results = new SlotResult[8];
            SlotRequest[] batch = Batch(8, SlotPriority.Background);
            while (!stop.IsCancellationRequested)
            {
                if (_host.TryPublishBatch(batch, out SlotBatch published))
                {
                    inFlight.Enqueue(published);
                    Interlocked.Add(ref backgroundPublished, 8);
                }
                else if (inFlight.Count > 0)
                {
                    _host.WaitBatch(inFlight.Dequeue(), results);
                }
            }

            while (inFlight.Count > 0)
            {
                _host.WaitBatch(inFlight.Dequeue(), results);
            }
        });

        int worst = 0;
        var one = new SlotResult[1];
        try
        {
            for (int wait = 0; wait < 1000 && Volatile.Read(ref backgroundPublished) < 4 * BackgroundWindow; wait++)
            {
                Thread.Sleep(5);
            }

            for (int i = 0; i < 200; i++)
            {
                SlotBatch critical = _host.PublishBatch([new SlotRequest(TestKernels.Opcodes.Increment, 41) { Priority = SlotPriority.Critical }]);
                RingSnapshot snapshot = _host.RingSnapshot();

                // The snapshot is not atomic: a slot whose sequence came round again while it was read is left out.
                long trusted = _host.Published - Slots;
                int ahead = snapshot.Slots.Count(s => s.Sequence >= trusted && s.Sequence < critical.First && s.Priority == SlotPriority.Background && s.State is not (SlotState.Done or SlotState.Fault));
                worst = Math.Max(worst, ahead);
                _host.WaitBatch(critical, one);
                Assert.That(one[0][0], Is.EqualTo(42u), one[0].ToString());
            }
        }
        finally
        {
            stop.Cancel();
            flood.Wait(TimeSpan.FromSeconds(30));
        }

        Assert.That(flood.IsCompletedSuccessfully, flood.Exception?.ToString());
        Assert.That(Volatile.Read(ref backgroundPublished), Is.GreaterThanOrEqualTo(4 * BackgroundWindow), "the flood ran");
        Assert.That(worst, Is.LessThanOrEqualTo(BackgroundWindow), "unfinished background slots ahead of a Critical one");
    }

    [Test]
    public async Task Waiting_publishers_are_admitted_most_urgent_first()
    {
        var held = new Queue<SlotBatch>();
        while (_host.TryPublishBatch(Batch(8, SlotPriority.Normal), out SlotBatch batch))
        {
            held.Enqueue(batch);
        }

        Assert.That(held, Has.Count.EqualTo(Slots / 8), "Normal filled the ring");
        Task<SlotBatch> high = Task.Run(() => _host.PublishBatch(Batch(8, SlotPriority.High)));
        await WaitUntil(() => _host.Priorities.Waiting(1) == 1);
        Task<SlotBatch> critical = Task.Run(() => _host.PublishBatch(Batch(8, SlotPriority.Critical)));
        await WaitUntil(() => _host.Priorities.Waiting(0) == 1);

        WaitAll([held.Dequeue()]);
        SlotBatch criticalBatch = await critical.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(high.IsCompleted, Is.False, "the room for eight went to the Critical publisher, which came later");
        WaitAll([held.Dequeue()]);
        SlotBatch highBatch = await high.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(criticalBatch.First, Is.LessThan(highBatch.First), "claimed in that order");
        WaitAll([.. held, criticalBatch, highBatch]);
    }

    [Test]
    public async Task A_level_passed_over_by_more_urgent_ones_still_gets_through()
    {
        // The ring is full of Critical batches and two Critical publishers wait for room all the time, so a waiting
        // background publisher is held back by rule 3 at every freed room: only the starvation guard lets it through.
        // One host per process on CUDA: this test lowers the suite host's starvation limit for its duration.
        MegakernelHost host = _host;
        host.Priorities.SetStarvationLimitForTests(4);
        var held = new Queue<SlotBatch>();
        var later = new System.Collections.Concurrent.ConcurrentQueue<SlotBatch>();
        using var stop = new CancellationTokenSource();
        Task[] critical = [];
        try
        {
            while (host.TryPublishBatch(Batch(8, SlotPriority.Critical), out SlotBatch batch))
            {
                held.Enqueue(batch);
            }

            critical = [.. Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
            {
                while (!stop.IsCancellationRequested)
                {
                    later.Enqueue(host.PublishBatch(Batch(8, SlotPriority.Critical)));
                }
            }))];
            await WaitUntil(() => host.Priorities.Waiting(0) == 2);
            Task<SlotBatch> background = Task.Run(() => host.PublishBatch(Batch(8, SlotPriority.Background)));
            await WaitUntil(() => host.Priorities.Waiting(4) == 1);

            var results = new SlotResult[8];
            for (int i = 0; i < held.Count + 8 && !background.IsCompleted; i++)
            {
                host.WaitBatch(held.Dequeue(), results);
                await Task.Delay(20);
            }

            Assert.That(background.IsCompleted, Is.True, "the background publisher was passed over for good");
            Assert.That(later, Has.Count.GreaterThanOrEqualTo(4), "it went only after the starvation limit");
            held.Enqueue(await background);
        }
        finally
        {
            stop.Cancel();
            WaitAll(host, held);
            while (critical.Any(t => !t.IsCompleted) || !later.IsEmpty)
            {
                if (later.TryDequeue(out SlotBatch batch))
                {
                    WaitAll(host, [batch]);
                }
                else
                {
                    await Task.Delay(5);
                }
            }

            host.Priorities.SetStarvationLimitForTests(1 << 20);
        }
    }

    [Test]
    public void Bad_priorities_and_batches_no_window_can_take_are_refused()
    {
        Assert.That(() => _host.Submit(new SlotRequest(Vyre.Opcodes.Nop) { Priority = (SlotPriority)5 }), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("Fix:"));
        Assert.That(() => _host.PublishBatch(Batch(BackgroundWindow + 1, SlotPriority.Background)), Throws.ArgumentException.With.Message.Contains("BackgroundPriorityWindow"));
        SlotRequest[] mixed = [.. Batch(LowWindow, SlotPriority.Critical), new SlotRequest(Vyre.Opcodes.Nop) { Priority = SlotPriority.Low }];
        Assert.That(() => _host.PublishBatch(mixed), Throws.ArgumentException.With.Message.Contains("LowPriorityWindow"), "a batch goes at its least urgent request's level");
        Assert.That(_host.Submit(new SlotRequest(Vyre.Opcodes.Nop)).IsDone, "nothing was left half-published");
    }

    [Test]
    public async Task The_meter_counts_published_and_done_slots_by_tenant_and_priority()
    {
        using var recorder = new MeterRecorder();
        await using TenantHandle tenant = _host.RegisterTenant();
        string id = tenant.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        double Published(IReadOnlyList<Measured> measured, string priority) =>
            measured.Where(m => m.Tag(MegakernelMetrics.MegakernelTag) == _host.Name && m.Tag(MegakernelMetrics.TenantTag) == id && m.Tag(MegakernelMetrics.PriorityTag) == priority).Sum(m => m.Value);
        tenant.Submit(new SlotRequest(TestKernels.Opcodes.WhoAmI) { Priority = SlotPriority.Critical });
        var results = new SlotResult[3];
        tenant.WaitBatch(tenant.PublishBatch(Batch(3, SlotPriority.Background)), results);
        IReadOnlyList<Measured> done = [.. recorder.All.Where(m => m.Instrument == "vyre.slots.done" && m.Tag(MegakernelMetrics.TenantTag) == id)];
        IReadOnlyList<Measured> measured = recorder.ObserveUntil("vyre.slots.published", m => Published(m, "background") >= 3);
        Assert.That(Published(measured, "critical"), Is.EqualTo(1));
        Assert.That(Published(measured, "background"), Is.EqualTo(3));
        Assert.That(done.Where(m => m.Tag(MegakernelMetrics.PriorityTag) == "critical" && m.Tag(MegakernelMetrics.OpcodeTag) == "WhoAmI").Sum(m => m.Value), Is.EqualTo(1));
        Assert.That(done.Where(m => m.Tag(MegakernelMetrics.PriorityTag) == "background" && m.Tag(MegakernelMetrics.OpcodeTag) == "Increment").Sum(m => m.Value), Is.EqualTo(3));
    }

    private MegakernelOptions Options(int starvationLimit) => new()
    {
        Backend = Backend,
        SlotCount = Slots,
        LowPriorityWindow = LowWindow,
        BackgroundPriorityWindow = BackgroundWindow,
        StarvationLimit = starvationLimit,
        WaitTimeout = TimeSpan.FromSeconds(10),
    };

    private static SlotRequest[] Batch(int count, SlotPriority priority) =>
        [.. Enumerable.Repeat(new SlotRequest(TestKernels.Opcodes.Increment, 1) { Priority = priority }, count)];

    private void WaitAll(IEnumerable<SlotBatch> batches) => WaitAll(_host, batches);

    private static void WaitAll(MegakernelHost host, IEnumerable<SlotBatch> batches)
    {
        foreach (SlotBatch batch in batches)
        {
            var results = new SlotResult[batch.Count];
            host.WaitBatch(batch, results);
            Assert.That(results.All(r => r.IsDone && r[0] == 2), string.Join(", ", results.Where(r => !r.IsDone)));
        }
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (int i = 0; i < 1000 && !condition(); i++)
        {
            await Task.Delay(5);
        }

        Assert.That(condition(), Is.True, "timed out waiting for the publishers to start waiting");
    }
}

[TestFixture]
public sealed class ManagedPriorities : PrioritySuite
{
    protected override Backend Backend => Backend.Managed;
}

[TestFixture]
public sealed class IlgpuCpuPriorities : PrioritySuite
{
    protected override Backend Backend => Backend.IlgpuCpu;
}

[TestFixture]
[Category("Gpu")]
public sealed class CudaPriorities : PrioritySuite
{
    protected override Backend Backend => Backend.Cuda;

    protected override void RequireBackend() => BackendOptions.RequireCuda();
}
