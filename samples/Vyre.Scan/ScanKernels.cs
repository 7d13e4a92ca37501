using System.Runtime.CompilerServices;
using ILGPU;

namespace Vyre.Scan;

/// <summary>
/// The scan tool's handler. One slot per file chunk (the stream's argument words 0..3), plus [4] heap word of the
/// rule automaton (<see cref="RuleAutomaton.Words"/>), [5] heap word of the byte histograms (256 words per
/// staging buffer), [6] data-buffer byte offset of the result areas, [7] match capacity of one result area,
/// [8] flags (<see cref="WithStats"/>, <see cref="InHeap"/>).
/// </summary>
[Megakernel]
public static partial class ScanKernels
{
    /// <summary>Words of a result area before its match list: the chunk's byte histogram.</summary>
    public const int HistogramWords = 256;

    /// <summary>Flag of argument 8: compute the content hash and byte histogram (else only matches).</summary>
    public const uint WithStats = 1;

    /// <summary>Flag of argument 8: the chunk is in the heap (argument 0 is its first heap word; <c>StreamOptions.HeapStaging</c>).</summary>
    public const uint InHeap = 2;

    /// <summary>Bytes a walk takes per round of loads: eight words.</summary>
    private const int Block = 32;

    /// <summary>
    /// Result 0 = FNV-1a of the bytes the chunk owns (with <see cref="WithStats"/>); result 1 = matches of any rule that
    /// start in those bytes (they may run into the overlap); result 2 = how many of them are listed. The chunk's result
    /// area (staging index × (256 + capacity) words from arg6) gets the byte histogram of the owned bytes, then the rule
    /// number of each match, in no particular order, up to the capacity.
    /// </summary>
    /// <remarks>
    /// The owned bytes are cut in four parts walked together, each by its own automaton state from the part's start to
    /// its end plus the longest rule less one: four table lookups in flight instead of one chain, and on CUDA 128 bytes
    /// of loads in flight per round. A walk finds only matches that start in or after its part, and counts those that
    /// start in it. On the CPU backends the walk's methods are compiled by the JIT at full optimisation on first call
    /// (AggressiveOptimization), never from the ReadyToRun image the published tool carries: precompiled code cannot inline
    /// <see cref="SlotView{T}"/>'s indexer from another assembly, and walked half as fast (measured, docs/benchmarks.md).
    /// </remarks>
    [OpcodeHandler(0x200)]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static SlotStatus ChunkStats(ref SlotContext slot)
    {
        if (!TryOpen(ref slot, out ChunkJob job))
        {
            return SlotStatus.Fault;
        }

        uint hash = 2166136261;
        if (job.Stats)
        {
            SlotView<uint> histogram = slot.Words(slot.Arg(5) + (HistogramWords * slot.Arg(3)), HistogramWords);
            hash = Stats(job.Bytes, job.Own, histogram);
            for (int i = 0; i < HistogramWords; i++)
            {
                job.Results[i] = histogram[i];
            }
        }

        WalkRange(ref job.Scan, job.Bytes, 0, job.Own, job.Readable, job.Reach, job.Root);
        slot.SetResult(0, hash);
        slot.SetResult(1, job.Scan.Found);
        slot.SetResult(2, job.Scan.Listed);
        return SlotStatus.Done;
    }

