using ILGPU;

namespace Vyre.Scan;

/// <summary>
/// The scan tool's handler. One slot per file chunk (the stream's argument words 0..3), plus
/// [4] heap word of the pattern table, [5] pattern count, [6] heap word of the histograms.
/// </summary>
[Megakernel]
public static partial class ScanKernels
{
    /// <summary>Most patterns one scan counts (one result word each after the hash).</summary>
    public const int MaxPatterns = 8;

    /// <summary>Words of one pattern in the table: its length, then one byte per word.</summary>
    public const int PatternWords = 1 + ScanPatterns.MaxLength;

    /// <summary>
    /// Result 0 = FNV-1a of the bytes the chunk owns; results 1..n = matches of each pattern that start
    /// in those bytes (they may run into the overlap); the byte histogram goes to 256 heap words at
    /// arg6 + 256 × staging index.
    /// </summary>
    [OpcodeHandler(0x200)]
    public static SlotStatus ChunkStats(ref SlotContext slot)
    {
        uint own = slot.Arg(1);
        uint readable = slot.Arg(2);
        uint table = slot.Arg(4);
        int patterns = (int)slot.Arg(5);
        ArrayView<byte> bytes = slot.Bytes(slot.Arg(0), readable);
        ArrayView<uint> histogram = slot.Words(slot.Arg(6) + (256 * slot.Arg(3)), 256);
        if (slot.HasFault)
        {
            return SlotStatus.Fault;
        }

        if (patterns > MaxPatterns)
        {
            return slot.Fail(FaultCode.BadArgument, (uint)patterns);
        }

        for (int i = 0; i < 256; i++)
        {
            histogram[i] = 0;
        }

        uint hash = 2166136261;
        for (int i = 0; i < (int)own; i++)
        {
            byte b = bytes[i];
            hash = (hash ^ b) * 16777619;
            histogram[(int)b] = histogram[(int)b] + 1;
        }

        slot.SetResult(0, hash);
        for (int p = 0; p < patterns; p++)
        {
            ArrayView<uint> pattern = slot.Words(table + (uint)(p * PatternWords), PatternWords);
            if (slot.HasFault)
            {
                return SlotStatus.Fault;
            }

            slot.SetResult(1 + p, CountMatches(bytes, (int)own, (int)readable, pattern));
        }

        return SlotStatus.Done;
    }

    private static uint CountMatches(ArrayView<byte> bytes, int own, int readable, ArrayView<uint> pattern)
    {
        int length = (int)pattern[0];
        uint count = 0;
        for (int start = 0; start < own && start + length <= readable; start++)
        {
            int k = 0;
            while (k < length && bytes[start + k] == (byte)pattern[1 + k])
            {
                k++;
            }

            if (k == length)
            {
                count++;
            }
        }

        return count;
    }
}
