using System.Runtime.CompilerServices;
using ILGPU;

namespace Vyre.Runtime.Tests;

/// <summary>Handlers the conformance suite drives.</summary>
[Megakernel]
public static partial class TestKernels
{
    /// <summary>Result 0 = FNV-1a of bytes [arg0, arg0 + arg1).</summary>
    [OpcodeHandler(0x100)]
    public static SlotStatus Fnv1a(ref SlotContext slot)
    {
        SlotView<byte> data = slot.Bytes(slot.Arg(0), slot.Arg(1));
        uint hash = 2166136261;
        for (int i = 0; i < data.IntLength; i++)
        {
            hash = (hash ^ data[i]) * 16777619;
        }

        slot.SetResult(0, hash);
        return SlotStatus.Done;
    }

    /// <summary>Result 0 = arg0 + 1 (packs into a packed slot).</summary>
    [OpcodeHandler(0x101)]
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // In place in the kernels' dispatch (the other handlers run on a copy).
    public static SlotStatus Increment(ref SlotContext slot)
    {
        slot.SetResult(0, slot.Arg(0) + 1);
        return SlotStatus.Done;
    }

    /// <summary>Counts one run of tag arg0 in heap word arg2 + arg0 % arg1 and echoes the tag in result 1.</summary>
    [OpcodeHandler(0x102)]
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // In place in the kernels' dispatch (the other handlers run on a copy).
    public static SlotStatus CountOnce(ref SlotContext slot)
    {
        uint tag = slot.Arg(0);
        SlotView<uint> word = slot.Words(slot.Arg(2) + (tag % slot.Arg(1)), 1);
        if (slot.HasFault)
        {
            return SlotStatus.Fault;
        }

        Atomic.Add(ref word[0], 1u);
        slot.SetResult(1, tag);
        return SlotStatus.Done;
    }

    /// <summary>Fails with detail arg0.</summary>
    [OpcodeHandler(0x103)]
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // In place in the kernels' dispatch (the other handlers run on a copy).
    public static SlotStatus Reject(ref SlotContext slot) => slot.Fail(slot.Arg(0));

    /// <summary>Waits until heap word arg0 is nonzero (a bounded number of polls), then completes.</summary>
    [OpcodeHandler(0x104)]
    public static SlotStatus WaitForFlag(ref SlotContext slot)
    {
        SlotView<uint> flag = slot.Words(slot.Arg(0), 1);
        if (slot.HasFault)
        {
            return SlotStatus.Fault;
        }

        return WaitUntilSet(ref slot, flag);
    }

    /// <summary>Polls <paramref name="flag"/> until it is nonzero (Done), for a bounded number of polls (then FAULT FuelExhausted).</summary>
    private static SlotStatus WaitUntilSet(ref SlotContext slot, SlotView<uint> flag)
    {
        for (int i = 0; i < int.MaxValue; i++)
        {
            if (Atomic.Add(ref flag[0], 0u) != 0)
            {
                return SlotStatus.Done;
            }
        }

        return slot.Fail(FaultCode.FuelExhausted, 0);
    }

    /// <summary>Reads an argument index past the twelve (arg0), which faults.</summary>
    [OpcodeHandler(0x105)]
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // In place in the kernels' dispatch (the other handlers run on a copy).
    public static SlotStatus ArgOutOfRange(ref SlotContext slot)
    {
        slot.SetResult(0, slot.Arg((int)slot.Arg(0)));
        return SlotStatus.Done;
    }

    /// <summary>Asks for record arg1 (arg2 bytes each) of io file arg0, read into the data buffer at arg3; result 1 = 0x600D.</summary>
    [OpcodeHandler(0x106)]
    public static SlotStatus FetchRecord(ref SlotContext slot)
    {
        uint length = slot.Arg(2);
        ulong offset = (ulong)slot.Arg(1) * length;
        slot.SetResult(1, 0x600D); // Results overwrite arguments: read them first.
        return slot.LoadMiss(slot.Arg(0), offset, length, slot.Arg(3));
    }

    /// <summary>Returns WaitIo without asking for anything, which the loop rejects.</summary>
    [OpcodeHandler(0x107)]
    public static SlotStatus WaitForNothing(ref SlotContext slot) => SlotStatus.WaitIo;

    /// <summary>Result 0 = arg1, then result 1 = Arg(0) read back (the result just written), result 5 = Arg(5).</summary>
    [OpcodeHandler(0x108)]
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // In place in the kernels' dispatch (the other handlers run on a copy).
    public static SlotStatus ReadBack(ref SlotContext slot)
    {
        slot.SetResult(0, slot.Arg(1));
        slot.SetResult(1, slot.Arg(0));
        slot.SetResult(5, slot.Arg(5) + 1);
        return SlotStatus.Done;
    }

    /// <summary>Reverses bytes [arg0, arg0 + arg1) of the data buffer in place.</summary>
    [OpcodeHandler(0x109)]
    public static SlotStatus ReverseBytes(ref SlotContext slot)
    {
        SlotView<byte> data = slot.Bytes(slot.Arg(0), slot.Arg(1));
        for (int i = 0, j = data.IntLength - 1; i < j; i++, j--)
        {
            byte swap = data[i];
            data[i] = data[j];
            data[j] = swap;
        }

        return SlotStatus.Done;
    }

    /// <summary>Result 0 = FNV-1a of arg1 bytes from heap word arg0 (a stream with StreamOptions.HeapStaging).</summary>
    [OpcodeHandler(0x10A)]
    public static SlotStatus Fnv1aHeap(ref SlotContext slot)
    {
        SlotView<byte> data = slot.Words(slot.Arg(0), (slot.Arg(1) + 3) / 4).Cast<byte>().Slice(0, slot.Arg(1));
        uint hash = 2166136261;
        for (int i = 0; i < data.IntLength; i++)
        {
            hash = (hash ^ data[i]) * 16777619;
        }

        slot.SetResult(0, hash);
        return SlotStatus.Done;
    }

    /// <summary>
    /// A stream's chunk (data offset arg0, length arg1): one whose first byte is arg4 waits until heap word arg5 is nonzero
    /// (a bounded number of polls); result 0 = the chunk's first byte (0 for an empty chunk).
    /// </summary>
    [OpcodeHandler(0x10C)]
    public static SlotStatus HoldMarkedChunk(ref SlotContext slot)
    {
        SlotView<byte> bytes = slot.Bytes(slot.Arg(0), slot.Arg(1));
        SlotView<uint> flag = slot.Words(slot.Arg(5), 1);
        if (slot.HasFault)
        {
            return SlotStatus.Fault;
        }

        uint first = bytes.IsEmpty ? 0u : bytes[0];
        slot.SetResult(0, first);
        return bytes.IsEmpty || first != slot.Arg(4) ? SlotStatus.Done : WaitUntilSet(ref slot, flag);
    }

    /// <summary>Result 0 = the tenant the slot carries.</summary>
    [OpcodeHandler(0x10B)]
    public static SlotStatus WhoAmI(ref SlotContext slot)
    {
        slot.SetResult(0, slot.Tenant);
        return SlotStatus.Done;
    }

    /// <summary>In tenant 3's window: result 0 = 0x7E.</summary>
#pragma warning disable VYR203 // Deliberately in tenant 3's window.
    [OpcodeHandler(Vyre.Opcodes.TenantWindowBase + (3 * Vyre.Opcodes.TenantWindowSize))]
#pragma warning restore VYR203
    public static SlotStatus TenantThreeOnly(ref SlotContext slot)
    {
        slot.SetResult(0, 0x7E);
        return SlotStatus.Done;
    }
}
