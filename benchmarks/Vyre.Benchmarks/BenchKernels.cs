using System.Runtime.CompilerServices;

namespace Vyre.Benchmarks;

/// <summary>The megakernel the benchmarks drive: a tiny handler, a chunk handler, and one with a set amount of work.</summary>
[Megakernel]
public static partial class BenchKernels
{
    /// <summary>Result 0 = arg0 + 1. In place on the GPU (AggressiveInlining): its context stays in registers.</summary>
    [OpcodeHandler(0x100)]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static SlotStatus Increment(ref SlotContext slot)
    {
        slot.SetResult(0, slot.Arg(0) + 1);
        return SlotStatus.Done;
    }

    /// <summary>A streamed chunk's handler that touches one byte per 4 KiB page: result 0 = their sum.</summary>
    [OpcodeHandler(0x101)]
    public static SlotStatus TouchPages(ref SlotContext slot)
    {
        SlotView<byte> bytes = slot.Bytes(slot.Arg(0), slot.Arg(1));
        uint sum = 0;
        for (long i = 0; i < bytes.Length; i += 4096)
        {
            sum += bytes[i];
        }

        slot.SetResult(0, sum);
        return SlotStatus.Done;
    }

    /// <summary>A slot with work in it: arg0 steps of a linear congruential generator from arg1; result 0 = arg1 + 1, result 1 = the last value.</summary>
    [OpcodeHandler(0x102)]
    public static SlotStatus Spin(ref SlotContext slot)
    {
        uint x = slot.Arg(1);
        uint steps = slot.Arg(0);
        for (uint i = 0; i < steps; i++)
        {
            x = (x * 1664525u) + 1013904223u;
        }

        slot.SetResult(0, slot.Arg(1) + 1);
        slot.SetResult(1, x);
        return SlotStatus.Done;
    }
}
