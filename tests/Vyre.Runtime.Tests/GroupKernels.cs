using System;
using ILGPU;

namespace Vyre.Runtime.Tests;

/// <summary>Warp-wide handlers (and one lane handler beside them) the group suite drives.</summary>
[Megakernel]
public static partial class GroupKernels
{
    /// <summary>
    /// Over bytes [arg0, arg0 + arg1), each lane taking every Size-th byte: result 0 = sum, 1 = max, 2 = min (255 when
    /// empty), 3 = or, 4 = the group's size, 5 = the lanes that saw a byte equal to arg2 (a ballot).
    /// </summary>
    [OpcodeHandler(0x300, Width = HandlerWidth.Warp)]
    public static SlotStatus ByteStats<TGroup>(ref SlotContext slot, ref TGroup group)
        where TGroup : struct, ISlotGroup
    {
        SlotView<byte> data = slot.Bytes(slot.Arg(0), slot.Arg(1));
        uint needle = slot.Arg(2);
        uint sum = 0, max = 0, min = 255, or = 0;
        bool seen = false;
        for (int i = group.Lane; i < data.IntLength; i += group.Size)
        {
            uint b = data[i];
            sum += b;
            max = Math.Max(max, b);
            min = Math.Min(min, b);
            or |= b;
            seen |= b == needle;
        }

        sum = group.Sum(sum);
        max = group.Max(max);
        min = group.Min(min);
        or = group.Or(or);
        uint ballot = group.Ballot(seen);
        if (group.Lane == 0)
        {
            slot.SetResult(0, sum);
            slot.SetResult(1, max);
            slot.SetResult(2, min);
            slot.SetResult(3, or);
            slot.SetResult(4, (uint)group.Size);
            slot.SetResult(5, ballot);
        }

        return SlotStatus.Done;
    }

    /// <summary>
    /// A histogram of bytes [arg0, arg0 + arg1) built in the group's scratch with atomics, then written to heap words
    /// [arg2, arg2 + 256) by all lanes; result 0 = the distinct byte values, 1 = the scratch's words before this slot wrote
    /// any, or-ed (0: scratch starts zeroed), and the scratch is left full of ones for the next slot to find.
    /// </summary>
    [OpcodeHandler(0x301, Width = HandlerWidth.Warp)]
    public static SlotStatus Histogram<TGroup>(ref SlotContext slot, ref TGroup group)
        where TGroup : struct, ISlotGroup
    {
        SlotView<uint> scratch = group.Scratch;
        uint before = 0;
        for (int i = group.Lane; i < scratch.IntLength; i += group.Size)
        {
            before |= scratch[i];
        }

        before = group.Or(before);
        SlotView<byte> data = slot.Bytes(slot.Arg(0), slot.Arg(1));
        for (int i = group.Lane; i < data.IntLength; i += group.Size)
        {
            Atomic.Add(ref scratch[data[i]], 1u);
        }

        group.Barrier();
        SlotView<uint> heap = slot.Words(slot.Arg(2), 256);
        uint distinct = 0;
        for (int i = group.Lane; i < 256; i += group.Size)
        {
            heap[i] = scratch[i];
            distinct += scratch[i] != 0 ? 1u : 0u;
        }

        distinct = group.Sum(distinct);
        group.Barrier();
        for (int i = group.Lane; i < scratch.IntLength; i += group.Size)
        {
            scratch[i] = uint.MaxValue;
        }

        if (group.Lane == 0)
        {
            slot.SetResult(0, distinct);
            slot.SetResult(1, before);
        }

        return SlotStatus.Done;
    }

