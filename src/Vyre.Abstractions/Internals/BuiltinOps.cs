using System.ComponentModel;
using System.Runtime.CompilerServices;
using ILGPU;

namespace Vyre.Internals;

/// <summary>
/// The built-in opcodes that need only their slot and the heap (0..6). The generated dispatch tree
/// calls them like user handlers; docs/protocol.md gives their arguments.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class BuiltinOps
{
    /// <summary>NOP: completes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static SlotStatus Nop(ref SlotContext slot) => SlotStatus.Done;

    /// <summary>STORE_U32: heap[arg0] = arg1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static SlotStatus StoreU32(ref SlotContext slot)
    {
        SlotView<uint> word = slot.Words(slot.Arg(0), 1);
        if (slot.HasFault)
        {
            return SlotStatus.Fault;
        }

        word[0] = slot.Arg(1);
        return SlotStatus.Done;
    }

    /// <summary>ATOMIC_ADD: result 0 = heap[arg0]; heap[arg0] += arg1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static SlotStatus AtomicAdd(ref SlotContext slot)
    {
        SlotView<uint> word = slot.Words(slot.Arg(0), 1);
        if (slot.HasFault)
        {
            return SlotStatus.Fault;
        }

        slot.SetResult(0, Atomic.Add(ref word[0], slot.Arg(1)));
        return SlotStatus.Done;
    }

    /// <summary>LOAD_U32: result 0 = heap[arg0].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static SlotStatus LoadU32(ref SlotContext slot)
    {
        SlotView<uint> word = slot.Words(slot.Arg(0), 1);
        if (slot.HasFault)
        {
            return SlotStatus.Fault;
        }

        slot.SetResult(0, Atomic.Add(ref word[0], 0u));
        return SlotStatus.Done;
    }

    /// <summary>COMPARE_SWAP: result 0 = heap[arg0]; heap[arg0] = arg2 when it equals arg1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static SlotStatus CompareSwap(ref SlotContext slot)
    {
        SlotView<uint> word = slot.Words(slot.Arg(0), 1);
        if (slot.HasFault)
        {
            return SlotStatus.Fault;
        }

        slot.SetResult(0, Atomic.CompareExchange(ref word[0], slot.Arg(1), slot.Arg(2)));
        return SlotStatus.Done;
    }

    /// <summary>MEMCPY: copies arg2 heap words from heap[arg0] to heap[arg1]; the ranges must not overlap.</summary>
    public static SlotStatus Memcpy(ref SlotContext slot)
    {
        uint source = slot.Arg(0);
        uint target = slot.Arg(1);
        uint count = slot.Arg(2);
        SlotView<uint> from = slot.Words(source, count);
        SlotView<uint> to = slot.Words(target, count);
        if (slot.HasFault)
        {
            return SlotStatus.Fault;
        }

        if (source < target + count && target < source + count && count != 0)
        {
            return slot.Fail(FaultCode.BadArgument, target);
        }

        for (int i = 0; i < (int)count; i++)
        {
            to[i] = from[i];
        }

        return SlotStatus.Done;
    }

    /// <summary>DFA_STEP: result 0 = heap[arg0 + arg1 * 256 + (arg2 &amp; 0xFF)].</summary>
    public static SlotStatus DfaStep(ref SlotContext slot)
    {
        ulong index = slot.Arg(0) + ((ulong)slot.Arg(1) * 256) + (slot.Arg(2) & 0xFF);
        if (index > uint.MaxValue)
        {
            return slot.Fail(FaultCode.OutOfBounds, slot.Arg(1));
        }

        SlotView<uint> entry = slot.Words((uint)index, 1);
        if (slot.HasFault)
        {
            return SlotStatus.Fault;
        }

        slot.SetResult(0, entry[0]);
        return SlotStatus.Done;
    }
}
