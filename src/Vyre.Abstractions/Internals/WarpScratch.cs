using ILGPU;

namespace Vyre.Internals;

/// <summary>A warp's group scratch (<see cref="GroupScratch"/>): its words, and their address for the group's view (<see cref="SlotView{T}"/>).</summary>
internal readonly struct WarpScratch
{
    public WarpScratch(ArrayView<uint> words, ulong address)
    {
        Words = words;
        Address = address;
    }

    /// <summary>The words; empty when the megakernel has no warp-wide handler (the group's accesses then fault).</summary>
    public ArrayView<uint> Words { get; }

    /// <summary>The address of the first word where the device loop runs.</summary>
    public ulong Address { get; }
}
