namespace Vyre.Internals;

/// <summary>
/// The debug log PRINTF writes: word 0 an atomic cursor that keeps counting past the capacity (so
/// overflow is counted, never written), then <see cref="Capacity"/> records of 4 words
/// <c>[format id, a1, a2, slot index]</c>.
/// </summary>
internal static class DebugLogLayout
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
