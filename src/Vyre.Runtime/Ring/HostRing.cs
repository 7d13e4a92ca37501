using System;
using System.Diagnostics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Threading;
using Vyre.Internals;

namespace Vyre.Ring;

/// <summary>
/// The host's side of the ring: publishes slots in sequence order (payload, then PUBLISHED, then the
/// doorbell) and retires them once their results are read. Sequence <c>s</c> lives in ring slot
/// <c>s % SlotCount</c> (a power of two, so the device's 32-bit sequence numbers map to the same slot); it is
/// reused only after the sequence before it in that slot has been retired, so the host writes a slot only
/// while it is EMPTY, DONE or FAULT.
/// </summary>
/// <remarks>
/// Each ring slot records who holds the sequence living in it (<see cref="_holder"/>): free, published with
/// nobody waiting, or claimed by exactly one waiter. A result is read only by the waiter that claimed that very
/// sequence, so a stale, repeated or foreign handle can never read another slot's result or free a slot twice.
/// </remarks>
internal sealed unsafe class HostRing
{
    private readonly uint* _ring;
    private readonly uint* _control;
    private readonly int _slotCount;
    private readonly int _mask;

    /// <summary>Per ring slot: 0 free, <c>s + 1</c> sequence s published and unclaimed, <c>-(s + 1)</c> claimed by a waiter.</summary>
    private readonly long[] _holder;

    /// <summary>
    /// Per ring slot: for the first sequence <c>s</c> of a freed range, <c>s + count</c> (written by its retirer once it has
    /// cleared the holders), so the retired mark jumps over the range instead of walking its holders one by one. An entry
    /// is followed only while it lies past the mark; one from an earlier lap never does (a range is at most one lap long).
    /// </summary>
    private readonly long[] _freedEnd;
    private readonly uint* _groupDone;

    /// <summary>Per ring slot, the completion mark of a WAIT_IO slot the host finished (BATCH_FENCE reads it).</summary>
    private readonly uint* _ioCompleted;

    /// <summary>1 once the device side has stopped (<see cref="ReleaseWaiters"/>): every wait gives up.</summary>
    private int _waitersReleased;

    /// <summary>Told of results read: every FAULT (<c>vyre.slots.faulted</c>), and every DONE while a listener wants <c>vyre.slots.done</c>.</summary>
    private readonly HostMeter? _meter;
    private readonly int _groupSize;
    private readonly Lock _gate = new();

    /// <summary>Held while the doorbell is rung: doorbells and the backend's <c>OnPublished</c> calls go in sequence order.</summary>
    private readonly Lock _doorbell = new();

    /// <summary>The next sequence to reserve: [_next, _reserved) are being written by their publishers.</summary>
    private long _reserved;

    /// <summary>The doorbell: every sequence before it is written and published (written under <see cref="_doorbell"/>).</summary>
    private long _next;
    /// <summary>The retired mark: every sequence before it is retired (moved only forward, by compare-exchange, in <see cref="AdvanceRetired"/>).</summary>
    private long _retired;

    /// <summary>Set (under <see cref="_gate"/>) once the device is lost: every publish throws <see cref="DeviceLostException"/>.</summary>
    private string? _lost;
    private uint _lostDetail;

    /// <summary>Which priority level reserves next (called under <see cref="_gate"/>).</summary>
    private readonly PriorityGate _priorities;

    /// <summary>Sequences published per tenant and priority rank (<c>tenant * PriorityGate.Levels + rank</c>; written under <see cref="_gate"/>).</summary>
    private readonly long[] _publishedBy = new long[(ControlWord.TenantCount + 1) * PriorityGate.Levels];

    /// <summary>Per ring slot, the priority rank its sequence was admitted at (written by its publisher after the reservation), so retiring it frees that level's window.</summary>
    private readonly byte[] _rankOf;

    public HostRing(uint* ring, uint* control, uint* groupDone, uint* ioCompleted, int slotCount, PriorityGate? priorities = null, HostMeter? meter = null)
    {
        _ioCompleted = ioCompleted;
        _meter = meter;
        _priorities = priorities ?? new PriorityGate(slotCount, slotCount, slotCount, slotCount, int.MaxValue);
        if (!int.IsPow2(slotCount))
        {
            throw new ArgumentException($"SlotCount {slotCount} is not a power of two. Fix: use a power of two.", nameof(slotCount));
        }

        _ring = ring;
        _control = control;
        _slotCount = slotCount;
        _mask = slotCount - 1;
        _holder = new long[slotCount];
        _freedEnd = new long[slotCount];
        _rankOf = new byte[slotCount];
        _groupDone = groupDone;
        _groupSize = CompletionGroups.GroupSizeFor(slotCount);
    }

