using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using NUnit.Framework;
using Vyre.Backends;

namespace Vyre.Runtime.Tests;

/// <summary>
/// A group of hosts behind one submission API, on several CPU hosts (the machine's stand-in for several GPUs): work goes
/// to the least loaded member, a large batch is split and comes back in order, a lost member is routed around and
/// restarted (and prepared again), and misuse is refused.
/// </summary>
public sealed class MegakernelGroupTests
{
    private const int PreparedWord = 700;

    [Test]
    public async Task Batches_go_to_the_least_loaded_member()
    {
        await using MegakernelGroup group = await Start(3);
        var batches = new List<GroupBatch>();
        for (int i = 0; i < 3; i++)
        {
            batches.Add(group.PublishBatch(Increments(100, 0)));
        }

        Assert.That(batches.Select(b => b.Parts!.Single().Host).Distinct().Count(), Is.EqualTo(3), "three unwaited batches land on three members");
        foreach (GroupBatch batch in batches)
        {
            var results = new SlotResult[batch.Count];
            group.WaitBatch(batch, results);
            Assert.That(results.Select(r => r[0]), Is.EqualTo(Enumerable.Range(1, 100).Select(i => (uint)i)));
        }

        Assert.That(group.Submit(new SlotRequest(TestKernels.Opcodes.Increment, 41))[0], Is.EqualTo(42u));
        Assert.That((await group.SubmitAsync(new SlotRequest(TestKernels.Opcodes.Increment, 9)))[0], Is.EqualTo(10u));
    }

    [Test]
    public async Task A_large_batch_is_split_over_the_members_and_comes_back_in_order()
    {
        await using MegakernelGroup group = await Start(3);
        SlotRequest[] requests = Increments(2500, 0);
        GroupBatch batch = group.PublishBatch(requests);
        Assert.That(batch.PartCount, Is.EqualTo(3), "2,500 slots do not fit one ring of 1,024");
        var results = new SlotResult[requests.Length];
        group.WaitBatch(batch, results);
        Assert.That(results.Select(r => r[0]), Is.EqualTo(Enumerable.Range(1, requests.Length).Select(i => (uint)i)));
        Assert.That(() => group.WaitBatch(batch, results), Throws.InvalidOperationException, "a batch is waited for once");
        Assert.That(() => group.PublishBatch(Increments(3 * 1024 + 1, 0)), Throws.ArgumentException.With.Message.Contains("Fix:"));
    }

    [Test]
    public async Task A_lost_member_is_routed_around_then_restarted_and_prepared_again()
    {
        await using MegakernelGroup group = await Start(3);
        MegakernelHost lost = group.Hosts[0];
        Assert.That(lost.StopDeviceSide(TimeSpan.FromSeconds(10)), Is.True);
        lost.LoseDevice(new DeviceFault("lost on purpose by the test", 0));
        for (uint i = 0; i < 200; i++)
        {
            Assert.That(group.Submit(new SlotRequest(TestKernels.Opcodes.Increment, i))[0], Is.EqualTo(i + 1), "the others serve meanwhile");
        }

        for (int i = 0; i < 1000 && (group.Hosts.Count < 3 || group.Hosts.Contains(lost)); i++)
        {
            await Task.Delay(10);
        }

        Assert.That(group.Hosts, Has.Count.EqualTo(3).And.No.SameAs(lost), "the lost member was restarted");
        foreach (MegakernelHost member in group.Hosts)
        {
            Assert.That(member.Submit(Opcodes.LoadU32, PreparedWord)[0], Is.EqualTo(0xFEEDu), "every member, the restarted one too, was prepared");
        }
    }

    [Test]
    public async Task A_batch_spanning_a_member_that_was_lost_and_restarted_gives_DeviceLost_for_its_part_and_the_rest_in_order()
    {
        await using MegakernelGroup group = await Start(3);
        MegakernelHost stalled = group.Hosts[0];
        Assert.That(stalled.StopDeviceSide(TimeSpan.FromSeconds(10)), Is.True);
        GroupBatch batch = group.PublishBatch(Increments(2500, 0));
        Assert.That(batch.PartCount, Is.EqualTo(3));
        stalled.LoseDevice(new DeviceFault("lost on purpose by the test", 0));
        group.Submit(new SlotRequest(Opcodes.Nop)); // Sees the loss: the member is shut down and restarted.
        for (int i = 0; i < 1000 && group.Hosts.Count < 3; i++)
        {
            await Task.Delay(10);
        }

        var results = new SlotResult[batch.Count];
        group.WaitBatch(batch, results);
        GroupBatch.Part lostPart = batch.Parts!.Single(p => ReferenceEquals(p.Host, stalled));
        for (int i = 0; i < results.Length; i++)
        {
            bool onLost = i >= lostPart.Offset && i < lostPart.Offset + lostPart.Batch.Count;
            Assert.That(onLost ? results[i].Fault == FaultCode.DeviceLost : results[i][0] == (uint)i + 1, $"slot {i}: {results[i]}");
        }
    }

