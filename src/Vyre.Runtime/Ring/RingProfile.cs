using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;

namespace Vyre.Ring;

/// <summary>
/// Benchmark only: where the host's publishers and waiters spend their time in the ring's bulk path, per part, summed
/// over every thread (<see cref="HostRing.Profile"/>; off unless a benchmark sets it, then one null check per publish and
/// per take). Each thread adds to its own row, so profiling adds no shared writes between the threads it measures.
/// </summary>
internal sealed class RingProfile
{
    /// <summary>The parts, in the order of <see cref="Names"/>.</summary>
    public const int Reserve = 0, Write = 1, Mark = 2, Doorbell = 3, Claim = 4, WaitLastGroup = 5, Read = 6, RetireClear = 7, RetireMark = 8;

    /// <summary>What each part is.</summary>
    public static readonly string[] Names =
    [
        "reserve (the gate's lock and admission)",
        "write the slots and their status",
        "mark them written (holders)",
        "ring the doorbell (its lock, the scan over written slots)",
        "claim the batch",
        "wait for the batch's last group",
        "read states and results (and any further waits)",
        "retire: clear the holders",
        "retire: the retired mark (the compare-exchange that advances it)",
    ];

    /// <summary>Counters beside the times: publishes, publishes refused for room, doorbells that moved the cursor, slots the doorbells' scans passed.</summary>
    public const int Publishes = 0, Refused = 1, Rings = 2, Scanned = 3;

    /// <summary>Each row starts this many words into its array and ends as far before its end: rows of different threads never share a cache line.</summary>
    private const int Pad = 8;

    private readonly List<long[]> _rows = [];
    private readonly ThreadLocal<long[]> _own;

    public RingProfile() => _own = new ThreadLocal<long[]>(NewRow);

    private long[] Own => _own.Value!;

    /// <summary>Adds the ticks since <paramref name="mark"/> to <paramref name="part"/> and moves the mark to now.</summary>
    public void Lap(int part, ref long mark)
    {
        long now = Stopwatch.GetTimestamp();
        Own[Pad + part] += now - mark;
        mark = now;
    }

    /// <summary>Adds <paramref name="value"/> to counter <paramref name="counter"/>.</summary>
    public void Count(int counter, long value) => Own[Pad + Names.Length + counter] += value;

    /// <summary>Every row summed: the parts in nanoseconds, then the counters.</summary>
    public double[] Totals()
    {
        var totals = new double[Names.Length + 4];
        lock (_rows)
        {
            foreach (long[] row in _rows)
            {
                for (int i = 0; i < totals.Length; i++)
                {
                    totals[i] += i < Names.Length ? row[Pad + i] * 1e9 / Stopwatch.Frequency : row[Pad + i];
                }
            }
        }

        return totals;
    }

    private long[] NewRow()
    {
        var row = new long[Pad + Names.Length + 4 + Pad];
        lock (_rows)
        {
            _rows.Add(row);
        }

        return row;
    }
}
