namespace Vyre;

/// <summary>What a handler returns: the state its slot ends in.</summary>
public enum SlotStatus : uint
{
    /// <summary>The slot completed; its results are in the argument words.</summary>
    Done = SlotState.Done,

    /// <summary>
    /// The slot waits for bytes it asked for with <see cref="SlotContext.LoadMiss"/>; the host's io service
    /// finishes it once the read ends. Returned by <c>return slot.LoadMiss(...)</c>, never written by hand.
    /// </summary>
    WaitIo = SlotState.WaitIo,

    /// <summary>The slot failed; see <see cref="SlotContext.Fail(uint)"/>.</summary>
    Fault = SlotState.Fault,
}
