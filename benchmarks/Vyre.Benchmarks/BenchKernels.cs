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
}
