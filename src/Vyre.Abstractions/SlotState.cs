namespace Vyre;

/// <summary>
/// Slot states (word 0 of a slot). The host writes a slot only while it is <see cref="Empty"/>,
/// <see cref="Done"/>, <see cref="Fault"/> or <see cref="WaitIo"/>, payload first and status last; the
/// device side writes it only while it is <see cref="Published"/> or <see cref="Claimed"/>.
/// </summary>
public enum SlotState : uint
{
    /// <summary>Free; the host may fill it.</summary>
    Empty = 0,

    /// <summary>The host filled it; the device may claim it.</summary>
    Published = 1,

    /// <summary>A lane is running it.</summary>
    Claimed = 2,

    /// <summary>Finished; results are in the argument words.</summary>
    Done = 3,

    /// <summary>Handed to the host's io service by a LOAD_MISS; the host owns the slot and ends it DONE or FAULT.</summary>
    WaitIo = 4,

    /// <summary>Reserved: the handler yielded.</summary>
    Yield = 5,

    /// <summary>Reserved: the slot asks to be requeued.</summary>
    Requeue = 6,

    /// <summary>Failed; argument word 0 holds the <see cref="FaultCode"/>, word 1 a detail.</summary>
    Fault = 7,
}