    /// <summary>
    /// <see cref="ChunkStats"/> run by a whole warp (the scan's handler on CUDA): the chunk's owned bytes are cut in one range
    /// per lane, each walked as <see cref="ChunkStats"/> walks a chunk (four interleaved walks), so a warp has 128 table
    /// lookups in flight instead of four; matches go to the one list through a cursor in the group's scratch. With
    /// <see cref="WithStats"/> every lane adds its words to a histogram in the scratch, and lane 0 hashes the owned bytes
    /// (FNV-1a is a chain: it stays on one lane). The same arguments and results as <see cref="ChunkStats"/>.
    /// </summary>
    [OpcodeHandler(0x201, Width = HandlerWidth.Warp)]
    public static SlotStatus ChunkStatsWarp<TGroup>(ref SlotContext slot, ref TGroup group)
        where TGroup : struct, ISlotGroup
    {
        bool opened = TryOpen(ref slot, out ChunkJob job);
        if (!group.All(opened))
        {
            return SlotStatus.Fault;
        }

        // Scratch word 0: the match list's cursor; words 1..256: the histogram (the scratch starts zeroed).
        SlotView<uint> scratch = group.Scratch;
        job.Scan.ListCursor = scratch.Slice(0, 1);
        SlotView<uint> histogram = scratch.Slice(1, HistogramWords);
        uint hash = 2166136261;
        if (job.Stats)
        {
            SlotView<uint> words = job.Bytes.Slice(0, job.Own / 4 * 4).Cast<uint>();
            for (int w = group.Lane; w < words.IntLength; w += group.Size)
            {
                uint word = words[w];
                Atomic.Add(ref histogram[(int)(word & 0xFF)], 1u);
                Atomic.Add(ref histogram[(int)((word >> 8) & 0xFF)], 1u);
                Atomic.Add(ref histogram[(int)((word >> 16) & 0xFF)], 1u);
                Atomic.Add(ref histogram[(int)(word >> 24)], 1u);
            }

            for (int i = (job.Own / 4 * 4) + group.Lane; i < job.Own; i += group.Size)
            {
                Atomic.Add(ref histogram[job.Bytes[i]], 1u);
            }

            if (group.Lane == 0)
            {
                hash = Hash(job.Bytes, job.Own);
            }
        }

        int range = job.Own / group.Size / Block * Block;
        int start = group.Lane * range;
        int end = group.Lane == group.Size - 1 ? job.Own : start + range;
        WalkRange(ref job.Scan, job.Bytes, start, end, job.Readable, job.Reach, job.Root);
        uint found = group.Sum(job.Scan.Found);
        group.Barrier();
        if (job.Stats)
        {
            for (int i = group.Lane; i < HistogramWords; i += group.Size)
            {
                job.Results[i] = histogram[i];
            }
        }

        if (group.Lane == 0)
        {
            uint listed = scratch[0];
            slot.SetResult(0, hash);
            slot.SetResult(1, found);
            slot.SetResult(2, listed < (uint)job.Scan.Capacity ? listed : (uint)job.Scan.Capacity);
        }

        return SlotStatus.Done;
    }

    /// <summary>Reads the slot's arguments into views of the chunk, its result area and the automaton; false (a fault recorded) when one is out of range.</summary>
    private static bool TryOpen(ref SlotContext slot, out ChunkJob job)
    {
        job = default;
        int readable = (int)slot.Arg(2);
        uint staging = slot.Arg(3);
        uint automaton = slot.Arg(4);
        int capacity = (int)slot.Arg(7);
        uint flags = slot.Arg(8);
        job.Own = (int)slot.Arg(1);
        job.Readable = readable;
        job.Stats = (flags & WithStats) != 0;
        job.Bytes = (flags & InHeap) != 0
            ? slot.Words(slot.Arg(0), ((uint)readable + 3) / 4).Cast<byte>().Slice(0, readable)
            : slot.Bytes(slot.Arg(0), (uint)readable);
        job.Results = slot.Bytes(slot.Arg(6) + (staging * (uint)(HistogramWords + capacity) * 4), (uint)(HistogramWords + capacity) * 4).Cast<uint>();
        SlotView<uint> header = slot.Words(automaton, RuleAutomaton.HeaderWords);
        if (slot.HasFault)
        {
            return false;
        }

        uint classes = header[(int)RuleAutomaton.HeaderWord.Classes];
        job.Scan = new ChunkScan
        {
            Matches = job.Results.Slice(HistogramWords, capacity),
            ClassOf = slot.Words(automaton + RuleAutomaton.HeaderWords, 256),
            Table = slot.Words(automaton + header[(int)RuleAutomaton.HeaderWord.Table], header[(int)RuleAutomaton.HeaderWord.TableWords]),
            OutputStart = slot.Words(automaton + header[(int)RuleAutomaton.HeaderWord.OutputStart], (header[(int)RuleAutomaton.HeaderWord.OutputLimit] / classes) + 1),
            OutputRules = slot.Words(automaton + header[(int)RuleAutomaton.HeaderWord.OutputRules], header[(int)RuleAutomaton.HeaderWord.OutputWords]),
            RuleLengths = slot.Words(automaton + header[(int)RuleAutomaton.HeaderWord.RuleLengths], header[(int)RuleAutomaton.HeaderWord.Rules]),
            Classes = (int)classes,
            OutputLimit = (int)header[(int)RuleAutomaton.HeaderWord.OutputLimit],
            Capacity = capacity,
        };
        job.Root = (int)header[(int)RuleAutomaton.HeaderWord.RootRow];
        job.Reach = (int)header[(int)RuleAutomaton.HeaderWord.LongestRule] - 1;
        if (slot.HasFault || classes == 0)
        {
            if (!slot.HasFault)
            {
                slot.Fail(FaultCode.BadArgument, automaton);
            }

            return false;
        }

        return true;
    }

