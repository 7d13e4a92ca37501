namespace Vyre;

/// <summary>Limits of PACKED_SLOT, shared by the host's validation and the device's execution.</summary>
public static class PackedSlot
{
    /// <summary>
    /// Ops one packed slot carries: argument 0 is the count, then each op takes two words
    /// <c>[opcode, argument]</c>; its result replaces its argument word.
    /// </summary>
    public const int MaxOps = (Internals.SlotLayout.ArgumentCount - 1) / 2;
}