    public int SlotCount => _slotCount;

    /// <summary>The admission rules by priority.</summary>
    public PriorityGate Priorities => _priorities;

    /// <summary>The replay log being written, if any (<see cref="MegakernelHost.RecordTo"/>): one null check per publish when none.</summary>
    private ReplayRecorder? _recorder;

    /// <summary>Starts recording to <paramref name="recorder"/>; false when one records already.</summary>
    public bool TryAttach(ReplayRecorder recorder) => Interlocked.CompareExchange(ref _recorder, recorder, null) is null;

    /// <summary>Stops recording to <paramref name="recorder"/>.</summary>
    public void Detach(ReplayRecorder recorder) => Interlocked.CompareExchange(ref _recorder, null, recorder);

    /// <summary>Sequences published so far.</summary>
    public long Published => Volatile.Read(ref _next);

    /// <summary>Sequences published and not yet retired.</summary>
    public long Outstanding
    {
        get
        {
            lock (_gate)
            {
                return _reserved - Volatile.Read(ref _retired);
            }
        }
    }

    /// <summary>Whether the device side has stopped and waits give up (<see cref="ReleaseWaiters"/>).</summary>
    public bool WaitersReleased => Volatile.Read(ref _waitersReleased) != 0;

    /// <summary>Once the device side has stopped: what it did not finish never will, so every wait gives up.</summary>
    public void ReleaseWaiters() => Volatile.Write(ref _waitersReleased, 1);

    /// <summary>
    /// Publishes <paramref name="requests"/> as consecutive sequences and rings the doorbell once; returns the first
    /// sequence. Waits (bounded by <paramref name="timeout"/>) for its priority to be admitted (<see cref="PriorityGate"/>);
    /// while it waits, less urgent publishers hold back. On timeout nothing is written. The clock is read only once the
    /// first attempt fails: a publish that is admitted at once reads no clock before its doorbell. With
    /// <paramref name="owned"/>, the sequences are claimed for the caller as they are published (<see cref="TryPublishOwned"/>).
    /// </summary>
    public long Publish(ReadOnlySpan<SlotRequest> requests, TimeSpan timeout, Action<long, int> published, bool owned = false)
    {
        var source = new RequestSource(requests);
        return Publish(ref source, timeout, published, owned);
    }

    /// <summary><see cref="Publish(ReadOnlySpan{SlotRequest}, TimeSpan, Action{long, int}, bool)"/> for a batch held by any <see cref="ISlotSource"/>.</summary>
    public long Publish<TSource>(scoped ref TSource source, TimeSpan timeout, Action<long, int> published, bool owned = false)
        where TSource : ISlotSource, allows ref struct
    {
        int rank = Classify(ref source, out int tenant);
        if (TryPublish(ref source, rank, tenant, published, owned, out long first))
        {
            return first;
        }

        DateTime deadline = DateTime.UtcNow + timeout;
        _priorities.BeginWait(rank);
        try
        {
            var spin = new SpinWait();
            while (true)
            {
                spin.SpinOnce(sleep1Threshold: -1);
                if (TryPublish(ref source, rank, tenant, published, owned, out first))
                {
                    return first;
                }

                if (DateTime.UtcNow > deadline)
                {
                    SlotPriority level = PriorityGate.Level(rank);
                    throw new TimeoutException($"The ring admitted no room for {source.Count} {level} slot(s): {Outstanding} of {_slotCount} are still outstanding ({level} slots are admitted while at most {_priorities.Window(rank)} slots of that level and less urgent ones are). Fix: wait for earlier slots, raise MegakernelOptions.SlotCount (or the priority's window), or check that the device loop is running (Telemetry().KernelState).");
                }
            }
        }
        finally
        {
            _priorities.EndWait(rank);
        }
    }

