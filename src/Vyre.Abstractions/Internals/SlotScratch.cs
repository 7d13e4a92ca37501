namespace Vyre.Internals;

/// <summary>
/// Words of a ring slot's scratch area at <see cref="MegakernelBuffers.ScratchAddress"/> (device memory, written only by
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

    /// <summary>
    /// Records <paramref name="code"/> with <paramref name="detail"/> in the scratch words at <paramref name="scratch"/> unless a
    /// fault is there already (the first fault wins); <paramref name="clean"/>: the caller knows none is, so the word is not read.
    /// The one writer of a slot's fault, for its context (<c>SlotContext.Fail</c>) and its views.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static unsafe void Record(uint* scratch, Vyre.FaultCode code, uint detail, bool clean = false)
    {
        if (clean || scratch[Fault] == (uint)Vyre.FaultCode.None)
        {
            scratch[Fault] = (uint)code;
            scratch[Detail] = detail;
        }
    }
}
