using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Threading;

namespace Vyre;

/// <summary>
/// Counts the calls inside a host without a locked instruction per call. Each thread counts its own calls in a cell only
/// it writes (plain stores); the one reader, shutdown, first makes every thread's stores visible with a process-wide
/// barrier (<see cref="Interlocked.MemoryBarrierProcessWide"/>), then sums the cells. With the host's state word that
/// is the asymmetric form of the usual handshake: a caller writes its count, then reads the state; shutdown writes the
/// state, then runs the barrier, then reads the counts. Either the caller saw the state (and backs out), or its count
/// was visible to the reader. A shared counter cost two locked instructions a call (about 14 ns each on the H200's host,
/// docs/latency.md), and with several publishing threads every call moved its cache line between their cores.
/// </summary>
internal sealed class CallCounter
{
    private readonly ThreadLocal<Cell> _cells = new(static () => new Cell(), trackAllValues: true);

    /// <summary>Counts a call on this thread; returns the cell to hand back to <see cref="Exit(Cell)"/> on the same thread.</summary>
    public Cell Enter()
    {
        Cell cell = _cells.Value!;
        Volatile.Write(ref cell.Count, cell.Count + 1);
        return cell;
    }

    /// <summary>Ends a call entered on this thread.</summary>
    public static void Exit(Cell cell) => Volatile.Write(ref cell.Count, cell.Count - 1);

    /// <summary>
    /// Ends a call entered on any thread (an async stream resumes where it may): this thread's cell goes below its own
    /// calls, the entering thread's stays above; the sum is what counts.
    /// </summary>
    public void Exit() => Exit(_cells.Value!);

    /// <summary>Makes every thread's count visible to this one; call once the state that turns new calls away is written.</summary>
    public static void Publish() => Interlocked.MemoryBarrierProcessWide();

    /// <summary>Calls inside now, as of the last <see cref="Publish"/> (a call that ended on another thread than it began is counted right).</summary>
    public long Inside()
    {
        long inside = 0;
        IList<Cell> cells = _cells.Values;
        for (int i = 0; i < cells.Count; i++)
        {
            inside += Volatile.Read(ref cells[i].Count);
        }

        return inside;
    }

    /// <summary>One thread's count, alone on its cache line (its writer's stores do not disturb another thread's).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 128)]
    internal sealed class Cell
    {
        [FieldOffset(64)]
        public long Count;
    }
}
