using System.ComponentModel;
using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime.Cuda;

namespace Vyre.Internals;

/// <summary>
/// The device side of the megakernel, specialised per megakernel through its <c>TDispatcher</c> type argument
/// in the generated entry points.
/// <para>
/// Persistent loop: warp 0 is the <em>forwarder</em>, the only warp that reads host memory while idle (FACTS.md: every
/// idle poller of host memory adds about 1.3 µs to a round trip). Its lanes 0..7 read the express line with the
/// doorbell (one 128-byte request, on CUDA), every 128th iteration lanes 8 and 9 the host's shutdown and heartbeat words in
/// the same load, and it republishes the doorbell in device memory; when a single slot arrives on an idle queue it claims it, takes its words from the
/// express line (or lanes 0..3 read its 64 bytes at once), and lane 0 runs it (the single-poller latency path; the
/// whole warp runs a warp-wide slot). Every other warp's lane 0 polls device memory
/// only, claims up to a warp of sequence numbers with one compare-exchange, and broadcasts them; the warp reads the
/// claimed slots together (on CUDA, 512 contiguous bytes per load), runs the warp-wide ones among them together, one
/// after another, then each lane runs its own (docs/warp-handlers.md); lane 0 then counts the claim towards its
/// completion groups (<see cref="CompletionGroups"/>).
/// On a grid of one warp (ILGPU's CPU accelerator) thread 0 forwards between that warp's claims.
/// </para>
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class MegakernelLoop
{
    /// <summary>Most warp widths of sequences one claim takes (<see cref="ClaimSize"/>).</summary>
    private const int MaxClaimRounds = 8;

    /// <summary>Waiting sequences per extra warp width a claim takes (<see cref="ClaimSize"/>).</summary>
    private const int SlotsPerExtraRound = 512;

    /// <summary>Idle iterations between two republishes of the metric words while slots keep arriving.</summary>
    private const int MetricsPeriod = 4096;

    /// <summary>
    /// Forwarder iterations between two housekeeping rounds: the host's shutdown and heartbeat words (on CUDA read in the
    /// same load as the express line), the device's stop word, and the counters republished. An idle iteration is one PCIe
    /// read (about 1.2 µs), so shutdown and a stale heartbeat still take effect within about 150 µs. Every 16th, one lone
    /// slot in sixteen met a housekeeping round: on the H200 (2026-12-02 11:26, both builds in one call, twice) 128 took
    /// the breakdown's doorbell leg from 1.55-1.58 to 1.23-1.29 µs p90 (2.19 to 1.86-1.91 p99) and its total p99 from
    /// 7.41-7.93 to 6.73-6.74 µs, p50 unchanged. (A try at 03:20 the same day, compared with a run on another machine, saw
    /// nothing; republishing only every 256th, housekeeping still every 16th, did not help.)
    /// </summary>
    private const uint HousekeepingPeriod = 128;

    /// <summary>The persistent loop: serves slots until SHUTDOWN, the host's stop word, or a stale heartbeat.</summary>
    public static void RunPersistent<TDispatcher>(Index1D index, MegakernelBuffers buffers)
        where TDispatcher : struct, IMegakernelDispatcher
    {
        // On a grid of more than one warp, warp 0 does nothing but forward: its lane 0 reads the doorbell over PCIe every
        // iteration, and a single slot it serves is read by four of its lanes at once (one PCIe round trip for the 64
        // bytes). On a single warp (ILGPU's CPU accelerator, where a warp's lanes must all take part in its shuffles)
        // thread 0 forwards between the warp's claims.
        bool dedicatedForwarder = Grid.DimX * Group.DimX > Warp.WarpSize;
        var forward = new ForwarderState { ClaimKnown = true };
        if (index == 0)
        {
            forward.BeatSeenAt = DeviceMemory.Now(buffers.State);
            buffers.Control.Write(ControlWord.KernelState, (uint)KernelState.Running);
            MemoryFence.SystemLevel();
        }

        WarpScratch groupScratch = GroupScratchOf<TDispatcher>(index, buffers);
        if (dedicatedForwarder && index < Warp.WarpSize)
        {
            RunForwarderWarp<TDispatcher>(buffers, forward, groupScratch);
            return;
        }

        // The room for a copy of a slot's context (SlotExecutor.Execute): cleared here once, not once per slot.
        SlotContext spill = default;
        int lane = Warp.LaneIdx;
        while (true)
        {
            if (!dedicatedForwarder)
            {
                // The grid is this one warp: thread 0 forwards, and a warp-wide slot it claims is run by the whole warp.
                uint single = 0;
                uint serve = 0;
                if (index == 0)
                {
                    bool housekeep = ++forward.Iterations % HousekeepingPeriod == 0;
                    RepublishIfDue(buffers, ref forward, housekeep);
                    ReadHostWords(buffers, housekeep, out uint shutdown, out uint beat);
                    serve = Poll(buffers, ref forward, buffers.Control.Read(ControlWord.PublishCursor), housekeep, shutdown, beat, 0, out single) ? 1u : 0u;
                }

                if (Warp.Shuffle(serve, 0) != 0)
                {
                    single = Warp.Shuffle(single, 0);
                    ServeSingle<TDispatcher>(buffers, ref forward, single, SlotWords.Read(buffers.Ring, SlotBase(buffers, single)), lane, groupScratch, ref spill);
                }
                else if (index == 0)
                {
                    SettleGroup(buffers, ref forward);
                }
            }

            uint stop = 0;
            uint first = 0;
            uint count = 0;
            if (lane == 0)
            {
                uint doorbell = buffers.State.Read(DeviceStateWord.Doorbell);
                uint claim = buffers.State.Read(DeviceStateWord.ClaimCursor);
                int available = (int)(doorbell - claim);
                if (available <= 0)
                {
                    // Only an idle warp looks at the stop word: one read less per claim on the words every warp polls. An idle
                    // warp then pauses briefly: a thousand warps polling the same two words queue at one L2 slice, and the
                    // claims of the warps that have work wait behind those reads.
                    stop = buffers.State.Read(DeviceStateWord.Stop);
                    IdlePause();
                }
                else
                {
                    uint take = ClaimSize(available, buffers.MaxClaim);
                    if (Atomic.CompareExchange(ref buffers.State.View[DeviceStateWord.ClaimCursor], claim, claim + take) == claim)
                    {
                        first = claim;
                        count = take;
                    }
                }
            }

            stop = Warp.Shuffle(stop, 0);
            first = Warp.Shuffle(first, 0);
            count = Warp.Shuffle(count, 0);
            // A claim is run a warp's width at a time, in sequence order.
            for (uint done = 0; done < count; done += (uint)Warp.WarpSize)
            {
                uint part = count - done < (uint)Warp.WarpSize ? count - done : (uint)Warp.WarpSize;
                SlotWords words = SlotWords.ReadClaim(buffers.Ring, buffers.SlotCount, first + done, part, lane);
                RunGroupSlots<TDispatcher>(buffers, first + done, part, words, lane, groupScratch, countDone: false);
                int ordinal = -1;
                if ((uint)lane < part && !IsGroupSlot<TDispatcher>(words))
                {
                    uint sequence = first + done + (uint)lane;
                    RoundTripTrace.Stamp(buffers, sequence, RoundTripTrace.Claimed);
                    ordinal = RunOne<TDispatcher>(buffers, sequence, words, ref spill);
                }

                // Counted once, by lane 0, after every lane has run its slot: one atomic per warp's width, not per slot.
                CountWarp(buffers, ordinal, lane);
                if (lane == 0)
                {
                    Counted(buffers, first + done, part);
                }
            }

            if (stop != 0 && count == 0)
            {
                break;
            }
        }

        if (index == 0)
        {
            Exit(buffers, ref forward);
        }
    }

    /// <summary>The forwarder's last words: the counters, the exit reason, then the state the host waits for.</summary>
    private static void Exit(in MegakernelBuffers buffers, ref ForwarderState forward)
    {
        SettleGroup(buffers, ref forward);
        Republish(buffers, ref forward, metrics: true);
        buffers.Control.Write(ControlWord.ExitReason, buffers.State.Read(DeviceStateWord.Stop));
        MemoryFence.SystemLevel();
        buffers.Control.Write(ControlWord.KernelState, (uint)KernelState.Exited);
        MemoryFence.SystemLevel();
    }

    /// <summary>
    /// The finite loop: thread <c>i</c> runs sequence <c>first + i</c> for <c>i &lt; count</c>, then the
    /// kernel ends. This is the relaunch-per-batch model of the seed crate, kept as a path and a baseline.
    /// </summary>
    public static void RunOnce<TDispatcher>(Index1D index, MegakernelBuffers buffers, uint first, int count)
        where TDispatcher : struct, IMegakernelDispatcher
    {
        WarpScratch groupScratch = GroupScratchOf<TDispatcher>(index, buffers);
        SlotContext spill = default;
        if (default(TDispatcher).HasGroupHandlers)
        {
            // Every launch is padded to whole groups, so the warp is all here: it runs its warp-wide slots together first.
            int lane = Warp.LaneIdx;
            int warpFirst = index.X - lane;
            uint part = count - warpFirst <= 0 ? 0u : (uint)(count - warpFirst < Warp.WarpSize ? count - warpFirst : Warp.WarpSize);
            SlotWords words = SlotWords.ReadClaim(buffers.Ring, buffers.SlotCount, first + (uint)warpFirst, part, lane);
            RunGroupSlots<TDispatcher>(buffers, first + (uint)warpFirst, part, words, lane, groupScratch, countDone: true);
            if ((uint)lane < part && !IsGroupSlot<TDispatcher>(words))
            {
                uint sequence = first + (uint)index.X;
                Counted(buffers, sequence, RunOne<TDispatcher>(buffers, sequence, words, ref spill));
            }

            return;
        }

        if (index < count)
        {
            uint sequence = first + (uint)index.X;
            Counted(buffers, sequence, RunOne<TDispatcher>(buffers, sequence, SlotWords.Read(buffers.Ring, SlotBase(buffers, sequence)), ref spill));
        }
    }

    /// <summary>
    /// The scratch of the warp of thread <paramref name="index"/> for warp-wide slots (<see cref="GroupScratch"/>); empty when
    /// the megakernel has no warp-wide handler (or the buffer has no room for this warp: its accesses then fault).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static WarpScratch GroupScratchOf<TDispatcher>(Index1D index, in MegakernelBuffers buffers)
        where TDispatcher : struct, IMegakernelDispatcher
    {
        long start = (long)(index.X / Warp.WarpSize) * GroupScratch.Words;
        if (!default(TDispatcher).HasGroupHandlers || start + GroupScratch.Words > buffers.GroupScratch.Length)
        {
            return new WarpScratch(ArrayView<uint>.Empty, buffers.GroupScratchAddress);
        }

        return new WarpScratch(buffers.GroupScratch.SubView(start, GroupScratch.Words), buffers.GroupScratchAddress + ((ulong)start * sizeof(uint)));
    }

    /// <summary>Whether the slot in <paramref name="words"/> is a warp-wide handler's (false at compile time without one).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsGroupSlot<TDispatcher>(in SlotWords words)
        where TDispatcher : struct, IMegakernelDispatcher =>
        default(TDispatcher).HasGroupHandlers && default(TDispatcher).IsGroupOpcode(words.Opcode);

    /// <summary>
    /// Runs the warp-wide slots among sequences [<paramref name="first"/>, + <paramref name="part"/>), lane <c>i</c> holding
    /// the words of <c>first + i</c>: the whole warp runs each in turn, before the lane slots of the same width (so a
    /// BATCH_FENCE among those never waits for a slot that runs after it). Lane 0 counts each towards its metric, and, when
    /// <paramref name="countDone"/>, as done (Once mode; the persistent loop counts the whole width at once).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RunGroupSlots<TDispatcher>(in MegakernelBuffers buffers, uint first, uint part, in SlotWords words, int lane, WarpScratch scratch, bool countDone)
        where TDispatcher : struct, IMegakernelDispatcher
    {
        if (!default(TDispatcher).HasGroupHandlers)
        {
            return;
        }

        uint pending = new WarpGroup(lane, default).Ballot((uint)lane < part && IsGroupSlot<TDispatcher>(words));
        while (pending != 0)
        {
            int source = System.Numerics.BitOperations.TrailingZeroCount(pending);
            pending &= pending - 1;
            uint sequence = first + (uint)source;
            int ordinal = SlotExecutor.ExecuteGroup<TDispatcher>(buffers, sequence, words.From(source), lane, scratch);
            if (lane == 0)
            {
                if (countDone)
                {
                    Counted(buffers, sequence, ordinal);
                }
                else
                {
                    Atomic.Add(ref buffers.State.View[DeviceStateWord.MetricsFirst + ordinal], 1u);
                }
            }
        }
    }

    /// <summary>
    /// Runs a single slot the forwarder claimed, whose words every lane of the warp holds: a warp-wide one on the whole
    /// warp, any other on lane 0; then lane 0 counts it and republishes the doorbell (until then no warp can claim it).
    /// A slot run on lane 0 is counted towards its completion group in two halves: the add now, and what it reached
    /// looked at after the forwarder's next read is back (<see cref="SettleGroup"/>), so that the atomic's round trip is not
    /// between the slot's status and that read.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ServeSingle<TDispatcher>(in MegakernelBuffers buffers, ref ForwarderState forward, uint sequence, in SlotWords words, int lane, WarpScratch scratch, ref SlotContext spill)
        where TDispatcher : struct, IMegakernelDispatcher
    {
        if (!IsGroupSlot<TDispatcher>(words))
        {
            // A lane's slot first, the common case (no gain of its own measured: the stamps around it read 64 ns either way).
            if (lane == 0)
            {
                int ordinal = RunOne<TDispatcher>(buffers, sequence, words, ref spill);
                SettleGroup(buffers, ref forward);
                CountedOutsideGroup(buffers, ordinal);
                forward.PendingGroup = CompletionGroups.BeginAdd(buffers, sequence, out forward.PendingBefore);
                forward.GroupPending = true;
            }
        }
        else
        {
            int ordinal = SlotExecutor.ExecuteGroupByValue<TDispatcher>(buffers, sequence, words, lane, scratch);
            if (lane == 0)
            {
                SettleGroup(buffers, ref forward);
                Counted(buffers, sequence, ordinal);
            }
        }

        if (lane == 0)
        {
            buffers.State.Write(DeviceStateWord.Doorbell, forward.Doorbell);
        }
    }

    /// <summary>
    /// The forwarder warp. On CUDA lanes 0..7 read the 128-byte express line, which ends with the doorbell
    /// (<see cref="ControlWord.ExpressFirst"/>): one PCIe request per iteration, which every 128th iteration (<see cref="HousekeepingPeriod"/>) also
    /// brings the host's shutdown and heartbeat words (lanes 8 and 9); lane 0 republishes the counters while it is in flight. Lane 0 polls with that doorbell
    /// (<see cref="Poll"/>); the single slot it claims is taken from the express line when every entry carries that slot's
    /// tag, else read by lanes 0..3, sixteen bytes each, and gathered by shuffles. Lane 0 runs it; the other lanes only
    /// take part in the reads. Only a slot the doorbell shows is ever run: the host's doorbell and its retirement rely on
    /// sequences running in doorbell order (docs/latency.md).
    /// </summary>
    private static void RunForwarderWarp<TDispatcher>(MegakernelBuffers buffers, ForwarderState forward, WarpScratch groupScratch)
        where TDispatcher : struct, IMegakernelDispatcher
    {
        int lane = Warp.LaneIdx;
        bool express = CudaAsm.IsSupported;
        // Lanes 0..7: their 16 bytes of the express line; lane 8: those holding the shutdown word; lane 9: the heartbeat's.
        int loadWord = lane < ExpressLanes ? ControlWord.ExpressFirst + (lane * 4) : (lane == ExpressLanes ? ControlWord.Shutdown : ControlWord.Heartbeat) & ~3;
        ulong loadAt = buffers.Control.Address + ((ulong)loadWord * sizeof(uint));
        SlotContext spill = default; // Cleared once here: declared in the slot's path, it was cleared on every slot.
        while (true)
        {
            // Every lane counts the iterations, so that all know which ones keep house. When it is due, lanes 8 and 9 read
            // the 16 bytes around the host's shutdown and heartbeat words in the same load as lanes 0..7 read the line:
            // read one after the other by lane 0 behind the line, they cost two more PCIe round trips in which a new slot
            // waited (the round trip's p90 and p99 tail).
            bool housekeep = ++forward.Iterations % HousekeepingPeriod == 0;
            forward.ReadsSinceAnswer++;
            ulong readIssued = RoundTripTrace.Enabled(buffers) ? DeviceMemory.GlobalTimer() : 0;
            ulong even = 0, odd = 0;
            if (express && (lane < ExpressLanes || (housekeep && lane < ExpressLanes + 2)))
            {
                SlotWords.LoadPair(loadAt, out even, out odd);
            }

            // While the line is in flight (nothing below waits for it until the shuffles).
            if (lane == 0)
            {
                RepublishIfDue(buffers, ref forward, housekeep);
            }

            // The doorbell is the low half of the line's last eight bytes (lane 7's second entry).
            uint published = express ? Warp.Shuffle((uint)odd, ExpressLanes - 1) : 0u;
            uint shutdown = 0, beat = 0;
            if (express)
            {
                shutdown = Warp.Shuffle(WordOfPair(even, odd, ControlWord.Shutdown), ExpressLanes);
                beat = Warp.Shuffle(WordOfPair(even, odd, ControlWord.Heartbeat), ExpressLanes + 1);
            }
            else if (lane == 0)
            {
                ReadHostWords(buffers, housekeep, out shutdown, out beat);
            }

            uint serve = 0;
            uint sequence = 0;
            if (lane == 0)
            {
                serve = Poll(buffers, ref forward, express ? published : buffers.Control.Read(ControlWord.PublishCursor), housekeep, shutdown, beat, readIssued, out sequence) ? 1u : 0u;
            }

            serve = Warp.Shuffle(serve, 0);
            if (serve != 0)
            {
                sequence = Warp.Shuffle(sequence, 0);
                SlotWords words;
                if (express && ExpressHolds(sequence + 1, even, odd, lane))
                {
                    words = SlotWords.FromExpress(even, odd);
                    forward.ExpressServed++;
                }
                else
                {
                    uint a = 0, b = 0, c = 0, d = 0;
                    if (lane < 4)
                    {
                        SlotWords.Load4(buffers.Ring.Address + ((ulong)(SlotBase(buffers, sequence) + (lane * 4)) * sizeof(uint)), out a, out b, out c, out d);
                    }

                    words = SlotWords.Gather(a, b, c, d);
                }

                ServeSingle<TDispatcher>(buffers, ref forward, sequence, words, lane, groupScratch, ref spill);
                forward.FirstReadServed += forward.ReadsSinceAnswer == 1 ? 1u : 0u;
                forward.ReadsSinceAnswer = 0;
            }
            else if (lane == 0)
            {
                SettleGroup(buffers, ref forward);
            }

            // The stop word (device memory) after the slot, not between its claim and its run.
            if (housekeep && Warp.Shuffle(lane == 0 ? buffers.State.Read(DeviceStateWord.Stop) : 0u, 0) != 0)
            {
                break;
            }
        }

        if (lane == 0)
        {
            Exit(buffers, ref forward);
        }
    }

    /// <summary>Lanes of the forwarder warp that read the express line (with the doorbell), sixteen bytes each.</summary>
    private const int ExpressLanes = (ControlWord.ExpressEntries + 1) / 2;

    /// <summary>The host's shutdown and heartbeat words, read one by one when <paramref name="housekeep"/> (0 otherwise): the forwarder without the express line.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ReadHostWords(in MegakernelBuffers buffers, bool housekeep, out uint shutdown, out uint beat)
    {
        shutdown = housekeep ? buffers.Control.Read(ControlWord.Shutdown) : 0u;
        beat = housekeep ? buffers.Control.Read(ControlWord.Heartbeat) : 0u;
    }

    /// <summary>Control word <paramref name="word"/> out of the 16 aligned bytes holding it, read as two 8-byte halves.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint WordOfPair(ulong even, ulong odd, int word)
    {
        ulong half = (word & 2) == 0 ? even : odd;
        return (word & 1) == 0 ? (uint)half : (uint)(half >> 32);
    }

    /// <summary>
    /// Whether every entry of the express line, as lanes 0..7 read it, carries <paramref name="tag"/> (a sequence + 1; 0
    /// never matches; lane 7's second entry is the doorbell, not an entry). Every lane calls this.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool ExpressHolds(uint tag, ulong even, ulong odd, int lane)
    {
        bool mine = lane >= ExpressLanes || ((uint)(even >> 32) == tag && (lane == ExpressLanes - 1 || (uint)(odd >> 32) == tag));
        return new WarpGroup(lane, default).All(mine) && tag != 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SlotBase(in MegakernelBuffers buffers, uint sequence) => buffers.SlotOf(sequence) * SlotLayout.WordCount;

    /// <summary>
    /// Sequences a warp claims with one compare-exchange when <paramref name="available"/> are waiting: a warp's width, and
    /// one more width per <see cref="SlotsPerExtraRound"/> waiting, up to <see cref="MaxClaimRounds"/>. Claims are the
    /// one serial step of a batch (one compare-exchange succeeds per L2 round trip, whatever the number of warps), so a
    /// deep queue is taken in fewer, larger claims; a shallow one still spreads over many warps. Never more than
    /// <paramref name="limit"/> (<c>MegakernelOptions.MaxClaim</c>), so that long slots spread over every warp.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint ClaimSize(int available, int limit)
    {
        int rounds = available / SlotsPerExtraRound;
        rounds = rounds < 1 ? 1 : rounds > MaxClaimRounds ? MaxClaimRounds : rounds;
        int take = rounds * Warp.WarpSize;
        take = take < limit ? take : limit;
        return (uint)(available < take ? available : take);
    }

    /// <summary>On CUDA, a pause of about a tenth of a microsecond (<c>nanosleep</c>); nothing elsewhere.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void IdlePause()
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("nanosleep.u32 100;");
        }
    }

    /// <summary>Runs one claimed slot; returns the metric ordinal it ran under (the caller counts it). <paramref name="spill"/>: <see cref="SlotExecutor.Execute{TDispatcher}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int RunOne<TDispatcher>(in MegakernelBuffers buffers, uint sequence, in SlotWords words, ref SlotContext spill)
        where TDispatcher : struct, IMegakernelDispatcher
    {
        RoundTripTrace.Stamp(buffers, sequence, RoundTripTrace.HeaderRead);
        int ordinal = SlotExecutor.Execute<TDispatcher>(buffers, sequence, words, ref spill);
        RoundTripTrace.Stamp(buffers, sequence, RoundTripTrace.LaneFree);
        return ordinal;
    }

    /// <summary>Counts one slot run alone (under <paramref name="ordinal"/>) as done, towards its metric and its completion group.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Counted(in MegakernelBuffers buffers, uint sequence, int ordinal)
    {
        CountedOutsideGroup(buffers, ordinal);
        CompletionGroups.Add(buffers, sequence, 1u);
    }

    /// <summary>Counts one slot run alone (under <paramref name="ordinal"/>) towards its metric and as done; its completion group is the caller's to count.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CountedOutsideGroup(in MegakernelBuffers buffers, int ordinal)
    {
        Atomic.Add(ref buffers.State.View[DeviceStateWord.MetricsFirst + ordinal], 1u);
        Atomic.Add(ref buffers.State.View[DeviceStateWord.DoneCount], 1u);
    }

    /// <summary>Counts sequences [<paramref name="first"/>, + <paramref name="count"/>), run to their end, as done and towards their completion groups.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Counted(in MegakernelBuffers buffers, uint first, uint count)
    {
        Atomic.Add(ref buffers.State.View[DeviceStateWord.DoneCount], count);
        CompletionGroups.Add(buffers, first, count);
    }

    /// <summary>
    /// Adds a warp's slots to their metric words (every lane calls this; <paramref name="ordinal"/> is -1 on a lane that
    /// ran nothing): the lanes that share lane 0's ordinal are counted by one ballot and added with one atomic, the others
    /// add their own. Also the point after which every lane of the warp has finished its slot.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CountWarp(in MegakernelBuffers buffers, int ordinal, int lane)
    {
        int leading = Warp.Shuffle(ordinal, 0);
        int same = System.Numerics.BitOperations.PopCount(new WarpGroup(lane, default).Ballot(ordinal == leading));

        if (lane == 0 && leading >= 0)
        {
            Atomic.Add(ref buffers.State.View[DeviceStateWord.MetricsFirst + leading], (uint)same);
        }
        else if (ordinal >= 0 && ordinal != leading)
        {
            Atomic.Add(ref buffers.State.View[DeviceStateWord.MetricsFirst + ordinal], 1u);
        }

        Warp.Barrier();
    }

    /// <summary>
    /// The forwarder's iteration (thread 0): housekeeping when the caller says so (<paramref name="housekeep"/>, with the
    /// host's <paramref name="shutdown"/> and <paramref name="beat"/> words it read; the caller republishes the counters,
    /// <see cref="RepublishIfDue"/>), then the host's
    /// doorbell, <paramref name="published"/> (read by the caller: with the express line on CUDA, from a read it issued at
    /// <paramref name="readIssued"/>, the global timer, when tracing). A batch is republished in device memory for the warps to claim. A single slot on an idle
    /// queue is claimed here and returned in <paramref name="sequence"/>: the caller runs it, then republishes the
    /// doorbell (until then no warp can claim it). The claim is a plain store when the forwarder knows the claim cursor
    /// (it served the last slot itself), else a compare-exchange. With long slots (<c>MegakernelOptions.MaxClaim</c> set)
    /// the forwarder serves none: while it ran one, no new slot would be seen.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Poll(in MegakernelBuffers buffers, ref ForwarderState forward, uint published, bool housekeep, uint shutdown, uint beat, ulong readIssued, out uint sequence)
    {
        sequence = 0;
        if (housekeep)
        {
            Housekeep(buffers, ref forward, shutdown, beat);
        }

        if (published == forward.Doorbell)
        {
            return false;
        }

        uint doorbell = forward.Doorbell;
        RoundTripTrace.Stamp(buffers, doorbell, RoundTripTrace.DoorbellSeen);
        RoundTripTrace.Stamp(buffers, doorbell, RoundTripTrace.ReadIssued, readIssued);
        forward.Doorbell = published;
        if (published - doorbell == 1 && buffers.ForwarderServes != 0)
        {
            if (forward.ClaimKnown)
            {
                buffers.State.Write(DeviceStateWord.ClaimCursor, doorbell + 1);
                sequence = doorbell;
                RoundTripTrace.Stamp(buffers, doorbell, RoundTripTrace.Claimed);
                return true;
            }

            if (Atomic.CompareExchange(ref buffers.State.View[DeviceStateWord.ClaimCursor], doorbell, doorbell + 1) == doorbell)
            {
                forward.ClaimKnown = true;
                sequence = doorbell;
                RoundTripTrace.Stamp(buffers, doorbell, RoundTripTrace.Claimed);
                return true;
            }
        }

        // A batch (or a slot behind unclaimed ones): the warps claim it; the claim cursor is theirs until they catch up.
        // The last lone slot's group is settled first, before any warp can count towards it.
        SettleGroup(buffers, ref forward);
        forward.ClaimKnown = false;
        buffers.State.Write(DeviceStateWord.Doorbell, published);
        MemoryFence.DeviceLevel();
        return false;
    }

    /// <summary>
    /// Settles the completion group of the last lone slot lane 0 ran, if not yet done: writes the group's word when the
    /// slot's add brought its count to a multiple of the group size (<see cref="CompletionGroups.Settle"/>). Called after the
    /// next lone slot has run (its status written), in the next iteration without a slot, before a batch is handed to the
    /// warps, and at exit: the word (a hint to the host's batch waits, docs/bulk-path.md) comes that much later than
    /// before, the next slot's run at most (a waiter that does not see it in time reads the statuses).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SettleGroup(in MegakernelBuffers buffers, ref ForwarderState forward)
    {
        if (forward.GroupPending)
        {
            forward.GroupPending = false;
            CompletionGroups.Settle(buffers, forward.PendingGroup, forward.PendingBefore + 1);
        }
    }

    /// <summary>Sets the stop word when the host's <paramref name="shutdown"/> word asks, or its heartbeat (<paramref name="beat"/>) went stale.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Housekeep(in MegakernelBuffers buffers, ref ForwarderState forward, uint shutdown, uint beat)
    {
        if (shutdown != 0)
        {
            Atomic.CompareExchange(ref buffers.State.View[DeviceStateWord.Stop], 0u, (uint)KernelExitReason.HostShutdown);
        }

        ulong now = DeviceMemory.Now(buffers.State);
        if (beat != forward.LastBeat || now < forward.BeatSeenAt)
        {
            // A new beat; or the CPU backends' millisecond clock wrapped (after 49 days), which restarts the wait.
            forward.LastBeat = beat;
            forward.BeatSeenAt = now;
        }
        else if (now - forward.BeatSeenAt > buffers.HeartbeatTimeout)
        {
            Atomic.CompareExchange(ref buffers.State.View[DeviceStateWord.Stop], 0u, (uint)KernelExitReason.HeartbeatStale);
        }
    }

    /// <summary>
    /// The counters' share of housekeeping, in the iterations that keep house (<paramref name="housekeep"/>): it needs nothing
    /// the iteration's read of host memory brings, so the forwarder warp does it while that read is in flight. After the read,
    /// its reads of device memory (two, and the metric words every <see cref="MetricsPeriod"/>th iteration) held up the
    /// doorbell of a slot that arrived in such an iteration (docs/latency.md).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RepublishIfDue(in MegakernelBuffers buffers, ref ForwarderState forward, bool housekeep)
    {
        if (housekeep)
        {
            Republish(buffers, ref forward, metrics: forward.Iterations % MetricsPeriod == 0);
        }
    }

    /// <summary>Copies the device-side counters to their host-visible control words; the forwarder is their only writer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Republish(in MegakernelBuffers buffers, ref ForwarderState forward, bool metrics)
    {
        uint done = buffers.State.Read(DeviceStateWord.DoneCount);
        if (done != forward.LastDone)
        {
            forward.LastDone = done;
            forward.MetricsStale = true;
            // No system fence between them: each word is a counter the host only reads for telemetry (which may trail), and
            // a fence here held up the forwarder for a PCIe write round trip every few slots. Exit fences them all.
            buffers.Control.Write(ControlWord.Epoch, buffers.State.Read(DeviceStateWord.Epoch));
            buffers.Control.Write(ControlWord.ExpressServed, forward.ExpressServed);
            buffers.Control.Write(ControlWord.FirstReadServed, forward.FirstReadServed);
            buffers.Control.Write(ControlWord.DoneCount, done);
        }

        if (metrics && forward.MetricsStale)
        {
            forward.MetricsStale = false;
            for (int i = 0; i < ControlWord.MetricCount; i++)
            {
                buffers.Control.Write(ControlWord.OpcodeMetricsFirst + i, buffers.State.Read(DeviceStateWord.MetricsFirst + i));
            }
        }
    }

    /// <summary>What the forwarder keeps in registers between iterations.</summary>
    private struct ForwarderState
    {
        public uint Doorbell;
        public uint LastBeat;
        public ulong BeatSeenAt;
        public uint LastDone;
        public bool MetricsStale;

        /// <summary>
        /// Loop iterations. On the forwarder warp every lane increments its own once per iteration and nothing else writes
        /// it: the lanes' shuffles rely on all of them agreeing which iterations keep house.
        /// </summary>
        public uint Iterations;

        /// <summary>Slots run from the express line (lane 0's count; republished to <see cref="ControlWord.ExpressServed"/>).</summary>
        public uint ExpressServed;

        /// <summary>Reads of the express line issued since the forwarder last served a lone slot (every lane keeps it).</summary>
        public uint ReadsSinceAnswer;

        /// <summary>
        /// Lone slots served from the first read issued after the previous one's answer (republished to
        /// <see cref="ControlWord.FirstReadServed"/>; every lane keeps it, lane 0's is published).
        /// </summary>
        public uint FirstReadServed;

        /// <summary>Whether the claim cursor equals <see cref="Doorbell"/> for sure: the forwarder served the last slot itself.</summary>
        public bool ClaimKnown;

        /// <summary>Whether the last lone slot's group add (<see cref="PendingGroup"/>, <see cref="PendingBefore"/>) awaits <see cref="SettleGroup"/>.</summary>
        public bool GroupPending;

        /// <summary>The completion group of the last lone slot lane 0 ran.</summary>
        public int PendingGroup;

        /// <summary>That group's count before the slot's add (the atomic's result, not looked at until it is settled).</summary>
        public uint PendingBefore;
    }
}
