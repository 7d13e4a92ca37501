using System;
using System.Threading;

namespace Vyre.Ring;

/// <summary>
/// Decides which priority level may reserve ring sequences next. The device claims slots in sequence order, so the
/// order in which the host admits them is the claim order. A level is admitted while (1) the ring has room, (2) the slots
/// outstanding (published, results not yet read) at that level and the less urgent ones stay within the level's window
/// afterwards, and (3) no publisher of a more urgent level is waiting. The starvation guard: a level whose publisher has
/// waited through <see cref="StarvationLimit"/> reservations by more urgent levels skips rule 3 for its next reservation,
/// and while it waits so starved, more urgent levels hold back so that the room goes to it. Rules 1 and 2 always hold, so
/// at most <c>Window(Background)</c> background slots are ever outstanding.
/// </summary>
/// <remarks>
/// Not thread-safe except <see cref="BeginWait"/>/<see cref="EndWait"/>/<see cref="Waiting"/> and <see cref="Retired"/>
/// (an atomic decrement, called by retirers without the lock: admission may see a count not yet decremented, which only
/// admits later, never sooner): the rest is called under the ring's lock. Ranks: 0 Critical, 1 High, 2 Normal, 3 Low, 4 Background.
/// </remarks>
internal sealed class PriorityGate
{
    public const int Levels = 5;

    private readonly int[] _windows;
    private readonly long[] _outstanding = new long[Levels];
    private readonly int[] _waiting = new int[Levels];
    private readonly int[] _skipped = new int[Levels];

    /// <summary>Per rank, the size of the last batch refused: what a waiting publisher of that rank needs.</summary>
    private readonly int[] _wanted = new int[Levels];

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

    /// <summary>The most slots of <paramref name="rank"/> and less urgent levels that may be outstanding once a slot of <paramref name="rank"/> is reserved.</summary>
    public int Window(int rank) => _windows[rank];

    /// <summary>Slots admitted at <paramref name="rank"/> whose results are not yet read.</summary>
    public long Outstanding(int rank) => Volatile.Read(ref _outstanding[rank]);

    /// <summary>Publishers of <paramref name="rank"/> blocked in a bounded wait right now.</summary>
    public int Waiting(int rank) => Volatile.Read(ref _waiting[rank]);

    /// <summary>A publisher of <paramref name="rank"/> starts waiting: less urgent levels hold back until it ends.</summary>
    public void BeginWait(int rank) => Interlocked.Increment(ref _waiting[rank]);

    /// <summary>The publisher that called <see cref="BeginWait"/> has published or given up.</summary>
    public void EndWait(int rank) => Interlocked.Decrement(ref _waiting[rank]);

    /// <summary>
    /// Whether <paramref name="count"/> sequences of <paramref name="rank"/> may be reserved with
    /// <paramref name="ringOutstanding"/> ring slots in use of <paramref name="slotCount"/>; when true they are counted as
    /// reserved (the caller reserves them, and calls <see cref="Retired"/> once their results are read).
    /// </summary>
    public bool TryAdmit(int rank, int count, long ringOutstanding, int slotCount)
    {
        if (!Admissible(rank, count, ringOutstanding, slotCount))
        {
            _wanted[rank] = count;
            return false;
        }

        Interlocked.Add(ref _outstanding[rank], count);
        _skipped[rank] = 0;
        for (int r = rank + 1; r < Levels; r++)
        {
            // Only a level with a publisher waiting now is being passed over.
            _skipped[r] = Volatile.Read(ref _waiting[r]) == 0 ? 0 : Math.Min(_skipped[r] + 1, int.MaxValue - 1);
        }

        return true;
    }

    /// <summary><paramref name="count"/> slots admitted at <paramref name="rank"/> had their results read (without the ring's lock).</summary>
    public void Retired(int rank, int count) => Interlocked.Add(ref _outstanding[rank], -count);

    /// <summary>Whether a waiting publisher of <paramref name="rank"/> has watched <see cref="StarvationLimit"/> reservations of more urgent levels.</summary>
    public bool IsStarved(int rank) => Volatile.Read(ref _waiting[rank]) != 0 && _skipped[rank] >= StarvationLimit;

    private bool Admissible(int rank, int count, long ringOutstanding, int slotCount)
    {
        if (ringOutstanding + count > slotCount)
        {
            return false;
        }

        if (!WindowFits(rank, count))
        {
            return false;
        }

        if (!IsStarved(rank))
        {
            for (int r = 0; r < rank; r++)
            {
                if (Volatile.Read(ref _waiting[r]) != 0)
                {
                    return false;
                }
            }
        }

        // A starved level that is waiting gets the next room: more urgent levels would otherwise take it first, again.
        // (Not while its own window holds it back: then it could not take the room, and they would wait for nothing.)
        for (int r = rank + 1; r < Levels; r++)
        {
            if (IsStarved(r) && WindowFits(r, _wanted[r]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Rule 2: whether <paramref name="count"/> more slots of <paramref name="rank"/> keep that level and the less urgent ones within its window.</summary>
    private bool WindowFits(int rank, int count)
    {
        long atOrBelow = count;
        for (int r = rank; r < Levels; r++)
        {
            atOrBelow += Volatile.Read(ref _outstanding[r]);
        }

        return atOrBelow <= _windows[rank];
    }

    /// <summary>Throws when a batch of <paramref name="count"/> can never fit the window of <paramref name="rank"/>.</summary>
    public void ThrowIfTooLarge(int rank, int count, string parameter = "requests")
    {
        if (count > _windows[rank])
        {
            SlotPriority level = Level(rank);
            throw new ArgumentException($"A batch of {count} {level} slots can never be admitted: {level} slots are published only while at most {_windows[rank]} slots of that level and less urgent ones are outstanding (the batch's least urgent request sets its level). Fix: split the batch, publish it at a more urgent priority, or raise MegakernelOptions.{level}PriorityWindow.", parameter);
        }
    }
}
