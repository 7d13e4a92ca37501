using System;
using NUnit.Framework;
using Vyre.Ring;

namespace Vyre.Runtime.Tests;

/// <summary>The admission rules by priority, without a host: windows, waiting publishers, the starvation guard.</summary>
public sealed class PriorityGateTests
{
    private const int Critical = 0;
    private const int High = 1;
    private const int Normal = 2;
    private const int Low = 3;
    private const int Background = 4;

    [Test]
    public void Each_window_counts_its_level_and_the_less_urgent_ones_and_nothing_goes_past_the_ring()
    {
        var gate = new PriorityGate(64, normal: 48, low: 16, background: 4, starvationLimit: 1000);
        for (int i = 0; i < 4; i++)
        {
            Assert.That(gate.TryAdmit(Background, 1, i, 64), Is.True);
        }

        Assert.That(gate.TryAdmit(Background, 1, 4, 64), Is.False, "a fifth outstanding background slot is past its window");
        Assert.That(gate.TryAdmit(Low, 13, 4, 64), Is.False, "Low's window counts the background slots too");
        Assert.That(gate.TryAdmit(Low, 12, 4, 64), Is.True);
        Assert.That(gate.TryAdmit(Normal, 33, 16, 64), Is.False);
        Assert.That(gate.TryAdmit(Normal, 32, 16, 64), Is.True);
        Assert.That(gate.TryAdmit(High, 16, 48, 64), Is.True, "High is bounded by the ring only");
        Assert.That(gate.TryAdmit(Critical, 1, 64, 64), Is.False, "not even Critical goes past the ring");

        gate.Retired(Background, 1);
        Assert.That(gate.Outstanding(Background), Is.EqualTo(3));
        Assert.That(gate.TryAdmit(Background, 1, 3, 64), Is.True, "a background slot read back frees its window");
    }

    [Test]
    public void Urgent_slots_outstanding_do_not_hold_back_a_less_urgent_level()
    {
        var gate = new PriorityGate(64, 64, 16, 4, starvationLimit: 1000);
        Assert.That(gate.TryAdmit(Normal, 40, 0, 64), Is.True);
        Assert.That(gate.TryAdmit(Background, 4, 40, 64), Is.True, "its window counts background slots, not the Normal ones ahead");
    }

    [Test]
    public void A_waiting_publisher_holds_back_every_less_urgent_level_and_only_those()
    {
        var gate = new PriorityGate(64, 64, 64, 64, starvationLimit: 1000);
        gate.BeginWait(High);
        Assert.That(gate.TryAdmit(Normal, 1, 0, 64), Is.False);
        Assert.That(gate.TryAdmit(Background, 1, 0, 64), Is.False);
        Assert.That(gate.TryAdmit(High, 1, 0, 64), Is.True, "its own level is not held back");
        Assert.That(gate.TryAdmit(Critical, 1, 0, 64), Is.True);
        gate.EndWait(High);
        Assert.That(gate.TryAdmit(Normal, 1, 0, 64), Is.True, "the wait has ended");
    }

    [Test]
    public void A_waiting_level_passed_over_starvation_limit_times_goes_next_and_gets_the_room()
    {
        var gate = new PriorityGate(64, 64, 16, 4, starvationLimit: 3);
        gate.BeginWait(Critical);
        gate.BeginWait(Background);
        Assert.That(gate.TryAdmit(Background, 1, 40, 64), Is.False, "a Critical publisher waits");
        for (int i = 0; i < 3; i++)
        {
            Assert.That(gate.IsStarved(Background), Is.False);
            Assert.That(gate.TryAdmit(Critical, 1, 40, 64), Is.True);
        }

        Assert.That(gate.IsStarved(Background), Is.True);
        Assert.That(gate.TryAdmit(Critical, 1, 40, 64), Is.False, "the starved level's waiting publisher gets the next room");
        Assert.That(gate.TryAdmit(Background, 1, 64, 64), Is.False, "starved or not, never past the ring");
        Assert.That(gate.TryAdmit(Background, 1, 40, 64), Is.True, "past the waiting Critical publisher");
        Assert.That(gate.IsStarved(Background), Is.False, "the count starts again");
        Assert.That(gate.TryAdmit(Background, 1, 41, 64), Is.False, "and the waiting Critical publisher holds it back again");
        gate.EndWait(Background);
        gate.EndWait(Critical);
    }

