using System;
using System.Diagnostics;
using System.Threading;

namespace Vyre;

/// <summary>
/// The host's side of the ring: publishes slots in sequence order (payload, then PUBLISHED, then the
/// doorbell) and retires them once their results are read. Sequence <c>s</c> lives in ring slot
/// <c>s % SlotCount</c>; it is reused only after the sequence before it in that slot has been retired,
/// so the host writes a slot only while it is EMPTY, DONE or FAULT.
/// </summary>
internal sealed unsafe class HostRing
{
    private readonly uint* _ring;
    private readonly uint* _control;
    private readonly int _slotCount;
    private readonly bool[] _consumed;
    private readonly Lock _gate = new();
    private long _next;
    private long _retired;

    public HostRing(uint* ring, uint* control, int slotCount)
    {
        _ring = ring;
        _control = control;
        _slotCount = slotCount;
        _consumed = new bool[slotCount];
    }

    public int SlotCount => _slotCount;

    /// <summary>Sequences published so far.</summary>
    public long Published => Volatile.Read(ref _next);

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
                throw new TimeoutException($"The ring has no room for {requests.Length} slot(s): {_next - _retired} of {_slotCount} are still outstanding. Fix: wait for earlier slots, raise MegakernelOptions.SlotCount, or check that the device loop is running (Telemetry().KernelState).");
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

    /// <summary>Whether <paramref name="sequence"/> has reached DONE or FAULT.</summary>
    public bool IsComplete(long sequence)
    {
        uint state = Volatile.Read(ref _ring[Base(sequence) + SlotLayout.Status]);
        return state is (uint)SlotState.Done or (uint)SlotState.Fault;
    }

    /// <summary>Spins (bounded) until <paramref name="sequence"/> completes; false on timeout.</summary>
    public bool SpinUntilComplete(long sequence, DateTime deadline)
    {
        var spin = new SpinWait();
        int polls = 0;
        while (!IsComplete(sequence))
        {
            if ((++polls & 1023) == 0 && DateTime.UtcNow > deadline)
            {
                return false;
            }

            if (polls > 4096)
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }
        }

        return true;
    }

    /// <summary>Reads the results of a completed sequence and retires it.</summary>
    public SlotResult Take(long sequence)
    {
        Debug.Assert(IsComplete(sequence), "Take is called only on completed slots.");
        int slotBase = Base(sequence);
        var result = new SlotResult { State = (SlotState)Volatile.Read(ref _ring[slotBase + SlotLayout.Status]) };
        new ReadOnlySpan<uint>(_ring + slotBase + SlotLayout.FirstArgument, SlotLayout.ArgumentCount).CopyTo(result.Words);
        Retire(sequence);
        return result;
    }

    /// <summary>Marks a sequence consumed and advances the retired mark past every consumed sequence.</summary>
    public void Retire(long sequence)
    {
        lock (_gate)
        {
            _consumed[sequence % _slotCount] = true;
            while (_retired < _next && _consumed[_retired % _slotCount])
            {
                _consumed[_retired % _slotCount] = false;
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
    }

    private int Base(long sequence) => (int)(sequence % _slotCount) * SlotLayout.WordCount;
}
