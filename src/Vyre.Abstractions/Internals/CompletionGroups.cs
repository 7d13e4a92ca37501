using System.Runtime.CompilerServices;
using ILGPU;

namespace Vyre.Internals;

/// <summary>
/// Completion reported per group of ring slots, so a waiter for many slots watches one word per group instead of
/// polling every status word (docs/bulk-path.md). Ring slot <c>i</c> belongs to group <c>i / GroupSize</c>. The device
/// side counts completed slots per group in device memory (<see cref="MegakernelBuffers.GroupCounts"/>); whoever brings
/// a group's count to a multiple of its size writes that count, with a release store, to the group's host-visible word
/// (<see cref="MegakernelBuffers.GroupDone"/>).
/// <para>
/// The word is a hint, never the truth: a waiter that sees it still reads each slot's status before its results (and
/// waits for a slot whose status is not final yet), and one that does not see it in time falls back to the statuses.
/// Both matter only when lanes are delayed for a long time: a slot retired by its status can come back in the next lap
/// and complete before a slow lane of the previous lap has added to the count, so a count can cross a multiple early,
/// or two writes of one word can land out of order.
/// </para>
/// </summary>
internal static class CompletionGroups
{
    /// <summary>Most slots in a group: a warp's claim.</summary>
    public const int MaxGroupSize = 32;

    /// <summary>Slots per group for a ring of <paramref name="slotCount"/> slots (a power of two): a quarter of the ring, at most <see cref="MaxGroupSize"/>.</summary>
    public static int GroupSizeFor(int slotCount) => slotCount >= 4 * MaxGroupSize ? MaxGroupSize : slotCount >= 4 ? slotCount / 4 : 1;

    /// <summary>Groups in a ring of <paramref name="slotCount"/> slots.</summary>
    public static int GroupCountFor(int slotCount) => slotCount / GroupSizeFor(slotCount);

    /// <summary>
    /// Counts sequences [<paramref name="first"/>, + <paramref name="count"/>), which have just completed (or been handed
    /// to the host's io service), towards their groups, and writes the word of every group whose count reaches a
    /// multiple of the group size.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Add(in MegakernelBuffers buffers, uint first, uint count)
    {
        uint size = (uint)buffers.GroupSize;
        uint end = first + count;
        uint sequence = first;
        while (sequence != end)
        {
            uint index = (uint)buffers.SlotOf(sequence);
            uint inGroup = size - (index % size);
            uint take = end - sequence < inGroup ? end - sequence : inGroup;
            int group = (int)(index / size);
            Settle(buffers, group, Atomic.Add(ref buffers.GroupCounts[group], take) + take);
            sequence += take;
        }
    }

    /// <summary>
    /// The first half of counting one sequence towards its group: the add, whose result the caller holds in
    /// <paramref name="before"/> without looking at it, so that the atomic's round trip to L2 does not hold up what comes
    /// next (the forwarder's next read of host memory). <see cref="Settle"/> with <c>before + 1</c> is the second half.
    /// Returns the group.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int BeginAdd(in MegakernelBuffers buffers, uint sequence, out uint before)
    {
        int group = (int)((uint)buffers.SlotOf(sequence) / (uint)buffers.GroupSize);
        before = Atomic.Add(ref buffers.GroupCounts[group], 1u);
        return group;
    }

    /// <summary>Writes <paramref name="group"/>'s host-visible word when its count has <paramref name="reached"/> a multiple of the group size.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Settle(in MegakernelBuffers buffers, int group, uint reached)
    {
        if (reached % (uint)buffers.GroupSize == 0)
        {
            buffers.GroupDone.WriteRelease(group, reached);
        }
    }

    /// <summary>
    /// The value of a group's word once the lap of <paramref name="sequence"/> has completed in it: every earlier lap
    /// filled the group, so it has counted (lap + 1) × size slots (modulo 2^32, as the device counts).
    /// </summary>
    public static uint DoneMark(long sequence, int slotCount, int groupSize) => (uint)(((sequence / slotCount) + 1) * groupSize);
}