    /// <summary>
    /// Publishes <paramref name="requests"/> as consecutive sequences and rings the doorbell if their priority is admitted
    /// now (<see cref="PriorityGate"/>: room in the ring and in the priority's window, no more urgent publisher waiting);
    /// otherwise writes nothing and returns false. Several threads may publish at once: each reserves its sequences under
    /// the lock, writes its slots outside it, and rings the doorbell over whatever is written (<see cref="RingDoorbell"/>;
    /// the device runs sequences in doorbell order).
    /// </summary>
    public bool TryPublish(ReadOnlySpan<SlotRequest> requests, Action<long, int> published, out long first)
    {
        var source = new RequestSource(requests);
        return TryPublish(ref source, published, out first);
    }

    /// <summary><see cref="TryPublish(ReadOnlySpan{SlotRequest}, Action{long, int}, out long)"/> for a batch held by any <see cref="ISlotSource"/>.</summary>
    public bool TryPublish<TSource>(scoped ref TSource source, Action<long, int> published, out long first)
        where TSource : ISlotSource, allows ref struct
    {
        int rank = Classify(ref source, out int tenant);
        return TryPublish(ref source, rank, tenant, published, owned: false, out first);
    }

    /// <summary>
    /// <see cref="TryPublish(ReadOnlySpan{SlotRequest}, Action{long, int}, out long)"/> for a publisher that waits for the
    /// batch itself: its holders are written claimed (nobody else knows its sequences yet), which saves the claim's
    /// compare-exchange on the lone slot's path (a locked instruction costs the host's turnaround about 14 ns: docs/latency.md).
    /// </summary>
    public bool TryPublishOwned(ReadOnlySpan<SlotRequest> requests, Action<long, int> published, out long first)
    {
        var source = new RequestSource(requests);
        int rank = Classify(ref source, out int tenant);
        return TryPublish(ref source, rank, tenant, published, owned: true, out first);
    }

    /// <summary>
    /// The priority rank a batch is admitted at and its tenant (<see cref="ISlotSource.Classify"/>); throws when the batch
    /// is larger than that rank's window, which would never admit it.
    /// </summary>
    private int Classify<TSource>(scoped ref TSource source, out int tenant)
        where TSource : ISlotSource, allows ref struct
    {
        int rank = source.Classify(out tenant);
        _priorities.ThrowIfTooLarge(rank, source.Count, source.ParameterName);
        return rank;
    }

    private bool TryPublish<TSource>(scoped ref TSource source, int rank, int tenant, Action<long, int> published, bool owned, out long first)
        where TSource : ISlotSource, allows ref struct
    {
        int count = source.Count;
        RingProfile? profile = _profile;
        long mark = profile is null ? 0 : Stopwatch.GetTimestamp();
        lock (_gate)
        {
            if (_lost is not null)
            {
                throw new DeviceLostException(_lost);
            }

            if (!_priorities.TryAdmit(rank, count, _reserved - Volatile.Read(ref _retired), _slotCount))
            {
                first = -1;
                profile?.Count(RingProfile.Refused, 1);
                profile?.Lap(RingProfile.Reserve, ref mark);
                return false;
            }

            first = _reserved;
            _reserved = first + count;
            if (tenant >= 0)
            {
                _publishedBy[(tenant * PriorityGate.Levels) + rank] += count;
            }
            else
            {
                source.CountEach(_publishedBy);
            }
        }

        if (profile is not null)
        {
            profile.Count(RingProfile.Publishes, 1);
            profile.Lap(RingProfile.Reserve, ref mark);
        }

        // The reserved sequences are this publisher's alone until it rings the doorbell: nothing below needs the lock.
        if (Volatile.Read(ref _recorder) is { } recorder)
        {
            source.Record(recorder, first);
        }

        for (int i = 0; i < count; i++)
        {
            source.Write(i, _ring + Base(first + i));
        }

        if (_expressWrites)
        {
            WriteExpress(first, count);
        }

        profile?.Lap(RingProfile.Write, ref mark);

        // Claimable only once PUBLISHED: a claimer must never see the previous sequence's DONE here. Also what marks a slot
        // written for RingDoorbell (any nonzero holder). Its rank first: a slot retired once its holder is set reads the rank
        // it was admitted at. An owned publish writes the holders claimed: its caller is their one waiter.
        for (int i = 0; i < count; i++)
        {
            long sequence = first + i;
            int index = Index(sequence);
            _rankOf[index] = (byte)rank;
            Volatile.Write(ref _holder[index], owned ? -(sequence + 1) : sequence + 1);
        }

        profile?.Lap(RingProfile.Mark, ref mark);
        RingDoorbell(published);
        profile?.Lap(RingProfile.Doorbell, ref mark);
        if (Volatile.Read(ref _lost) is not null)
        {
            // The device was lost while this publisher wrote: its slots may have come after the loss's pass.
            EndUnfinished(first, first + count, _lostDetail);
        }

        return true;
    }

