namespace Vyre.Benchmarks;

/// <summary>The megakernel the benchmarks drive: one tiny handler.</summary>
[Megakernel]
public static partial class BenchKernels
{
    /// <summary>Result 0 = arg0 + 1.</summary>
    [OpcodeHandler(0x100)]
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
}
