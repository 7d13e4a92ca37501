using System.Numerics;
using NUnit.Framework;
using Vyre.Internals;

namespace Vyre.Runtime.Tests;

/// <summary>
/// The device loop masks and shifts where it used to divide (a division is about twenty GPU instructions): these are the
/// facts that make the masks right, for every ring size the options accept.
/// </summary>
public sealed class LoopArithmeticTests
{
    [Test]
    public void Every_ring_size_has_a_completion_group_of_a_power_of_two_that_divides_it()
    {
        for (int slotCount = 2; slotCount <= MegakernelOptions.MaxSlotCount; slotCount *= 2)
        {
            int size = CompletionGroups.GroupSizeFor(slotCount);
            Assert.That(int.IsPow2(size) && slotCount % size == 0, Is.True, $"ring of {slotCount}: group of {size}");
            var buffers = new MegakernelBuffers { SlotCount = slotCount, GroupShift = BitOperations.Log2((uint)size) };
            Assert.That(buffers.GroupSize, Is.EqualTo(size), $"ring of {slotCount}");
        }
    }

    [Test]
    public void A_lone_slot_counts_towards_the_group_that_holds_its_ring_slot_across_the_sequence_wrap()
    {
        const int slotCount = 64;
        int size = CompletionGroups.GroupSizeFor(slotCount);
        var buffers = new MegakernelBuffers { SlotCount = slotCount, GroupShift = BitOperations.Log2((uint)size) };
        foreach (uint sequence in new uint[] { 0, 1, 15, 16, 63, 64, 4_294_967_295, 4_294_967_280 })
        {
            Assert.That(buffers.SlotOf(sequence) >> buffers.GroupShift, Is.EqualTo((int)(sequence % slotCount) / size), $"sequence {sequence}");
        }
    }

    [Test]
    public void The_forwarders_periods_are_powers_of_two_and_fall_due_as_a_remainder_would()
    {
        Assert.That(uint.IsPow2(MegakernelLoop.HousekeepingPeriod) && uint.IsPow2(MegakernelLoop.MetricsPeriod), Is.True);
        foreach (uint period in new[] { MegakernelLoop.HousekeepingPeriod, MegakernelLoop.MetricsPeriod })
        {
            foreach (uint iteration in new uint[] { 0, 1, period - 1, period, period + 1, 3 * period, uint.MaxValue, uint.MaxValue - period + 1 })
            {
                Assert.That(MegakernelLoop.IsDue(iteration, period), Is.EqualTo(iteration % period == 0), $"iteration {iteration} of period {period}");
            }
        }
    }
}
