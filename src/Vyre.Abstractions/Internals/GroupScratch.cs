namespace Vyre.Internals;

/// <summary>
/// The scratch a warp-wide slot's group shares (<see cref="ISlotGroup.Scratch"/>): <see cref="Words"/> words per warp, in
/// device memory on the ILGPU backends (<see cref="MegakernelBuffers.GroupScratch"/>) and per worker team on Managed.
/// </summary>
internal static class GroupScratch
{
    /// <summary>Words of scratch per group (4 KiB).</summary>
    public const int Words = 1024;
}
