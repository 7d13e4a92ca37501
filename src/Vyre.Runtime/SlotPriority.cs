namespace Vyre;

/// <summary>
/// How urgent a slot is (slot word 3). From most to least urgent: <see cref="Critical"/>, <see cref="High"/>,
/// <see cref="Normal"/>, <see cref="Low"/>, <see cref="Background"/>. The numbers are the word's values, chosen so that
/// a request that says nothing (0) is <see cref="Normal"/>; they are not an order. The host admits slots into the ring
/// by priority, and the device claims them in ring order, so priority is claim order (docs/sharing.md).
/// </summary>
public enum SlotPriority : uint
{
    /// <summary>The default.</summary>
    Normal = 0,

    /// <summary>Goes before everything else; never held back by a window.</summary>
    Critical = 1,

    /// <summary>Goes before <see cref="Normal"/>; never held back by a window.</summary>
    High = 2,

    /// <summary>Published only while at most <see cref="MegakernelOptions.LowPriorityWindow"/> slots are outstanding.</summary>
    Low = 3,

    /// <summary>Published only while at most <see cref="MegakernelOptions.BackgroundPriorityWindow"/> slots are outstanding.</summary>
    Background = 4,
}
