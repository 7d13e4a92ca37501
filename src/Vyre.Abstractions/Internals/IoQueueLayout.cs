namespace Vyre.Internals;

/// <summary>
/// The io queue the device uses to ask the host for bytes: <see cref="Capacity"/> entries of 8 words
/// <c>[op, src, dst, offset_lo, offset_hi, bytes, status, tag]</c>, in host memory. Request <c>t</c> (a
/// ticket from <see cref="DeviceStateWord.IoTicket"/>) goes to entry <c>t % Capacity</c> once the host has
/// taken request <c>t - Capacity</c> (<see cref="ControlWord.IoConsumed"/>). The device writes an entry
/// while its status is EMPTY (payload, system fence, status PUBLISHED); the host takes it and writes EMPTY.
/// </summary>
internal static class IoQueueLayout
{
    /// <summary>Entries in the queue.</summary>
    public const int Capacity = 64;

    /// <summary>Words per entry.</summary>
    public const int EntryWords = 8;

    /// <summary>Words of the whole queue.</summary>
    public const int WordCount = Capacity * EntryWords;

    /// <summary>Entry word: the op (<see cref="OpRead"/>).</summary>
    public const int Op = 0;

    /// <summary>Entry word: the source, an io file id from <c>MegakernelHost.RegisterIoFile</c>.</summary>
    public const int Source = 1;

    /// <summary>Entry word: the destination, a byte offset in the data buffer.</summary>
    public const int Destination = 2;

    /// <summary>Entry word: the file offset's low 32 bits.</summary>
    public const int OffsetLow = 3;

    /// <summary>Entry word: the file offset's high 32 bits.</summary>
    public const int OffsetHigh = 4;

    /// <summary>Entry word: bytes to read.</summary>
    public const int Bytes = 5;

    /// <summary>Entry word: EMPTY (0) or PUBLISHED (1), a <see cref="SlotState"/>.</summary>
    public const int Status = 6;

    /// <summary>Entry word: the sequence number of the slot that asked (its ring slot is <c>tag % SlotCount</c>).</summary>
    public const int Tag = 7;

    /// <summary>Entry op: read.</summary>
    public const uint OpRead = 1;

    /// <summary>Entry op: write.</summary>
    public const uint OpWrite = 2;

    /// <summary>Entry op: fence.</summary>
    public const uint OpFence = 3;

    /// <summary>Entry status: completed.</summary>
    public const uint StatusOk = 0x10;

    /// <summary>Entry status: failed.</summary>
    public const uint StatusError = 0x11;

    /// <summary>The errno (ECANCELED) of a request the megakernel's stop cancelled.</summary>
    public const uint Canceled = 125;

    /// <summary>The errno (ETIMEDOUT) of a request that found no room in the queue for a heartbeat timeout (the host's io service is stuck).</summary>
    public const uint TimedOut = 110;
}
