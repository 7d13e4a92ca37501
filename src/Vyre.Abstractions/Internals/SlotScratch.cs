namespace Vyre.Internals;

/// <summary>
/// Words of a ring slot's scratch area in <see cref="MegakernelBuffers.Scratch"/> (device memory, written only by
/// the lane running the slot): the slot's fault while it runs, and the sink of out-of-bounds accesses.
/// </summary>
internal static class SlotScratch
{
    /// <summary>The fault recorded so far (<see cref="Vyre.FaultCode"/>), 0 for none.</summary>
    public const int Fault = 0;

    /// <summary>The recorded fault's detail word.</summary>
    public const int Detail = 1;

    /// <summary>First word of the sink an out-of-bounds access is sent to (two words, room for any element up to 8 bytes).</summary>
    public const int SinkLow = 2;

    /// <summary>Second word of the sink.</summary>
    public const int SinkHigh = 3;

    /// <summary>Words per ring slot.</summary>
    public const int WordsPerSlot = 4;
}