    /// <summary>
    /// Walks owned bytes [<paramref name="start"/>, <paramref name="end"/>) (start a multiple of the block) as four parts
    /// walked together, each by its own automaton row from the part's start to its end plus <paramref name="reach"/> (at
    /// most <paramref name="readable"/>): four independent table lookups in flight instead of one dependent chain. A walk
    /// finds only matches that start in its part or after, and counts those that start in it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WalkRange(ref ChunkScan scan, SlotView<byte> bytes, int start, int end, int readable, int reach, int root)
    {
        // Four parts of `part` bytes (a multiple of the block), the last one taking the rest.
        int part = (end - start) / 4 / Block * Block;
        SlotView<uint> table = scan.Table;
        SlotView<uint> classOf = scan.ClassOf;
        int limit = scan.OutputLimit;
        int r0 = root, r1 = root, r2 = root, r3 = root;
        int s0 = start, s1 = start + part, s2 = start + (2 * part), s3 = start + (3 * part);
        SlotView<uint> words = bytes.Slice(0, readable / 4 * 4).Cast<uint>();
        for (int k = 0; k < part; k += Block)
        {
            int a0 = (s0 + k) / 4;
            int a1 = (s1 + k) / 4;
            int a2 = (s2 + k) / 4;
            int a3 = (s3 + k) / 4;
            for (int q = 0; q < Block / 4; q += 4)
            {
                // Sixteen loads before any is used, then four independent automaton chains stepped in turn.
                uint x0 = words[a0 + q], x1 = words[a1 + q], x2 = words[a2 + q], x3 = words[a3 + q];
                uint y0 = words[a0 + q + 1], y1 = words[a1 + q + 1], y2 = words[a2 + q + 1], y3 = words[a3 + q + 1];
                uint z0 = words[a0 + q + 2], z1 = words[a1 + q + 2], z2 = words[a2 + q + 2], z3 = words[a3 + q + 2];
                uint v0 = words[a0 + q + 3], v1 = words[a1 + q + 3], v2 = words[a2 + q + 3], v3 = words[a3 + q + 3];
                int at = k + (q * 4);
                Step4(ref scan, table, classOf, limit, ref r0, ref r1, ref r2, ref r3, x0, x1, x2, x3, at, s0, part, end);
                Step4(ref scan, table, classOf, limit, ref r0, ref r1, ref r2, ref r3, y0, y1, y2, y3, at + 4, s0, part, end);
                Step4(ref scan, table, classOf, limit, ref r0, ref r1, ref r2, ref r3, z0, z1, z2, z3, at + 8, s0, part, end);
                Step4(ref scan, table, classOf, limit, ref r0, ref r1, ref r2, ref r3, v0, v1, v2, v3, at + 12, s0, part, end);
            }
        }

        var w0 = new Walk { Row = r0, At = s1, End = s1 };
        var w1 = new Walk { Row = r1, At = s2, End = s2 };
        var w2 = new Walk { Row = r2, At = s3, End = s3 };
        var w3 = new Walk { Row = r3, At = s3 + part, End = end };

        // Each walk's rest: part 3's tail, and every part's run into the next (or past the range) for rules that start in it.
        scan.Rest(ref w0, bytes, IntMin(s1 + reach, readable));
        scan.Rest(ref w1, bytes, IntMin(s2 + reach, readable));
        scan.Rest(ref w2, bytes, IntMin(s3 + reach, readable));
        scan.Rest(ref w3, bytes, IntMin(end + reach, readable));
    }

