using System;
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
    private readonly Lock _gate = new();
    private long _next;
    private long _retired;

    public HostRing(uint* ring, uint* control, int slotCount)
    {
        if (!int.IsPow2(slotCount))
        {
            throw new ArgumentException($"SlotCount {slotCount} is not a power of two. Fix: use a power of two.", nameof(slotCount));
        }

        _ring = ring;
        _control = control;
        _slotCount = slotCount;
        _mask = slotCount - 1;
        _holder = new long[slotCount];
    }

    public int SlotCount => _slotCount;

    /// <summary>Sequences published so far.</summary>
    public long Published => Volatile.Read(ref _next);

    /// <summary>Sequences published and not yet retired.</summary>
    public long Outstanding
    {
        get
        {
            lock (_gate)
            {
                return _next - _retired;
            }
        }
    }

    /// <summary>
    /// Publishes <paramref name="requests"/> as consecutive sequences and rings the doorbell once;
    /// returns the first sequence. Waits (bounded) for room; on timeout nothing is written.
    /// </summary>
    public long Publish(ReadOnlySpan<SlotRequest> requests, DateTime deadline, Action<long, int> published)
    {
        var spin = new SpinWait();
        while (true)
        {
            if (TryPublish(requests, published, out long first))
            {
                return first;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The ring has no room for {requests.Length} slot(s): {Outstanding} of {_slotCount} are still outstanding. Fix: wait for earlier slots, raise MegakernelOptions.SlotCount, or check that the device loop is running (Telemetry().KernelState).");
            }

            spin.SpinOnce(sleep1Threshold: -1);
        }
    }

    /// <summary>
    /// Publishes <paramref name="requests"/> as consecutive sequences and rings the doorbell once if the
    /// ring has room for all of them; otherwise writes nothing and returns false.
    /// </summary>
    public bool TryPublish(ReadOnlySpan<SlotRequest> requests, Action<long, int> published, out long first)
    {
        lock (_gate)
        {
            if (_next + requests.Length - _retired > _slotCount)
            {
                first = -1;
                return false;
            }

            first = _next;
            for (int i = 0; i < requests.Length; i++)
            {
                Write(first + i, in requests[i]);
            }

            _next = first + requests.Length;
            Volatile.Write(ref _control[ControlWord.PublishCursor], (uint)_next);
            published(first, requests.Length);
            return true;
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
    /// Spins (bounded) until <paramref name="sequence"/>, claimed by the caller, completes; false on timeout or when
    /// <paramref name="abandon"/> turns true (the host is shutting down and the device side has stopped).
    /// </summary>
    public bool SpinUntilComplete(long sequence, DateTime deadline, ref readonly int abandon)
    {
        var spin = new SpinWait();
        int polls = 0;
        while (!IsComplete(sequence))
        {
            if ((++polls & 1023) == 0 && (DateTime.UtcNow > deadline || Volatile.Read(in abandon) != 0))
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

    /// <summary>Reads the results of a sequence the caller has claimed and seen complete (<see cref="IsComplete"/>), and retires it.</summary>
    public SlotResult Take(long sequence)
    {
        int index = Index(sequence);
        if (Volatile.Read(ref _holder[index]) != -(sequence + 1))
        {
            throw new InvalidOperationException($"Slot {sequence} is not claimed by this caller. Fix: this is a bug in Vyre; please report it.");
        }

        // The caller saw it complete; the status is read once more here, not twice (each read crosses PCIe on CUDA).
        int slotBase = Base(sequence);
        var result = new SlotResult { State = (SlotState)Volatile.Read(ref _ring[slotBase + SlotLayout.Status]) };
        result.SetWords(new ReadOnlySpan<uint>(_ring + slotBase + SlotLayout.FirstArgument, SlotLayout.ArgumentCount));
        Retire(sequence);
        return result;
    }

    /// <summary>Frees a claimed sequence's slot and advances the retired mark past every freed sequence.</summary>
    private void Retire(long sequence)
    {
        lock (_gate)
        {
            _holder[Index(sequence)] = 0;
            while (_retired < _next && Volatile.Read(ref _holder[Index(_retired)]) == 0)
            {
                _retired++;
            }
        }
    }

    private void Write(long sequence, in SlotRequest request)
    {
        uint* slot = _ring + Base(sequence);
        slot[SlotLayout.Opcode] = request.Opcode;
        slot[SlotLayout.Tenant] = request.Tenant;
        slot[SlotLayout.Priority] = request.Priority;
        ReadOnlySpan<uint> args = request.Args;
        args.CopyTo(new Span<uint>(slot + SlotLayout.FirstArgument, SlotLayout.ArgumentCount));
        Volatile.Write(ref slot[SlotLayout.Status], (uint)SlotState.Published);

        // Claimable only once PUBLISHED: a claimer must never see the previous sequence's DONE here.
        Volatile.Write(ref _holder[Index(sequence)], sequence + 1);
    }

    private int Index(long sequence) => (int)(sequence & _mask);

    private int Base(long sequence) => Index(sequence) * SlotLayout.WordCount;
}
