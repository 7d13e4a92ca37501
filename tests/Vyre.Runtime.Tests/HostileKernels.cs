using ILGPU;

namespace Vyre.Runtime.Tests;

/// <summary>Handlers with the mistakes a user makes, for the hostile suite: each must end its slot in FAULT, never the process.</summary>
public static partial class TestKernels
{
    /// <summary>Reads byte arg2 of the view of data bytes [arg0, arg0 + arg1): past its end when arg2 ≥ arg1.</summary>
    [OpcodeHandler(0x140)]
    public static SlotStatus ReadPastView(ref SlotContext slot)
    {
        SlotView<byte> bytes = slot.Bytes(slot.Arg(0), slot.Arg(1));
        slot.SetResult(0, bytes[(int)slot.Arg(2)]);
        return SlotStatus.Done;
    }

    /// <summary>Writes heap word arg2 of the view of heap words [arg0, arg0 + arg1), with a negative index when arg3 is 1.</summary>
    [OpcodeHandler(0x141)]
    public static SlotStatus WritePastView(ref SlotContext slot)
    {
        SlotView<uint> words = slot.Words(slot.Arg(0), slot.Arg(1));
        int index = slot.Arg(3) == 1 ? -1 - (int)slot.Arg(2) : (int)slot.Arg(2);
        words[index] = 0xBAD;
        return SlotStatus.Done;
    }

    /// <summary>Asks for a data range outside the buffer, ignores the fault and writes through the empty view it got.</summary>
    [OpcodeHandler(0x142)]
    public static SlotStatus WriteThroughEmptyView(ref SlotContext slot)
    {
        SlotView<byte> bytes = slot.Bytes(uint.MaxValue - 4, 64);
        bytes[0] = 1;
        bytes[63] = 2;
        return SlotStatus.Done;
    }

    /// <summary>
    /// Writes element arg2 (negative when arg3 is 1) of data bytes [arg0, + 64) seen as 16-byte elements: wider than the
    /// slot's 8-byte sink. Result 0 = 0x600D when it returns.
    /// </summary>
    [OpcodeHandler(0x148)]
    public static SlotStatus WriteWidePastView(ref SlotContext slot)
    {
        SlotView<Wide16> wide = slot.Bytes(slot.Arg(0), 64).Cast<Wide16>();
        int index = slot.Arg(3) == 1 ? -1 - (int)slot.Arg(2) : (int)slot.Arg(2);
        wide[index] = new Wide16 { A = 0xBAD, B = 0xBAD, C = 0xBAD, D = 0xBAD };
        slot.SetResult(0, 0x600D);
        return SlotStatus.Done;
    }

    /// <summary>A 16-byte element.</summary>
    public struct Wide16
    {
        public uint A;
        public uint B;
        public uint C;
        public uint D;
    }

    /// <summary>Result 0 = arg0 / arg1 (a zero divisor on purpose).</summary>
    [OpcodeHandler(0x143)]
    public static SlotStatus Divide(ref SlotContext slot)
    {
        slot.SetResult(0, slot.Arg(0) / slot.Arg(1));
        return SlotStatus.Done;
    }

    /// <summary>Result 0 = checked(arg0 + arg1) (an overflow on purpose).</summary>
    [OpcodeHandler(0x144)]
    public static SlotStatus CheckedAdd(ref SlotContext slot)
    {
        slot.SetResult(0, checked(slot.Arg(0) + slot.Arg(1)));
        return SlotStatus.Done;
    }

    /// <summary>Reads data bytes [arg0, arg0 + arg1) as words: misaligned when arg0 is not a multiple of 4.</summary>
    [OpcodeHandler(0x145)]
    public static SlotStatus SumWords(ref SlotContext slot)
    {
        SlotView<uint> words = slot.Bytes(slot.Arg(0), slot.Arg(1)).Cast<uint>();
        uint sum = 0;
        for (int i = 0; i < words.IntLength; i++)
        {
            sum += words[i];
        }

        slot.SetResult(0, sum);
        return SlotStatus.Done;
    }

    /// <summary>Spins until data byte arg0 is nonzero, with no bound: the handler that never returns.</summary>
    [OpcodeHandler(0x146)]
    public static SlotStatus SpinUntilDataFlag(ref SlotContext slot)
    {
        SlotView<byte> flag = slot.Bytes(slot.Arg(0), 1);
        if (slot.HasFault)
        {
            return SlotStatus.Fault;
        }

        while (flag[0] == 0)
        {
            // The host writes the flag: read it again each time (a plain load in a loop may be hoisted on a GPU).
            MemoryFence.SystemLevel();
        }

        return SlotStatus.Done;
    }

    /// <summary>Typed words both ways: result 0 = −int arg0, result 1 = 2 × float arg1, results 2..3 = ulong args 2..3 + 1.</summary>
    [OpcodeHandler(0x147)]
    public static SlotStatus TypedEcho(ref SlotContext slot)
    {
        slot.SetResult(0, -slot.ArgInt32(0));
        slot.SetResult(1, slot.ArgSingle(1) * 2f);
        slot.SetResult(2, slot.ArgUInt64(2) + 1);
        return SlotStatus.Done;
    }
}
