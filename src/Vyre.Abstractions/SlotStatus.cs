namespace Vyre;

/// <summary>What a handler returns: the state its slot ends in.</summary>
public enum SlotStatus : uint
{
    /// <summary>The slot completed; its results are in the argument words.</summary>
    Done = SlotState.Done,

    /// <summary>The slot failed; see <see cref="SlotContext.Fail(uint)"/>.</summary>
    Fault = SlotState.Fault,
}