    [Test]
    public async Task Without_restarts_a_group_whose_members_are_all_lost_says_so()
    {
        await using MegakernelGroup group = await Start(2, restart: false);
        foreach (MegakernelHost member in group.Hosts)
        {
            member.StopDeviceSide(TimeSpan.FromSeconds(10));
            member.LoseDevice(new DeviceFault("lost on purpose by the test", 0));
        }

        Assert.That(() => group.Submit(new SlotRequest(Opcodes.Nop)), Throws.InstanceOf<DeviceLostException>().With.Message.Contains("every member"));
        Assert.That(group.Hosts, Is.Empty);
        Assert.That(group.MemberCount, Is.EqualTo(2));
    }

    [Test]
    public async Task Misuse_is_refused_with_a_fix()
    {
        Assert.That(() => MegakernelGroup.StartAsync(o => TestKernels.StartAsync(o), []), Throws.ArgumentException.With.Message.Contains("Fix:"));
        Assert.That(
            () => MegakernelGroup.StartAsync(o => o.SlotCount == 64 ? TestKernels.StartAsync(o) : DeviceLossKernels.StartAsync(o), [BackendOptions.Managed(64), BackendOptions.Managed(128)]),
            Throws.ArgumentException.With.Message.Contains("different megakernels"));
        await using MegakernelGroup group = await Start(2);
        await using MegakernelGroup other = await Start(1);
        var results = new SlotResult[4];
        Assert.That(() => group.WaitBatch(default, results), Throws.ArgumentException.With.Message.Contains("Fix:"));
        Assert.That(() => group.WaitBatch(other.PublishBatch(Increments(4, 0)), results), Throws.ArgumentException.With.Message.Contains("another group"));
        Assert.That(() => group.PublishBatch([]), Throws.ArgumentException);
        Assert.That(
            () => MegakernelGroup.StartAsync(o => TestKernels.StartAsync(o), Enumerable.Range(0, 65).Select(_ => BackendOptions.Managed(64))),
            Throws.ArgumentException.With.Message.Contains("1..64"),
            "65 members are refused before any starts");
        Assert.That(() => MegakernelGroup.StartAsync(o => TestKernels.StartAsync(o), [BackendOptions.Managed(64), null!]), Throws.ArgumentException.With.Message.Contains("Fix:"));
    }

    [Test]
    public async Task A_disposed_group_refuses_work_and_its_hosts_are_shut_down()
    {
        MegakernelGroup group = await Start(2);
        IReadOnlyList<MegakernelHost> hosts = group.Hosts;
        GroupBatch pending = group.PublishBatch(Increments(8, 0));
        await group.DisposeAsync();
        await group.DisposeAsync(); // Twice is nothing.

        Assert.That(() => group.Submit(new SlotRequest(TestKernels.Opcodes.Increment, 1)), Throws.InstanceOf<ObjectDisposedException>());
        Assert.That(() => group.PublishBatch(Increments(2, 0)), Throws.InstanceOf<ObjectDisposedException>());
        Assert.That(() => group.WaitBatch(pending, new SlotResult[8]), Throws.InstanceOf<ObjectDisposedException>());
        foreach (MegakernelHost host in hosts)
        {
            Assert.That(() => host.Submit(Opcodes.Nop), Throws.InstanceOf<ObjectDisposedException>(), "every member was shut down with the group");
        }
    }

    [Test]
    public Task An_ilgpu_cpu_member_and_a_managed_member_share_a_batch_in_order() =>
        SharesABatchInOrder([BackendOptions.IlgpuCpu(1024), BackendOptions.Managed(1024)], 2000);

    [Test]
    [Category("Gpu")]
    public Task A_gpu_and_a_cpu_member_share_a_batch_and_give_the_results_in_order()
    {
        BackendOptions.RequireCuda();
        return SharesABatchInOrder([BackendOptions.Cuda(4096), BackendOptions.Managed(4096)], 8000);
    }

    /// <summary>A batch of <paramref name="count"/> is split over two members of different backends and comes back in order.</summary>
    private static async Task SharesABatchInOrder(MegakernelOptions[] members, int count)
    {
        await using MegakernelGroup group = await MegakernelGroup.StartAsync(o => TestKernels.StartAsync(o), members);
        Assert.That(group.Hosts.Select(h => h.Backend), Is.EquivalentTo(members.Select(m => m.Backend)));
        SlotRequest[] requests = Increments(count, 5);
        GroupBatch batch = group.PublishBatch(requests);
        Assert.That(batch.PartCount, Is.EqualTo(2));
        var results = new SlotResult[requests.Length];
        group.WaitBatch(batch, results);
        Assert.That(results.Select(r => r[0]), Is.EqualTo(Enumerable.Range(6, requests.Length).Select(i => (uint)i)));
        Assert.That((await group.SubmitAsync(new SlotRequest(TestKernels.Opcodes.Increment, 1)))[0], Is.EqualTo(2u));
    }

    private static async Task<MegakernelGroup> Start(int members, bool restart = true) =>
        await MegakernelGroup.StartAsync(
            o => TestKernels.StartAsync(o),
            Enumerable.Range(0, members).Select(_ => BackendOptions.Managed(1024)),
            host =>
            {
                host.WriteHeap(PreparedWord, [0xFEED]);
                return Task.CompletedTask;
            },
            restart);

    private static SlotRequest[] Increments(int count, uint from) =>
        [.. Enumerable.Range(0, count).Select(i => new SlotRequest(TestKernels.Opcodes.Increment, from + (uint)i))];
}