    /// <summary>
    /// Whether publishers write the express line (<see cref="ControlWord.ExpressFirst"/>, <see cref="WriteExpress"/>): on for
    /// CUDA, whose forwarder runs a lone slot from it, saving a PCIe round trip. Settable for the benchmark's side-by-side rows;
    /// turned off, the line is cleared, so that no old line can ever be taken for a new slot.
    /// </summary>
    internal bool ExpressWrites
    {
        get => _expressWrites;
        set
        {
            _expressWrites = value;
            if (!value)
            {
                Volatile.Write(ref *(ulong*)(_control + ControlWord.ExpressFirst), 0UL);
            }
        }
    }

    private bool _expressWrites;

    /// <summary>Benchmark only: where the bulk path's time goes, per part (<see cref="RingProfile"/>); null, the default, measures nothing.</summary>
    internal RingProfile? Profile
    {
        get => _profile;
        set => _profile = value;
    }

    private RingProfile? _profile;

    /// <summary>
    /// After the slots' own writes, before their doorbell: a lone slot's words 1..15 go to the express line, each entry
    /// with the tag <c>sequence + 1</c> in its high half (the line's last eight bytes are the doorbell's); a batch clears
    /// the first entry's tag instead, so that a line from 2^32 sequences ago can never carry the tag the forwarder expects.
    /// Several lone publishers at once may mix their entries: the forwarder then sees no line whole and reads the slot from
    /// the ring as usual.
    /// </summary>
    private void WriteExpress(long first, int count)
    {
        ulong* entries = (ulong*)(_control + ControlWord.ExpressFirst);
        ulong tag = (ulong)(uint)(first + 1) << 32;
        if (count != 1 || tag == 0)
        {
            Volatile.Write(ref entries[0], 0UL);
            return;
        }

        // The words just written to the ring slot (still in this core's cache): the line says exactly what the slot says.
        uint* slot = _ring + Base(first);
        if (SlotLine.Accelerated)
        {
            // Four stores instead of fifteen: entries 0..7 fill the first 64-byte half; entries 8..14 take 32, 16 and 8
            // bytes of the second, whose last 8 bytes (the doorbell) are never written here.
            Vector512<uint> words = Avx512F.PermuteVar16x32(Vector512.Load(slot), SlotLine.ExpressWords);
            Vector512<ulong> tags = Vector512.Create(tag);
            Vector512<ulong> low = Avx512F.ConvertToVector512UInt64(words.GetLower()) | tags;
            Vector512<ulong> high = Avx512F.ConvertToVector512UInt64(words.GetUpper()) | tags;
            low.Store(entries);
            high.GetLower().Store(entries + 8);
            high.GetUpper().GetLower().Store(entries + 12);
            Volatile.Write(ref entries[14], high.GetElement(6));
            return;
        }

        for (int k = 0; k < ControlWord.ExpressEntries; k++)
        {
            Volatile.Write(ref entries[k], tag | slot[k + 1]);
        }
    }

    /// <summary>Sequences published so far per tenant and priority: entry <c>tenant * PriorityGate.Levels + rank</c>.</summary>
    public long[] PublishedByClass()
    {
        lock (_gate)
        {
            return (long[])_publishedBy.Clone();
        }
    }

