using System;
using System.Threading;
using ILGPU;
using ILGPU.Runtime;
using Vyre.Internals;

namespace Vyre.Backends.Managed;

/// <summary>
/// A Managed worker's warp: <see cref="Size"/> threads that run one warp-wide slot together, the worker itself as lane 0
/// and <see cref="Size"/> − 1 helper threads parked between slots. Collective operations meet at a barrier
/// (<see cref="Arrive"/>); a lane that leaves the handler (returned, or threw) departs, and the barrier stops counting
/// it, so a lane that diverges or fails never leaves the others waiting. docs/warp-handlers.md.
/// </summary>
internal sealed class WarpTeam<TDispatcher> : IDisposable
    where TDispatcher : struct, IMegakernelDispatcher
{
    /// <summary>Lanes per team, as a CUDA warp.</summary>
    public const int Size = 32;

    [ThreadStatic]
    private static WarpTeam<TDispatcher>? s_current;

    private readonly Thread[] _helpers = new Thread[Size - 1];
    private readonly SemaphoreSlim _start = new(0);
    private readonly CountdownEvent _finished = new(Size - 1);
    private readonly MemoryBuffer1D<uint, Stride1D.Dense> _scratch;
    private readonly object _gate = new();

    // Two rows of exchange values: collective operation k uses row k % 2 (each lane counts its own operations), so one
    // barrier per operation is enough: a lane cannot write row k % 2 again before every lane has read it.
    private readonly uint[] _values = new uint[2 * Size];
    private readonly int[] _operations = new int[Size];
    private SlotContext _slot;
    private int _arrived;
    private int _departed;
    private int _phase;
    private bool _stopping;

    public WarpTeam(Accelerator accelerator, string name)
    {
        _scratch = accelerator.Allocate1D<uint>(GroupScratch.Words);
        for (int i = 0; i < _helpers.Length; i++)
        {
            int lane = i + 1;
            _helpers[i] = new Thread(() => Help(lane)) { IsBackground = true, Name = name + "-lane" + lane };
            _helpers[i].Start();
        }
    }

    /// <summary>The team of the Managed worker running on this thread (null elsewhere).</summary>
    public static WarpTeam<TDispatcher>? Current
    {
        get => s_current;
        set => s_current = value;
    }

    /// <summary>
    /// Runs warp-wide <paramref name="slot"/> on the team, this thread as lane 0; returns lane 0's status once every lane
    /// has left the handler. A fault any lane recorded is in the slot's scratch, which completion then reads.
    /// </summary>
    public unsafe SlotStatus Run(ref SlotContext slot, out int ordinal)
    {
        new Span<uint>((void*)_scratch.NativePtr, GroupScratch.Words).Clear();
        lock (_gate)
        {
            _arrived = 0;
            _departed = 0;
            Array.Clear(_operations);
            Array.Clear(_values); // A lane that departs early leaves its last value: never one of an earlier slot's.
        }

        _slot = slot;
        _finished.Reset();
        _start.Release(Size - 1);
        var group = new TeamGroup(this, 0, slot.ViewOf((ulong)_scratch.NativePtr, GroupScratch.Words));
        SlotStatus status = Lane(ref slot, ref group, out ordinal);
        _finished.Wait();
        slot.MarkMayHaveFault();
        if (status == SlotStatus.WaitIo)
        {
            // A warp's slot cannot wait for io (as on the GPU): its slot belongs to the whole group.
            slot.Fail(FaultCode.BadArgument, (uint)SlotStatus.WaitIo);
            return SlotStatus.Fault;
        }

        return status;
    }

    /// <summary>One lane's run of the handler; departs when it leaves, however it leaves.</summary>
    private SlotStatus Lane(ref SlotContext slot, ref TeamGroup group, out int ordinal)
    {
        try
        {
            return new GuardedDispatcher<TDispatcher>().DispatchGroup(ref slot, ref group, out ordinal);
        }
        finally
        {
            Depart();
        }
    }

    private void Help(int lane)
    {
        while (true)
        {
            _start.Wait();
            if (Volatile.Read(ref _stopping))
            {
                return;
            }

            SlotContext slot = _slot;
            var group = new TeamGroup(this, lane, slot.ViewOf((ulong)_scratch.NativePtr, GroupScratch.Words));
            Lane(ref slot, ref group, out _);
            _finished.Signal();
        }
    }

    /// <summary>Lane <paramref name="lane"/>'s part of a collective operation: publishes its value, waits for the rest, returns the row.</summary>
    private int Exchange(int lane, uint value)
    {
        int row = (_operations[lane]++ & 1) * Size;
        _values[row + lane] = value;
        Arrive();
        return row;
    }

    /// <summary>Waits until every lane still in the handler has arrived (Monitor's lock orders every write before it).</summary>
    private void Arrive()
    {
        lock (_gate)
        {
            int phase = _phase;
            if (++_arrived + _departed >= Size)
            {
                Release();
                return;
            }

            while (_phase == phase)
            {
                Monitor.Wait(_gate);
            }
        }
    }

    private void Depart()
    {
        lock (_gate)
        {
            if (++_departed + _arrived >= Size && _arrived > 0)
            {
                Release();
            }
        }
    }

    /// <summary>Opens the barrier (called under the lock).</summary>
    private void Release()
    {
        _arrived = 0;
        _phase++;
        Monitor.PulseAll(_gate);
    }

    public void Dispose()
    {
        Volatile.Write(ref _stopping, true);
        _start.Release(Size - 1);
        foreach (Thread helper in _helpers)
        {
            helper.Join();
        }

        _scratch.Dispose();
        _start.Dispose();
        _finished.Dispose();
    }

    /// <summary>A lane's view of its team: what a warp-wide handler gets on Managed.</summary>
    internal readonly struct TeamGroup : ISlotGroup
    {
        private readonly WarpTeam<TDispatcher> _team;
        private readonly int _lane;
        private readonly SlotView<uint> _scratch;

        public TeamGroup(WarpTeam<TDispatcher> team, int lane, SlotView<uint> scratch)
        {
            _team = team;
            _lane = lane;
            _scratch = scratch;
        }

        public int Lane => _lane;

        public int Size => WarpTeam<TDispatcher>.Size;

        public SlotView<uint> Scratch => _scratch;

        public void Barrier() => _team.Arrive();

        public uint Shuffle(uint value, int sourceLane) => _team._values[_team.Exchange(_lane, value) + (sourceLane & (Size - 1))];

        public uint ShuffleXor(uint value, int laneMask) => Shuffle(value, _lane ^ (laneMask & (Size - 1)));

        public uint ShuffleDown(uint value, int delta)
        {
            int source = _lane + delta;
            return Shuffle(value, delta >= 0 && source < Size ? source : _lane);
        }

        public uint Broadcast(uint value) => Shuffle(value, 0);

        public uint Sum(uint value)
        {
            ReadOnlySpan<uint> all = Row(value);
            uint sum = 0;
            foreach (uint v in all)
            {
                sum += v;
            }

            return sum;
        }

        public uint Max(uint value)
        {
            ReadOnlySpan<uint> all = Row(value);
            uint max = 0;
            foreach (uint v in all)
            {
                max = Math.Max(max, v);
            }

            return max;
        }

        public uint Min(uint value)
        {
            ReadOnlySpan<uint> all = Row(value);
            uint min = uint.MaxValue;
            foreach (uint v in all)
            {
                min = Math.Min(min, v);
            }

            return min;
        }

        public uint Or(uint value)
        {
            ReadOnlySpan<uint> all = Row(value);
            uint or = 0;
            foreach (uint v in all)
            {
                or |= v;
            }

            return or;
        }

        public uint Ballot(bool predicate) => Or(predicate ? 1u << _lane : 0u);

        public bool Any(bool predicate) => Ballot(predicate) != 0;

        public bool All(bool predicate) => Ballot(predicate) == uint.MaxValue;

        /// <summary>Every lane's <paramref name="value"/>, by lane (one barrier).</summary>
        private ReadOnlySpan<uint> Row(uint value) => new(_team._values, _team.Exchange(_lane, value), Size);
    }
}
