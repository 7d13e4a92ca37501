namespace Vyre.Scan;

/// <summary>
/// The scan tool's handler. One slot per file chunk (the stream's argument words 0..3), plus [4] heap word of the
/// rule automaton (<see cref="RuleAutomaton.ToHeapWords"/>), [5] heap word of the byte histograms (256 words per
/// staging buffer), [6] data-buffer byte offset of the result areas, [7] match capacity of one result area.
/// </summary>
[Megakernel]
public static partial class ScanKernels
{
    /// <summary>Words of a result area before its match list: the chunk's byte histogram.</summary>
    public const int HistogramWords = 256;

    /// <summary>
    /// One pass over the chunk, each byte read once (four at a time from the data buffer): result 0 = FNV-1a of the
    /// bytes the chunk owns; result 1 = matches of any rule that start in those bytes (they may run into the
    /// overlap); result 2 = how many of them are listed. The chunk's result area (staging index × (256 + capacity)
    /// words from arg6) gets the byte histogram of the owned bytes, then the rule number of each match, in the order
    /// found, up to the capacity.
    /// </summary>
    [OpcodeHandler(0x200)]
    public static SlotStatus ChunkStats(ref SlotContext slot)
    {
        int own = (int)slot.Arg(1);
        int readable = (int)slot.Arg(2);
        uint staging = slot.Arg(3);
        uint automaton = slot.Arg(4);
        int capacity = (int)slot.Arg(7);
        SlotView<byte> bytes = slot.Bytes(slot.Arg(0), (uint)readable);
        SlotView<uint> histogram = slot.Words(slot.Arg(5) + (HistogramWords * staging), HistogramWords);
        SlotView<uint> results = slot.Bytes(slot.Arg(6) + (staging * (uint)(HistogramWords + capacity) * 4), (uint)(HistogramWords + capacity) * 4).Cast<uint>();
        SlotView<uint> header = slot.Words(automaton, RuleAutomaton.HeaderWords);
        if (slot.HasFault)
        {
            return SlotStatus.Fault;
        }

        uint classes = header[(int)RuleAutomaton.HeaderWord.Classes];
        var scan = new ChunkScan
        {
            Histogram = histogram,
            Matches = results.Slice(HistogramWords, capacity),
            ClassOf = slot.Words(automaton + RuleAutomaton.HeaderWords, 256),
            Table = slot.Words(automaton + header[(int)RuleAutomaton.HeaderWord.Table], header[(int)RuleAutomaton.HeaderWord.TableWords]),
            OutputStart = slot.Words(automaton + header[(int)RuleAutomaton.HeaderWord.OutputStart], (header[(int)RuleAutomaton.HeaderWord.OutputLimit] / classes) + 1),
            OutputRules = slot.Words(automaton + header[(int)RuleAutomaton.HeaderWord.OutputRules], header[(int)RuleAutomaton.HeaderWord.OutputWords]),
            RuleLengths = slot.Words(automaton + header[(int)RuleAutomaton.HeaderWord.RuleLengths], header[(int)RuleAutomaton.HeaderWord.Rules]),
            Classes = (int)classes,
            OutputLimit = (int)header[(int)RuleAutomaton.HeaderWord.OutputLimit],
            Row = (int)header[(int)RuleAutomaton.HeaderWord.RootRow],
            Own = own,
            Capacity = capacity,
            Hash = 2166136261,
        };
        if (slot.HasFault || classes == 0)
        {
            return slot.HasFault ? SlotStatus.Fault : slot.Fail(FaultCode.BadArgument, automaton);
        }

        for (int i = 0; i < HistogramWords; i++)
        {
            histogram[i] = 0;
        }

        // Blocks of 32 bytes are read as eight words loaded before any is used: on CUDA the data buffer is
        // host memory behind PCIe, and a lane then waits for eight loads at once instead of one at a time.
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

        for (int i = 0; i < HistogramWords; i++)
        {
            results[i] = histogram[i];
        }

        slot.SetResult(0, scan.Hash);
        slot.SetResult(1, scan.Found);
        slot.SetResult(2, scan.Listed);
        return SlotStatus.Done;
    }

    /// <summary>One chunk's pass: the running hash and automaton row, the tables, and where results go.</summary>
    private struct ChunkScan
    {
        public SlotView<uint> Histogram;
        public SlotView<uint> Matches;
        public SlotView<uint> ClassOf;
        public SlotView<uint> Table;
        public SlotView<uint> OutputStart;
        public SlotView<uint> OutputRules;
        public SlotView<uint> RuleLengths;
        public int Classes;
        public int OutputLimit;
        public int Row;
        public int Own;
        public int Capacity;
        public uint Hash;
        public uint Found;
        public uint Listed;

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
                Histogram[(int)b] = Histogram[(int)b] + 1;
            }

            Row = (int)Table[Row + (int)ClassOf[(int)b]];
            if (Row < OutputLimit)
            {
                Matched(Row / Classes, i);
            }
        }

        /// <summary>Every rule that ends at byte <paramref name="i"/> in output state <paramref name="state"/>.</summary>
        private void Matched(int state, int i)
        {
            int end = (int)OutputStart[state + 1];
            for (int k = (int)OutputStart[state]; k < end; k++)
            {
                // A match ending here starts at i - length + 1: it is this chunk's if that is in its own bytes.
                uint rule = OutputRules[k];
                if (i - (int)RuleLengths[(int)rule] + 1 < Own)
                {
                    if (Listed < (uint)Capacity)
                    {
                        Matches[(int)Listed] = rule;
                        Listed++;
                    }

                    Found++;
                }
            }
        }
    }
}