    /// <summary>
    /// Lane l holds v = l * arg0 + arg1. Results from lane 0: 0 = Shuffle(v, arg2), 1 = ShuffleDown(v, 1), 2 = ShuffleXor(v,
    /// 1), 3 = Broadcast(v of lane 0), 4 = Ballot(l even), 5 = Any(l == arg3), 6 = All(v >= arg1), and from the last lane:
    /// 7 = ShuffleDown(v, 1) (its own), 8 = Shuffle(v, l + 1) (wraps to lane 0).
    /// </summary>
    [OpcodeHandler(0x302, Width = HandlerWidth.Warp)]
    public static SlotStatus Shuffles<TGroup>(ref SlotContext slot, ref TGroup group)
        where TGroup : struct, ISlotGroup
    {
        int lane = group.Lane;
        uint v = ((uint)lane * slot.Arg(0)) + slot.Arg(1);
        uint shuffled = group.Shuffle(v, (int)slot.Arg(2));
        uint down = group.ShuffleDown(v, 1);
        uint xor = group.ShuffleXor(v, 1);
        uint broadcast = group.Broadcast(v);
        uint even = group.Ballot(lane % 2 == 0);
        bool any = group.Any(lane == (int)slot.Arg(3));
        bool all = group.All(v >= slot.Arg(1));
        uint wrapped = group.Shuffle(v, lane + 1);
        if (lane == 0)
        {
            slot.SetResult(0, shuffled);
            slot.SetResult(1, down);
            slot.SetResult(2, xor);
            slot.SetResult(3, broadcast);
            slot.SetResult(4, even);
            slot.SetResult(5, any ? 1u : 0u);
            slot.SetResult(6, all ? 1u : 0u);
        }

        group.Barrier();
        if (lane == group.Size - 1)
        {
            slot.SetResult(7, down);
            slot.SetResult(8, wrapped);
        }

        return SlotStatus.Done;
    }

    /// <summary>Lane arg0 % Size fails with detail 100 + its lane; with arg1 = 1 it reads past the scratch instead.</summary>
    [OpcodeHandler(0x303, Width = HandlerWidth.Warp)]
    public static SlotStatus OneLaneFails<TGroup>(ref SlotContext slot, ref TGroup group)
        where TGroup : struct, ISlotGroup
    {
        uint total = group.Sum(1u);
        if (group.Lane == (int)(slot.Arg(0) % (uint)group.Size))
        {
            if (slot.Arg(1) == 1)
            {
                total += group.Scratch[group.Scratch.IntLength + group.Lane];
            }
            else
            {
                slot.Fail(100 + (uint)group.Lane);
            }
        }

        slot.SetResult(2, total);
        return SlotStatus.Done;
    }

    /// <summary>Lane 0 returns Fault without recording one (the slot ends HandlerFault, detail 0).</summary>
    [OpcodeHandler(0x304, Width = HandlerWidth.Warp)]
    public static SlotStatus FaultStatus<TGroup>(ref SlotContext slot, ref TGroup group)
        where TGroup : struct, ISlotGroup =>
        group.Lane == 0 ? SlotStatus.Fault : SlotStatus.Done;

    /// <summary>Returns WaitIo from every lane (a warp's slot cannot wait for io).</summary>
    [OpcodeHandler(0x305, Width = HandlerWidth.Warp)]
    public static SlotStatus WaitsForIo<TGroup>(ref SlotContext slot, ref TGroup group)
        where TGroup : struct, ISlotGroup => SlotStatus.WaitIo;

    /// <summary>Lane arg0 divides by arg1 (an exception when it is zero) before the group sums; result 0 = the sum.</summary>
    [OpcodeHandler(0x306, Width = HandlerWidth.Warp)]
    public static SlotStatus OneLaneDivides<TGroup>(ref SlotContext slot, ref TGroup group)
        where TGroup : struct, ISlotGroup
    {
        uint value = 1;
        if (group.Lane == (int)slot.Arg(0))
        {
            value = 10 / slot.Arg(1);
        }

        slot.SetResult(0, group.Sum(value));
        return SlotStatus.Done;
    }

    /// <summary>A lane handler: result 0 = arg0 * 3 + 1.</summary>
    [OpcodeHandler(0x310)]
    public static SlotStatus Lane(ref SlotContext slot)
    {
        slot.SetResult(0, (slot.Arg(0) * 3) + 1);
        return SlotStatus.Done;
    }
}
