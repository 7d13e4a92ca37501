namespace Vyre;

/// <summary>
/// The debug log PRINTF writes: word 0 an atomic cursor that keeps counting past the capacity (so
/// overflow is counted, never written), then <see cref="Capacity"/> records of 4 words
/// <c>[format id, a1, a2, slot index]</c>.
/// </summary>
public static class DebugLogLayout
{
    /// <summary>Records the log holds.</summary>
    public const int Capacity = 64;

    /// <summary>Words per record.</summary>
    public const int RecordWords = 4;

    /// <summary>Word of the cursor.</summary>
    public const int Cursor = 0;

    /// <summary>Word where record 0 starts.</summary>
    public const int FirstRecord = 1;

    /// <summary>Words of the whole log.</summary>
    public const int WordCount = FirstRecord + (Capacity * RecordWords);
}

/// <summary>Limits of PACKED_SLOT, shared by the host's validation and the device's execution.</summary>
public static class PackedSlot
{
    /// <summary>
    /// Ops one packed slot carries: argument 0 is the count, then each op takes two words
    /// <c>[opcode, argument]</c>; its result replaces its argument word.
    /// </summary>
    public const int MaxOps = (SlotLayout.ArgumentCount - 1) / 2;
}