    private static int IntMin(int a, int b) => a < b ? a : b;

    /// <summary>
    /// One word of each of the four walks, byte by byte: chain p is at byte <paramref name="at"/> of its part (parts of
    /// <paramref name="part"/> bytes from <paramref name="first"/>; the last one ends at <paramref name="end"/>). Rows stay
    /// in registers; a match is rare.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step4(ref ChunkScan scan, in SlotView<uint> table, in SlotView<uint> classOf, int limit, ref int r0, ref int r1, ref int r2, ref int r3, uint x0, uint x1, uint x2, uint x3, int at, int first, int part, int end)
    {
        for (int shift = 0; shift < 32; shift += 8)
        {
            r0 = (int)table[r0 + (int)classOf[(int)((x0 >> shift) & 0xFF)]];
            r1 = (int)table[r1 + (int)classOf[(int)((x1 >> shift) & 0xFF)]];
            r2 = (int)table[r2 + (int)classOf[(int)((x2 >> shift) & 0xFF)]];
            r3 = (int)table[r3 + (int)classOf[(int)((x3 >> shift) & 0xFF)]];
            if (r0 < limit || r1 < limit || r2 < limit || r3 < limit)
            {
                int i = first + at + (shift / 8);
                scan.Any(r0, i, first + part);
                scan.Any(r1, part + i, first + (2 * part));
                scan.Any(r2, (2 * part) + i, first + (3 * part));
                scan.Any(r3, (3 * part) + i, end);
            }
        }
    }

    /// <summary>FNV-1a of the first <paramref name="own"/> bytes, and their histogram into <paramref name="histogram"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static uint Stats(SlotView<byte> bytes, int own, SlotView<uint> histogram)
    {
        for (int i = 0; i < HistogramWords; i++)
        {
            histogram[i] = 0;
        }

        uint hash = 2166136261;
        int blocks = own / Block;
        SlotView<uint> words = bytes.Slice(0, blocks * Block).Cast<uint>();
        for (int k = 0; k < blocks; k++)
        {
            int w = k * 8;
            uint w0 = words[w], w1 = words[w + 1], w2 = words[w + 2], w3 = words[w + 3];
            uint w4 = words[w + 4], w5 = words[w + 5], w6 = words[w + 6], w7 = words[w + 7];
            hash = Word(hash, w0, histogram);
            hash = Word(hash, w1, histogram);
            hash = Word(hash, w2, histogram);
            hash = Word(hash, w3, histogram);
            hash = Word(hash, w4, histogram);
            hash = Word(hash, w5, histogram);
            hash = Word(hash, w6, histogram);
            hash = Word(hash, w7, histogram);
        }

        for (int i = blocks * Block; i < own; i++)
        {
            hash = Byte(hash, bytes[i], histogram);
        }

        return hash;
    }