    /// <summary>
    /// Rings the doorbell over every written sequence from the doorbell on. A slot counts as written once its holder is
    /// set (the publisher sets it last, after the status), so a publisher whose predecessors are still copying does
    /// not wait for them: it rings over what is written and leaves, and whoever finishes last rings for the rest. Every
    /// publisher rings after its own writes, so no written slot is left unrung.
    /// </summary>
    private void RingDoorbell(Action<long, int> published)
    {
        lock (_doorbell)
        {
            long from = _next;
            long to = from;
            long reserved = Volatile.Read(ref _reserved);
            while (to < reserved && Volatile.Read(ref _holder[Index(to)]) != 0)
            {
                to++;
            }

            if (to == from)
            {
                return;
            }

            Volatile.Write(ref _control[ControlWord.PublishCursor], (uint)to);
            if (_profile is { } profile)
            {
                profile.Count(RingProfile.Rings, 1);
                profile.Count(RingProfile.Scanned, to - from);
            }

            published(from, (int)(to - from));
            Volatile.Write(ref _next, to);
        }
    }

    /// <summary>
    /// After a device loss: refuses every later publish, lets publishers that had reserved finish writing (bounded), then
    /// ends every published sequence that is not DONE or FAULT in FAULT DeviceLost with <paramref name="detail"/>, so its
    /// waiter completes. Only the host writes the ring from here on. Returns how many slots it ended.
    /// </summary>
    public int Lose(string reason, uint detail)
    {
        long reserved;
        lock (_gate)
        {
            _lostDetail = detail;
            Volatile.Write(ref _lost, reason);
            reserved = _reserved;
        }

        // A publisher between its reservation and its doorbell only copies words: it finishes within microseconds. One
        // slower than the bound ends its own slots after writing them (TryPublish looks at the loss once it has rung).
        var spin = new SpinWait();
        DateTime until = DateTime.UtcNow + TimeSpan.FromSeconds(1);
        while (Volatile.Read(ref _next) < reserved && DateTime.UtcNow < until)
        {
            spin.SpinOnce(sleep1Threshold: -1);
        }

        long from;
        lock (_gate)
        {
            from = Volatile.Read(ref _retired);
        }

        return EndUnfinished(from, reserved, detail);
    }

    /// <summary>Ends every sequence in [<paramref name="from"/>, <paramref name="to"/>) that is published and not DONE or FAULT in FAULT DeviceLost.</summary>
    private int EndUnfinished(long from, long to, uint detail)
    {
        int ended = 0;
        for (long sequence = from; sequence < to; sequence++)
        {
            uint* slot = _ring + Base(sequence);
            uint state = Volatile.Read(ref slot[SlotLayout.Status]);
            long holder = Volatile.Read(ref _holder[Index(sequence)]);
            if ((holder != sequence + 1 && holder != -(sequence + 1)) || state is (uint)SlotState.Done or (uint)SlotState.Fault)
            {
                continue;
            }

            slot[SlotLayout.FirstArgument] = (uint)FaultCode.DeviceLost;
            slot[SlotLayout.FirstArgument + 1] = detail;
            Volatile.Write(ref slot[SlotLayout.Status], (uint)SlotState.Fault);
            ended++;
        }

        return ended;
    }

    /// <summary>
    /// Benchmark only (the device side's ceiling, with no host work per slot): rings the doorbell for the next
    /// <paramref name="count"/> sequences, which run whatever their ring slots hold from the lap before, and counts them
    /// as retired at once; the caller waits for them through the group words. Nothing may be outstanding, and nobody
    /// else may use the ring meanwhile.
    /// </summary>
    internal long RerunForBenchmark(int count)
    {
        lock (_doorbell)
        lock (_gate)
        {
            if (_reserved != _next || _retired != _next || count % _slotCount != 0)
            {
                throw new InvalidOperationException("Rerun needs an idle ring and whole laps. Fix: wait for every batch first.");
            }

            long first = _next;
            _reserved = _retired = first + count;

            // Like any batch: no express line may match a sequence of the rerun.
            Volatile.Write(ref *(ulong*)(_control + ControlWord.ExpressFirst), 0UL);
            Volatile.Write(ref _control[ControlWord.PublishCursor], (uint)_reserved);
            Volatile.Write(ref _next, _reserved);
            return first;
        }
    }

    /// <summary>
    /// Makes the caller the one waiter of <paramref name="sequence"/>: true when it is published, not retired and
    /// nobody claimed it before. Only the claimer may <see cref="Take"/> it.
    /// </summary>
    public bool TryClaim(long sequence) =>
        sequence >= 0 && Interlocked.CompareExchange(ref _holder[Index(sequence)], -(sequence + 1), sequence + 1) == sequence + 1;

