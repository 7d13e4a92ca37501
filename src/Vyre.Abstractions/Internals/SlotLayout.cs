namespace Vyre.Internals;

/// <summary>
/// The layout of one ring slot: 16 little-endian <see cref="uint"/> words, 64 bytes.
/// These numbers are frozen (docs/protocol.md); the host, the CPU dispatcher and the kernel all read them from here.
/// </summary>
internal static class SlotLayout
{
    /// <summary>Words per slot.</summary>
    public const int WordCount = 16;

    /// <summary>Bytes per slot.</summary>
    public const int SizeInBytes = WordCount * sizeof(uint);

    /// <summary>Word 0: the <see cref="SlotState"/>; written last by whichever side owns the slot.</summary>
    public const int Status = 0;

    /// <summary>Word 1: the opcode.</summary>
    public const int Opcode = 1;

    /// <summary>Word 2: the tenant id (0 is the host's own tenant).</summary>
    public const int Tenant = 2;

    /// <summary>Word 3: the priority class (carried, see docs/protocol.md).</summary>
    public const int Priority = 3;

    /// <summary>Word 4: the first of the twelve argument words. Handlers write results back into them.</summary>
    public const int FirstArgument = 4;

    /// <summary>Number of argument (and result) words.</summary>
    public const int ArgumentCount = 12;

    /// <summary>In a FAULT slot, argument word 0 holds the <see cref="FaultCode"/>.</summary>
    public const int FaultCodeWord = FirstArgument;

    /// <summary>In a FAULT slot, argument word 1 holds a detail (the handler's value, an errno, an index).</summary>
    public const int FaultDetailWord = FirstArgument + 1;
}
