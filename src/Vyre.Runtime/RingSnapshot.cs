using System;
using System.Collections.Generic;
using System.Linq;

namespace Vyre;

/// <summary>
/// Every ring slot as <see cref="MegakernelHost.RingSnapshot"/> read it, with the host's and the device's counters: what a
/// stuck-slot investigation starts from. Read word by word while the ring runs, so not one atomic picture: a slot may
/// move on while the next is read.
/// </summary>
/// <param name="TakenAt">When it was read (UTC).</param>
/// <param name="Published">Sequences the host has published.</param>
/// <param name="Outstanding">Published sequences whose slots the host has not taken back yet.</param>
/// <param name="DeviceDone">Slots the device side reports done (the control block's counter, republished periodically; 32 bits).</param>
/// <param name="KernelState">The device side's state.</param>
/// <param name="Slots">One entry per ring slot, by index.</param>
public sealed record RingSnapshot(DateTime TakenAt, long Published, long Outstanding, uint DeviceDone, KernelState KernelState, IReadOnlyList<SlotSnapshot> Slots)
{
    /// <summary>Slots published (queued or running) and not yet finished, or handed to the io service: where a stuck slot shows.</summary>
    public IEnumerable<SlotSnapshot> Unfinished => Slots.Where(s => s.State is SlotState.Published or SlotState.Claimed or SlotState.WaitIo);

    /// <summary>One line per state with its count, then one line per unfinished slot: for a log.</summary>
    public override string ToString() =>
        $"ring of {Slots.Count} at {TakenAt:O}: published {Published}, outstanding {Outstanding}, device done {DeviceDone}, kernel {KernelState}; "
        + string.Join(", ", Slots.GroupBy(s => s.State).OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count()}"))
        + string.Concat(Unfinished.Select(s => $"\n  slot {s.Slot}: sequence {s.Sequence}, {s.State}, opcode 0x{s.Opcode:X}, tenant {s.Tenant}"));
}

/// <summary>One ring slot in a <see cref="RingSnapshot"/>.</summary>
/// <param name="Slot">Index in the ring.</param>
/// <param name="Sequence">The last sequence the host published into it, or -1 when none has been.</param>
/// <param name="State">
/// Its status word. A slot the device is running still reads <see cref="SlotState.Published"/>: the device does not write
/// CLAIMED (a PCIe write per slot for no one's benefit), so queued and running slots look alike here.
/// </param>
/// <param name="Opcode">Its opcode word.</param>
/// <param name="Tenant">Its tenant word.</param>
/// <param name="Priority">Its priority.</param>
public readonly record struct SlotSnapshot(int Slot, long Sequence, SlotState State, uint Opcode, uint Tenant, SlotPriority Priority);