    /// <summary>
    /// Claims the batch [<paramref name="first"/>, + <paramref name="count"/>) for one waiter with one atomic: the batch is
    /// claimed through its first sequence, and its other slots, published with it and known only through it, follow
    /// with plain stores (a compare-exchange per slot cost up to 40 % of the sustained rate on the H200).
    /// </summary>
    public bool TryClaimBatch(long first, int count)
    {
        RingProfile? profile = _profile;
        long mark = profile is null ? 0 : Stopwatch.GetTimestamp();
        bool claimed = ClaimBatch(first, count);
        profile?.Lap(RingProfile.Claim, ref mark);
        return claimed;
    }

    private bool ClaimBatch(long first, int count)
    {
        if (!TryClaim(first))
        {
            return false;
        }

        for (int i = 1; i < count; i++)
        {
            long sequence = first + i;
            ref long holder = ref _holder[Index(sequence)];
            if (Volatile.Read(ref holder) != sequence + 1)
            {
                for (int j = 0; j < i; j++)
                {
                    Unclaim(first + j);
                }

                return false;
            }

            Volatile.Write(ref holder, -(sequence + 1));
        }

        return true;
    }

    /// <summary>Gives back a claim that was not taken, so another waiter may claim the sequence.</summary>
    public void Unclaim(long sequence) =>
        Interlocked.CompareExchange(ref _holder[Index(sequence)], sequence + 1, -(sequence + 1));

    /// <summary>Whether <paramref name="sequence"/>, claimed by the caller, has reached DONE or FAULT.</summary>
    public bool IsComplete(long sequence)
    {
        uint state = Volatile.Read(ref _ring[Base(sequence) + SlotLayout.Status]);
        return state is (uint)SlotState.Done or (uint)SlotState.Fault;
    }

    /// <summary>
    /// Spins (bounded) until <paramref name="sequence"/>, claimed by the caller, completes; false on timeout or once the
    /// waiters are released (<see cref="ReleaseWaiters"/>: the device side has stopped).
    /// </summary>
    public bool SpinUntilComplete(long sequence, DateTime deadline)
    {
        var spin = new SpinWait();
        int polls = 0;
        while (!IsComplete(sequence))
        {
            if ((++polls & 1023) == 0 && (DateTime.UtcNow > deadline || WaitersReleased))
            {
                return IsComplete(sequence);
            }

            if (polls > 4096)
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }
        }