    [Test]
    public void A_starved_level_at_its_window_does_not_hold_back_the_others()
    {
        var gate = new PriorityGate(64, 64, 16, 2, starvationLimit: 1);
        Assert.That(gate.TryAdmit(Background, 2, 0, 64), Is.True);
        gate.BeginWait(Background);
        Assert.That(gate.TryAdmit(Background, 1, 2, 64), Is.False, "its window is full");
        Assert.That(gate.TryAdmit(Critical, 1, 2, 64), Is.True);
        Assert.That(gate.IsStarved(Background), Is.True);
        Assert.That(gate.TryAdmit(Critical, 1, 3, 64), Is.True, "a starved level that could not take the room anyway holds nobody back");
        gate.EndWait(Background);
    }

    [Test]
    public void Only_reservations_made_while_a_level_waits_count_towards_its_starvation()
    {
        var gate = new PriorityGate(64, 64, 16, 4, starvationLimit: 3);
        for (int i = 0; i < 10; i++)
        {
            Assert.That(gate.TryAdmit(Critical, 1, 0, 64), Is.True);
        }

        Assert.That(gate.IsStarved(Background), Is.False, "nobody at Background waited");
        gate.BeginWait(Background);
        Assert.That(gate.TryAdmit(Normal, 1, 0, 64), Is.True);
        Assert.That(gate.TryAdmit(Low, 1, 0, 64), Is.True);
        Assert.That(gate.IsStarved(Background), Is.False);
        Assert.That(gate.TryAdmit(High, 1, 0, 64), Is.True);
        Assert.That(gate.IsStarved(Background), Is.True, "three reservations by more urgent levels while it waited");
        gate.EndWait(Background);
        Assert.That(gate.IsStarved(Background), Is.False, "a level nobody waits at is not starved");
    }

    [Test]
    public void A_batch_larger_than_its_window_is_refused_with_a_fix()
    {
        var gate = new PriorityGate(64, 64, 16, 4, starvationLimit: 3);
        Assert.That(() => gate.ThrowIfTooLarge(Background, 5), Throws.ArgumentException.With.Message.Contains("BackgroundPriorityWindow").And.Message.Contains("Fix:"));
        Assert.That(() => gate.ThrowIfTooLarge(Background, 4), Throws.Nothing);
        Assert.That(() => gate.ThrowIfTooLarge(Critical, 64), Throws.Nothing);
    }

    [Test]
    public void Unset_windows_default_to_the_ring_a_quarter_and_a_sixteenth_never_above_the_level_above()
    {
        Assert.That(new MegakernelOptions().PriorityWindows(), Is.EqualTo((4096, 1024, 256)));
        Assert.That(new MegakernelOptions { SlotCount = 64, NormalPriorityWindow = 8 }.PriorityWindows(), Is.EqualTo((8, 8, 4)));
        Assert.That(new MegakernelOptions { SlotCount = 2 }.PriorityWindows(), Is.EqualTo((2, 1, 1)));
        Assert.That(() => new MegakernelOptions { SlotCount = 64, NormalPriorityWindow = 8 }.Validate(), Throws.Nothing);
        Assert.That(() => new MegakernelOptions { SlotCount = 64, LowPriorityWindow = 8, BackgroundPriorityWindow = 9 }.Validate(), Throws.ArgumentException.With.Message.Contains("Fix:"));
    }

    [Test]
    public void Ranks_order_the_levels_from_critical_to_background()
    {
        SlotPriority[] levels = [SlotPriority.Critical, SlotPriority.High, SlotPriority.Normal, SlotPriority.Low, SlotPriority.Background];
        for (int rank = 0; rank < levels.Length; rank++)
        {
            Assert.That(PriorityGate.Rank(levels[rank]), Is.EqualTo(rank));
            Assert.That(PriorityGate.Level(rank), Is.EqualTo(levels[rank]));
        }

        Assert.That(default(SlotRequest).Priority, Is.EqualTo(SlotPriority.Normal), "a request that says nothing is Normal");
        Assert.That(Enum.GetValues<SlotPriority>(), Has.Length.EqualTo(PriorityGate.Levels));
    }
}