    /// <summary>FNV-1a of the first <paramref name="own"/> bytes (no histogram).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static uint Hash(SlotView<byte> bytes, int own)
    {
        uint hash = 2166136261;
        int words = own / 4;
        SlotView<uint> packed = bytes.Slice(0, words * 4).Cast<uint>();
        for (int w = 0; w < words; w++)
        {
            uint word = packed[w];
            hash = (hash ^ (word & 0xFF)) * 16777619;
            hash = (hash ^ ((word >> 8) & 0xFF)) * 16777619;
            hash = (hash ^ ((word >> 16) & 0xFF)) * 16777619;
            hash = (hash ^ (word >> 24)) * 16777619;
        }

        for (int i = words * 4; i < own; i++)
        {
            hash = (hash ^ bytes[i]) * 16777619;
        }

        return hash;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Word(uint hash, uint word, in SlotView<uint> histogram)
    {
        hash = Byte(hash, (byte)word, histogram);
        hash = Byte(hash, (byte)(word >> 8), histogram);
        hash = Byte(hash, (byte)(word >> 16), histogram);
        return Byte(hash, (byte)(word >> 24), histogram);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Byte(uint hash, byte b, in SlotView<uint> histogram)
    {
        histogram[(int)b]++;
        return (hash ^ b) * 16777619;
    }

    /// <summary>One walk: its automaton row, the next byte it reads, and the end of the bytes whose matches it counts.</summary>
    private struct Walk
    {
        public int Row;
        public int At;
        public int End;
    }

    /// <summary>A chunk's slot as <see cref="TryOpen"/> read it.</summary>
    private struct ChunkJob
    {
        public SlotView<byte> Bytes;
        public SlotView<uint> Results;
        public ChunkScan Scan;
        public int Own;
        public int Readable;
        public int Reach;
        public int Root;
        public bool Stats;
    }

    /// <summary>The tables and where matches go.</summary>
    private struct ChunkScan
    {
        public SlotView<uint> Matches;

        /// <summary>The match list's cursor when a group shares the list (a word of its scratch); empty on a lane of its own.</summary>
        public SlotView<uint> ListCursor;
        public SlotView<uint> ClassOf;
        public SlotView<uint> Table;
        public SlotView<uint> OutputStart;
        public SlotView<uint> OutputRules;
        public SlotView<uint> RuleLengths;
        public int Classes;
        public int OutputLimit;
        public int Capacity;
        public uint Found;
        public uint Listed;

        /// <summary>The matches ending at byte <paramref name="i"/> when <paramref name="row"/> is an output state's.</summary>
        public void Any(int row, int i, int end)
        {
            if (row < OutputLimit)
            {
                Matched(row / Classes, i, end);
            }
        }

        /// <summary>Walks <paramref name="walk"/> on byte by byte up to <paramref name="end"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Rest(ref Walk walk, SlotView<byte> bytes, int end)
        {
            while (walk.At < end)
            {
                Step(ref walk, bytes[walk.At]);
            }
        }

        private void Step(ref Walk walk, byte b)
        {
            walk.Row = (int)Table[walk.Row + (int)ClassOf[(int)b]];
            if (walk.Row < OutputLimit)
            {
                Matched(walk.Row / Classes, walk.At, walk.End);
            }

            walk.At++;
        }

        /// <summary>Every rule that ends at byte <paramref name="i"/> in output state <paramref name="state"/>.</summary>
        private void Matched(int state, int i, int end)
        {
            int last = (int)OutputStart[state + 1];
            for (int k = (int)OutputStart[state]; k < last; k++)
            {
                // A match ending here starts at i - length + 1: the walk counts it if that is before its end.
                uint rule = OutputRules[k];
                if (i - (int)RuleLengths[(int)rule] + 1 < end)
                {
                    if (!ListCursor.IsEmpty)
                    {
                        uint at = Atomic.Add(ref ListCursor[0], 1u);
                        if (at < (uint)Capacity)
                        {
                            Matches[(int)at] = rule;
                        }
                    }
                    else if (Listed < (uint)Capacity)
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
