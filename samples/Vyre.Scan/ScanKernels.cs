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
        SlotView<byte> bytes = slot.Bytes(slot.Arg(0), (uint)readable);
        SlotView<uint> stats = slot.Words(slot.Arg(6) + (StatsWords * slot.Arg(3)), StatsWords);
        SlotView<uint> lengths = slot.Words(automaton, AutomatonRows);
        SlotView<uint> next = slot.Words(automaton + AutomatonRows, states * 256);
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

        // Blocks of 32 bytes are read as eight words loaded before any is used: on CUDA the data buffer is
        // host memory behind PCIe, and a lane then waits for eight loads at once instead of one at a time.
        var scan = new ChunkScan { Stats = stats, Next = next, Lengths = lengths, Own = own, Patterns = patterns, Hash = 2166136261 };
        int blocks = readable / 32;
        SlotView<uint> words = bytes.Slice(0, blocks * 32).Cast<uint>();
        for (int k = 0; k < blocks; k++)
        {
            int w = k * 8;
            uint w0 = words[w];
            uint w1 = words[w + 1];
            uint w2 = words[w + 2];
            uint w3 = words[w + 3];
            uint w4 = words[w + 4];
            uint w5 = words[w + 5];
            uint w6 = words[w + 6];
            uint w7 = words[w + 7];
            int at = k * 32;
            scan.Word(w0, at);
            scan.Word(w1, at + 4);
            scan.Word(w2, at + 8);
            scan.Word(w3, at + 12);
            scan.Word(w4, at + 16);
            scan.Word(w5, at + 20);
            scan.Word(w6, at + 24);
            scan.Word(w7, at + 28);
        }

        for (int i = blocks * 32; i < readable; i++)
        {
            scan.Byte(bytes[i], i);
        }

        uint hash = scan.Hash;
        slot.SetResult(0, hash);
        for (int p = 0; p < patterns; p++)
        {
            slot.SetResult(1 + p, stats[256 + p]);
        }

        return SlotStatus.Done;
    }

    /// <summary>One chunk's pass: the running hash and automaton state, and where counts go.</summary>
    private struct ChunkScan
    {
        public SlotView<uint> Stats;
        public SlotView<uint> Next;
        public SlotView<uint> Lengths;
        public int Own;
        public int Patterns;
        public uint Hash;
        public int State;

        /// <summary>The four bytes of a little-endian word from byte index <paramref name="at"/>.</summary>
        public void Word(uint word, int at)
        {
            Byte((byte)word, at);
            Byte((byte)(word >> 8), at + 1);
            Byte((byte)(word >> 16), at + 2);
            Byte((byte)(word >> 24), at + 3);
        }

        /// <summary>Byte <paramref name="i"/> of the chunk: hash and histogram if the chunk owns it, then one automaton step.</summary>
        public void Byte(byte b, int i)
        {
            if (i < Own)
            {
                Hash = (Hash ^ b) * 16777619;
                Stats[(int)b] = Stats[(int)b] + 1;
            }

            if (Patterns == 0)
            {
                return;
            }

            uint step = Next[(State * 256) + b];
            State = (int)(step & 0xFFFF);
            uint found = step >> 16;
            for (int p = 0; found != 0 && p < Patterns; p++)
            {
                // A match ending here starts at i - length + 1: it is this chunk's if that is in its own bytes.
                if (((found >> p) & 1) != 0 && i - (int)Lengths[p] + 1 < Own)
                {
                    Stats[256 + p] = Stats[256 + p] + 1;
                }
            }
        }
    }
}
