namespace Vyre;

/// <summary>
/// The threads that run one slot of a warp-wide handler together (<see cref="HandlerWidth.Warp"/>), as that handler sees
/// them. Every lane of the group runs the handler; each operation here is collective: <b>every lane must call it, in the
/// same order</b> (not inside a branch some lanes skip), as with CUDA's <c>__shfl_sync</c> over a full warp.
/// The handler is generic over the group type so that each backend compiles its own: warp shuffles on a GPU and on
/// ILGPU's CPU accelerator, threads emulating the warp on Managed. docs/warp-handlers.md.
/// </summary>
public interface ISlotGroup
{
    /// <summary>This thread's index in the group, 0 to <see cref="Size"/> − 1.</summary>
    int Lane { get; }

    /// <summary>Threads in the group: 32 on CUDA and Managed, 4 on IlgpuCpu. Write handlers for any power of two.</summary>
    int Size { get; }

    /// <summary>
    /// Words of memory shared by the group (shared memory on CUDA), zeroed when the slot starts. Bounds-checked like every
    /// view: an access outside records <see cref="FaultCode.OutOfBounds"/>. Call <see cref="Barrier"/> between one lane's
    /// write and another lane's read.
    /// </summary>
    SlotView<uint> Scratch { get; }

    /// <summary>Waits until every lane of the group has reached this point; memory written before it is seen by every lane after it.</summary>
    void Barrier();

    /// <summary><paramref name="value"/> of lane <paramref name="sourceLane"/> (taken modulo <see cref="Size"/>).</summary>
    uint Shuffle(uint value, int sourceLane);

    /// <summary><paramref name="value"/> of lane <c>Lane ^ laneMask</c> (the mask taken modulo <see cref="Size"/>): a butterfly step.</summary>
    uint ShuffleXor(uint value, int laneMask);

    /// <summary><paramref name="value"/> of lane <c>Lane + delta</c>, or this lane's own where that is past the group.</summary>
    uint ShuffleDown(uint value, int delta);

    /// <summary>Lane 0's <paramref name="value"/>, on every lane.</summary>
    uint Broadcast(uint value);

    /// <summary>The sum of every lane's <paramref name="value"/> (wrapping), on every lane.</summary>
    uint Sum(uint value);

    /// <summary>The largest of every lane's <paramref name="value"/>, on every lane.</summary>
    uint Max(uint value);

    /// <summary>The smallest of every lane's <paramref name="value"/>, on every lane.</summary>
    uint Min(uint value);

    /// <summary>The bitwise or of every lane's <paramref name="value"/>, on every lane.</summary>
    uint Or(uint value);

    /// <summary>A mask with bit <c>i</c> set when lane <c>i</c>'s <paramref name="predicate"/> is true, on every lane.</summary>
    uint Ballot(bool predicate);

    /// <summary>Whether any lane's <paramref name="predicate"/> is true, on every lane.</summary>
    bool Any(bool predicate);

    /// <summary>Whether every lane's <paramref name="predicate"/> is true, on every lane.</summary>
    bool All(bool predicate);
}
