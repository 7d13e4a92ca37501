using System;
using System.Threading;

namespace Vyre.Ring;

/// <summary>
/// Decides which priority level may reserve ring sequences next. The device claims slots in sequence order, so the
/// order in which the host admits them is the claim order. A level is admitted while (1) the ring has room, (2) the
/// slots outstanding after the reservation stay within the level's window, and (3) no publisher of a more urgent level
/// is waiting. The starvation guard: once a level that wants room has watched <see cref="StarvationLimit"/>
/// reservations by more urgent levels in a row, its next reservation skips rules 2 and 3 (never rule 1), and while
/// such a starved level has a publisher waiting, more urgent levels hold back so that the room goes to it.
/// </summary>
/// <remarks>
/// Not thread-safe except <see cref="BeginWait"/>/<see cref="EndWait"/>: <see cref="TryAdmit"/> is called under the
/// ring's lock. Ranks: 0 Critical, 1 High, 2 Normal, 3 Low, 4 Background.
/// </remarks>
internal sealed class PriorityGate
{
    public const int Levels = 5;

    private readonly int[] _windows;
    private readonly int[] _waiting = new int[Levels];
    private readonly int[] _skipped = new int[Levels];
    private int _wants;

    /// <param name="slotCount">The ring's size: the window of Critical and High.</param>
    /// <param name="normal">Window of Normal.</param>
    /// <param name="low">Window of Low.</param>
    /// <param name="background">Window of Background.</param>
    /// <param name="starvationLimit">Reservations by more urgent levels after which a waiting level goes regardless.</param>
    public PriorityGate(int slotCount, int normal, int low, int background, int starvationLimit)
    {
        _windows = [slotCount, slotCount, normal, low, background];
        StarvationLimit = starvationLimit;
    }

    public int StarvationLimit { get; private set; }

    /// <summary>Tests: a new starvation limit, with the guard's counts cleared (on CUDA a test cannot start a second host).</summary>
    internal void SetStarvationLimitForTests(int limit)
    {
        StarvationLimit = limit;
        Array.Clear(_skipped);
        _wants = 0;
    }

    /// <summary>The rank of <paramref name="priority"/>: 0 most urgent.</summary>
    public static int Rank(SlotPriority priority) => priority switch
    {
        SlotPriority.Critical => 0,
        SlotPriority.High => 1,
        SlotPriority.Normal => 2,
        SlotPriority.Low => 3,
        _ => 4,
    };

    /// <summary>The level of a rank.</summary>
    public static SlotPriority Level(int rank) => rank switch
    {
        0 => SlotPriority.Critical,
        1 => SlotPriority.High,
        2 => SlotPriority.Normal,
        3 => SlotPriority.Low,
        _ => SlotPriority.Background,
    };

    /// <summary>The most slots that may be outstanding once a slot of <paramref name="rank"/> is reserved.</summary>
    public int Window(int rank) => _windows[rank];

    /// <summary>Publishers of <paramref name="rank"/> blocked in a bounded wait right now.</summary>
    public int Waiting(int rank) => Volatile.Read(ref _waiting[rank]);

    /// <summary>A publisher of <paramref name="rank"/> starts waiting: less urgent levels hold back until it ends.</summary>
    public void BeginWait(int rank) => Interlocked.Increment(ref _waiting[rank]);

    /// <summary>The publisher that called <see cref="BeginWait"/> has published or given up.</summary>
    public void EndWait(int rank) => Interlocked.Decrement(ref _waiting[rank]);

    /// <summary>
    /// Whether <paramref name="count"/> sequences of <paramref name="rank"/> may be reserved with
    /// <paramref name="outstanding"/> already outstanding in a ring of <paramref name="slotCount"/>; when true the
    /// caller reserves them. A refusal marks the level as wanting room (for the starvation guard).
    /// </summary>
    public bool TryAdmit(int rank, int count, long outstanding, int slotCount)
    {
        if (!Admissible(rank, count, outstanding, slotCount))
        {
            _wants |= 1 << rank;
            return false;
        }

        _skipped[rank] = 0;
        _wants &= ~(1 << rank);
        int lessUrgent = _wants >> (rank + 1);
        for (int r = rank + 1; lessUrgent != 0; r++, lessUrgent >>= 1)
        {
            if ((lessUrgent & 1) != 0 && _skipped[r] < int.MaxValue)
            {
                _skipped[r]++;
            }
        }

        return true;
    }

    /// <summary>Whether <paramref name="rank"/> has waited through <see cref="StarvationLimit"/> reservations of more urgent levels.</summary>
    public bool IsStarved(int rank) => _skipped[rank] >= StarvationLimit;

    private bool Admissible(int rank, int count, long outstanding, int slotCount)
    {
        if (outstanding + count > slotCount)
        {
            return false;
        }

        if (IsStarved(rank))
        {
            return true;
        }

        if (outstanding + count > _windows[rank])
        {
            return false;
        }

        for (int r = 0; r < rank; r++)
        {
            if (Volatile.Read(ref _waiting[r]) != 0)
            {
                return false;
            }
        }

        // A starved level that is waiting gets the next room: more urgent levels would otherwise take it first, again.
        for (int r = rank + 1; r < Levels; r++)
        {
            if (Volatile.Read(ref _waiting[r]) != 0 && IsStarved(r))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Throws when a batch of <paramref name="count"/> can never fit the window of <paramref name="rank"/>.</summary>
    public void ThrowIfTooLarge(int rank, int count)
    {
        if (count > _windows[rank])
        {
            SlotPriority level = Level(rank);
            throw new ArgumentException($"A batch of {count} {level} slots can never be admitted: {level} slots are published only while at most {_windows[rank]} slots are outstanding (the batch's least urgent request sets its level). Fix: split the batch, publish it at a more urgent priority, or raise MegakernelOptions.{level}PriorityWindow.", "requests");
        }
    }
}
