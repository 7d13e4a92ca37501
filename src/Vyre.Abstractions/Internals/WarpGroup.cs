using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime.Cuda;

namespace Vyre.Internals;

/// <summary>
/// The group of a warp-wide slot on CUDA and on ILGPU's CPU accelerator: the warp itself, through ILGPU's warp
/// intrinsics, with a slice of the thread block's shared memory as its scratch (<see cref="GroupScratch"/>).
/// </summary>
internal readonly struct WarpGroup : ISlotGroup
{
    private readonly int _lane;
    private readonly SlotView<uint> _scratch;

    public WarpGroup(int lane, SlotView<uint> scratch)
    {
        _lane = lane;
        _scratch = scratch;
    }

    public int Lane => _lane;

    public int Size => Warp.WarpSize;

    public SlotView<uint> Scratch => _scratch;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Barrier() => Warp.Barrier();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint Shuffle(uint value, int sourceLane) => Warp.Shuffle(value, sourceLane & (Warp.WarpSize - 1));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint ShuffleXor(uint value, int laneMask) => Warp.Shuffle(value, _lane ^ (laneMask & (Warp.WarpSize - 1)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint ShuffleDown(uint value, int delta)
    {
        int source = _lane + delta;
        return Warp.Shuffle(value, delta >= 0 && source < Warp.WarpSize ? source : _lane);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint Broadcast(uint value) => Warp.Shuffle(value, 0);

    public uint Sum(uint value)
    {
        for (int offset = Warp.WarpSize / 2; offset > 0; offset /= 2)
        {
            value += ShuffleXor(value, offset);
        }

        return value;
    }

    public uint Max(uint value)
    {
        for (int offset = Warp.WarpSize / 2; offset > 0; offset /= 2)
        {
            uint other = ShuffleXor(value, offset);
            value = other > value ? other : value;
        }

        return value;
    }

    public uint Min(uint value)
    {
        for (int offset = Warp.WarpSize / 2; offset > 0; offset /= 2)
        {
            uint other = ShuffleXor(value, offset);
            value = other < value ? other : value;
        }

        return value;
    }

    public uint Or(uint value)
    {
        for (int offset = Warp.WarpSize / 2; offset > 0; offset /= 2)
        {
            value |= ShuffleXor(value, offset);
        }

        return value;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint Ballot(bool predicate)
    {
        if (CudaAsm.IsSupported)
        {
            // One vote instead of five dependent shuffles. The whole warp is here wherever a group runs (its callers shuffle
            // with the full mask as well).
            CudaAsm.Emit("{ .reg .pred vp; setp.ne.u32 vp, %1, 0; vote.sync.ballot.b32 %0, vp, 0xffffffff; }", out uint bits, predicate ? 1u : 0u);
            return bits;
        }

        return Or(predicate ? 1u << _lane : 0u);
    }

    public bool Any(bool predicate) => Ballot(predicate) != 0;

    public bool All(bool predicate) => Ballot(predicate) == FullMask;

    /// <summary>Every lane's bit.</summary>
    private static uint FullMask => Warp.WarpSize >= 32 ? uint.MaxValue : (1u << Warp.WarpSize) - 1;
}
