namespace Vyre.Samples;

/// <summary>Handlers the main job runs: content hashes over byte ranges of the data buffer.</summary>
[Megakernel]
public static partial class HashKernels
{
    /// <summary>FNV-1a (32-bit) of bytes [arg0, arg0 + arg1); result 0 is the hash.</summary>
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

    /// <summary>Sum of bytes [arg0, arg0 + arg1) as a 64-bit value in results 0 (low) and 1 (high).</summary>
    [OpcodeHandler(0x101)]
    public static SlotStatus ByteSum(ref SlotContext slot)
    {
        SlotView<byte> data = slot.Bytes(slot.Arg(0), slot.Arg(1));
        ulong sum = 0;
        for (int i = 0; i < data.IntLength; i++)
        {
            sum += data[i];
        }

        slot.SetResult(0, (uint)sum);
        slot.SetResult(1, (uint)(sum >> 32));
        return SlotStatus.Done;
    }

    /// <summary>Fails with the detail in arg0: shows fault reporting.</summary>
    [OpcodeHandler(0x200)]
    public static SlotStatus Reject(ref SlotContext slot) => slot.Fail(slot.Arg(0));
}
