using ILGPU;

namespace Vyre.Scan;

/// <summary>
/// The scan tool's handler. One slot per file chunk (the stream's argument words 0..3), plus
/// [4] heap word of the pattern automaton (<see cref="ScanPatterns.ToAutomaton"/>), [5] pattern count,
/// [6] heap word of the per-staging-buffer statistics, [7] automaton states.
/// </summary>
[Megakernel]
public static partial class ScanKernels
{
    /// <summary>Most patterns one scan counts (one result word and one automaton bit each).</summary>
    public const int MaxPatterns = 8;

    /// <summary>Heap words before the automaton's transition rows: the pattern lengths.</summary>
    public const int AutomatonRows = MaxPatterns;

    /// <summary>Heap words of statistics per staging buffer: the byte histogram, then one match counter per pattern.</summary>
    public const int StatsWords = 256 + MaxPatterns;

    /// <summary>
    /// One pass over the chunk, each byte read once (four at a time from the mapped data buffer): result 0 =
    /// FNV-1a of the bytes the chunk owns; results 1..n = matches of each pattern that start in those bytes
    /// (they may run into the overlap), found by the automaton; the byte histogram goes to the 256 heap words
    /// at arg6 + <see cref="StatsWords"/> × staging index.
    /// </summary>
    [OpcodeHandler(0x200)]
    public static SlotStatus ChunkStats(ref SlotContext slot)
    {
        int own = (int)slot.Arg(1);
        int readable = (int)slot.Arg(2);
        uint automaton = slot.Arg(4);
        int patterns = (int)slot.Arg(5);
        uint states = slot.Arg(7);
        ArrayView<byte> bytes = slot.Bytes(slot.Arg(0), (uint)readable);
        ArrayView<uint> stats = slot.Words(slot.Arg(6) + (StatsWords * slot.Arg(3)), StatsWords);
        ArrayView<uint> lengths = slot.Words(automaton, AutomatonRows);
        ArrayView<uint> next = slot.Words(automaton + AutomatonRows, states * 256);
        if (slot.HasFault)
        {
            return SlotStatus.Fault;
        }

        if (patterns > MaxPatterns || (patterns > 0 && states == 0))
        {
            return slot.Fail(FaultCode.BadArgument, (uint)patterns);
        }

        for (int i = 0; i < StatsWords; i++)
        {
            stats[i] = 0;
        }

        int aligned = readable & ~3;
        ArrayView<uint> words = bytes.SubView(0, aligned).Cast<uint>();
        uint word = 0;
        uint hash = 2166136261;
        int state = 0;
        for (int i = 0; i < readable; i++)
        {
            byte b;
            if (i < aligned)
            {
                if ((i & 3) == 0)
                {
                    word = words[i >> 2];
                }

                b = (byte)(word >> ((i & 3) * 8));
            }
            else
            {
                b = bytes[i];
            }

            if (i < own)
            {
                hash = (hash ^ b) * 16777619;
                stats[(int)b] = stats[(int)b] + 1;
            }

            if (patterns > 0)
            {
                uint step = next[(state * 256) + b];
                state = (int)(step & 0xFFFF);
                uint found = step >> 16;
                for (int p = 0; found != 0 && p < patterns; p++)
                {
                    // A match ending here starts at i - length + 1: it is this chunk's if that is in its own bytes.
                    if (((found >> p) & 1) != 0 && i - (int)lengths[p] + 1 < own)
                    {
                        stats[256 + p] = stats[256 + p] + 1;
                    }
                }
            }
        }

        slot.SetResult(0, hash);
        for (int p = 0; p < patterns; p++)
        {
            slot.SetResult(1 + p, stats[256 + p]);
        }

        return SlotStatus.Done;
    }
}