        return true;
    }

    /// <summary>
    /// Takes the result of <paramref name="sequence"/>, claimed by the caller, and retires it if it has completed (one word
    /// read when not); throws <see cref="ObjectDisposedException"/> once the waiters are released.
    /// </summary>
    public bool TryTake(long sequence, out SlotResult result)
    {
        if (WaitersReleased)
        {
            throw new ObjectDisposedException(nameof(MegakernelHost), $"The megakernel shut down before slot {sequence} was taken. Fix: finish streams before disposing the host.");
        }

        bool complete = IsComplete(sequence);
        result = complete ? Take(sequence) : default;
        return complete;
    }

    /// <summary>Reads the results of a sequence the caller has claimed and seen complete (<see cref="IsComplete"/>), and retires it.</summary>
    public SlotResult Take(long sequence)
    {
        int index = Index(sequence);
        if (Volatile.Read(ref _holder[index]) != -(sequence + 1))
        {
            throw new InvalidOperationException($"Slot {sequence} is not claimed by this caller. Fix: this is a bug in Vyre; please report it.");
        }

        // The caller saw it complete; the status is read once more here, not twice.
        var result = default(SlotResult);
        var sink = new ResultSink(new Span<SlotResult>(ref result));
        Read(sequence, 0, ref sink);
        Retire(sequence);
        return result;
    }

    /// <summary>
    /// Waits (bounded) for the claimed sequences [<paramref name="first"/>, + <paramref name="count"/>), hands their
    /// states and results to <paramref name="sink"/> in order and retires them together. Whole completion groups are
    /// waited for through their group word (one word per group instead of a status per slot); each slot's status is
    /// still read before its results. Returns <paramref name="count"/>, or, on timeout or once the waiters are released,
    /// how many leading sequences were read and retired (the rest stay claimed by the caller).
    /// </summary>
    public int TakeRange<TSink>(long first, int count, scoped ref TSink sink, DateTime deadline)
        where TSink : ISlotSink, allows ref struct
    {
        RingProfile? profile = _profile;
        long mark = profile is null ? 0 : Stopwatch.GetTimestamp();

        // The range's last whole group first: reading right behind whoever runs the slots (a CPU worker, the device) takes
        // lines it is still writing next to, and the hardware's prefetch runs further ahead into them.
        long lastGroup = ((first + count) / _groupSize * _groupSize) - _groupSize;
        if (lastGroup >= first)
        {
            WaitGroup(lastGroup, deadline);
        }

        profile?.Lap(RingProfile.WaitLastGroup, ref mark);

        int taken = 0;
        while (taken < count)
        {
            long sequence = first + taken;
            int run = Index(sequence) % _groupSize == 0 && count - taken >= _groupSize ? _groupSize : 1;
            if (run > 1)
            {
                WaitGroup(sequence, deadline);
            }

            for (int i = 0; i < run; i++, taken++)
            {
                if (!IsComplete(first + taken) && !SpinUntilComplete(first + taken, deadline))
                {
                    profile?.Lap(RingProfile.Read, ref mark);
                    RetireRange(first, taken);
                    return taken;
                }

                Read(first + taken, taken, ref sink);
            }
        }

        profile?.Lap(RingProfile.Read, ref mark);
        RetireRange(first, count);
        return count;
    }

    /// <summary>
    /// Spins until the group that starts at <paramref name="sequence"/> reports the lap of <paramref name="sequence"/>
    /// complete, or until its slots' statuses say so (the word is a hint, <see cref="CompletionGroups"/>), or until the
    /// deadline or the waiters' release; the caller reads every status afterwards either way.
    /// </summary>
    private void WaitGroup(long sequence, DateTime deadline)
    {
        uint mark = CompletionGroups.DoneMark(sequence, _slotCount, _groupSize);
        ref uint word = ref _groupDone[Index(sequence) / _groupSize];
        var spin = new SpinWait();
        int polls = 0;
        while ((int)(Volatile.Read(ref word) - mark) < 0)
        {
            if ((++polls & 1023) == 0 && (DateTime.UtcNow > deadline || WaitersReleased || IsComplete(sequence + _groupSize - 1)))
            {
                return;
            }

            if (polls > 4096)
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }
        }
    }

    /// <summary>Hands the state and result words of a sequence seen complete to <paramref name="sink"/> as its entry <paramref name="index"/>.</summary>
    private void Read<TSink>(long sequence, int index, scoped ref TSink sink)
        where TSink : ISlotSink, allows ref struct
    {
        uint* slot = _ring + Base(sequence);
        var state = (SlotState)Volatile.Read(ref slot[SlotLayout.Status]);
        sink.Take(index, state, slot + SlotLayout.FirstArgument);
        if (state == SlotState.Fault)
        {
            _meter?.Faulted(slot[SlotLayout.Opcode], (FaultCode)slot[SlotLayout.FaultCodeWord], slot[SlotLayout.Tenant], slot[SlotLayout.Priority]);
        }
        else if (_meter is { DoneEnabled: true } meter)
        {
            meter.Done(slot[SlotLayout.Opcode], slot[SlotLayout.Tenant], slot[SlotLayout.Priority]);
        }
    }

    /// <summary>LOAD_MISS: ends device sequence <paramref name="sequence"/>, which waits for io (WAIT_IO), DONE with <paramref name="bytes"/> read in its first word.</summary>
    public void FinishIoDone(uint sequence, uint bytes)
    {
        uint* slot = _ring + Base(sequence);
        slot[SlotLayout.FirstArgument] = bytes;
        FinishIo(sequence, slot, SlotState.Done);
    }

    /// <summary>LOAD_MISS: ends device sequence <paramref name="sequence"/>, which waits for io (WAIT_IO), in FAULT <paramref name="code"/> with <paramref name="detail"/>.</summary>
    public void FinishIoFault(uint sequence, FaultCode code, uint detail)
    {
        uint* slot = _ring + Base(sequence);
        slot[SlotLayout.FaultCodeWord] = (uint)code;
        slot[SlotLayout.FaultDetailWord] = detail;
        FinishIo(sequence, slot, SlotState.Fault);
    }

    /// <summary>
    /// Ends a WAIT_IO slot, which the host owns while it waits: its completion mark first (a BATCH_FENCE behind it may
    /// pass from then on), then the status, after which its waiter may read and retire it.
    /// </summary>
    private void FinishIo(uint sequence, uint* slot, SlotState state)
    {
        Volatile.Write(ref _ioCompleted[Index(sequence)], sequence + 1);
        Volatile.Write(ref slot[SlotLayout.Status], (uint)state);
    }

    /// <summary>Frees a claimed sequence's slot and advances the retired mark past every freed sequence.</summary>
    private void Retire(long sequence) => RetireRange(sequence, 1);

    /// <summary>
    /// Frees the slots of claimed sequences [<paramref name="first"/>, + <paramref name="count"/>) without the gate's lock:
    /// the range's end is recorded at its first slot (<see cref="_freedEnd"/>), its holders are cleared and its priority
    /// windows move; only the retirer that finds the retired mark at its first slot advances the mark over every freed range
    /// (<see cref="AdvanceRetired"/>). Every retirement taking the gate's lock cost 8 publishing threads a third of their time
    /// on the H200 (2026-12-02, docs/benchmarks.md); the mark now moves by compare-exchange, without the lock, which also
    /// takes two locked instructions off a lone slot's take (2026-12-03).
    /// </summary>
    private void RetireRange(long first, int count)
    {
        if (count == 0)
        {
            return;
        }

        RingProfile? profile = _profile;
        long mark = profile is null ? 0 : Stopwatch.GetTimestamp();

        Span<int> byRank = stackalloc int[PriorityGate.Levels];
        for (int i = 0; i < count; i++)
        {
            // The rank first: once the holder is clear, the slot may be retired by another thread and published again.
            int index = Index(first + i);
            byRank[_rankOf[index]]++;
            Volatile.Write(ref _holder[index], 0);
        }

        // The end last: the mark may pass the range (and publishers reuse its slots) as soon as it is seen.
        Volatile.Write(ref _freedEnd[Index(first)], first + count);
        for (int rank = 0; rank < byRank.Length; rank++)
        {
            if (byRank[rank] != 0)
            {
                _priorities.Retired(rank, byRank[rank]);
            }
        }

        profile?.Lap(RingProfile.RetireClear, ref mark);

        // The mark over this range if it stands at its first slot: a compare-exchange, a full fence whether or not it moves
        // the mark. A walker that stopped at this range before its end was recorded published the mark at its first slot
        // before this compare-exchange (which then moves it), or sees the end when it looks again after its own. One locked
        // instruction where a fence and a read, then the walk's compare-exchange, were two (2026-12-03).
        if (Interlocked.CompareExchange(ref _retired, first + count, first) == first)
        {
            AdvanceRetired(first + count);
        }

        profile?.Lap(RingProfile.RetireMark, ref mark);
    }

    /// <summary>
    /// Moves the retired mark from <paramref name="from"/> over every freed range, one step per range (<see cref="_freedEnd"/>:
    /// the mark always stands at the first sequence of a range, since ranges retire whole and the mark moves by whole
    /// ranges), and publishes the walk with one compare-exchange from where it started; then looks once more at the range
    /// it stopped at, after that compare-exchange's full fence, so that a range freed while it walked is passed by it or by
    /// its own retirer (<see cref="RetireRange"/>). Walkers may run at once: one whose compare-exchange fails stops, since
    /// the mark has moved past its start and whoever moved it looks again after its own. An end read from a later lap of a
    /// slot (the mark passed it meanwhile) is never published: the mark is no longer at the walk's start. Bounded by the
    /// recorded ends alone, not by the doorbell: a range may be retired between the doorbell's write to the device and
    /// <see cref="_next"/>'s.
    /// </summary>
    private void AdvanceRetired(long from)
    {
        while (true)
        {
            long retired = from;
            long end;
            while ((end = Volatile.Read(ref _freedEnd[Index(retired)])) > retired)
            {
                retired = end;
            }

            if (retired == from || Interlocked.CompareExchange(ref _retired, retired, from) != from)
            {
                return;
            }

            if (Volatile.Read(ref _freedEnd[Index(retired)]) <= retired)
            {
                return;
            }

            from = retired;
        }
    }

    private int Index(long sequence) => (int)(sequence & _mask);

    private int Base(long sequence) => Index(sequence) * SlotLayout.WordCount;
}
