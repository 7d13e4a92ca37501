namespace Vyre;

/// <summary>
/// The words of a slot that the loop and most handlers read first: opcode, tenant and the first
/// <see cref="CachedArguments"/> argument words. On CUDA the ring is host memory behind PCIe; loading
/// these together lets their round trips overlap instead of paying one for the opcode and another for
/// the handler's first argument.
/// </summary>
public readonly struct SlotPrefix
{
    /// <summary>Argument words carried here; <see cref="SlotContext.Arg"/> reads later ones from the ring.</summary>
    public const int CachedArguments = 4;

    /// <summary>Creates a prefix from words already read.</summary>
    public SlotPrefix(uint opcode, uint tenant, uint arg0, uint arg1, uint arg2, uint arg3)
    {
        Opcode = opcode;
        Tenant = tenant;
        Arg0 = arg0;
        Arg1 = arg1;
        Arg2 = arg2;
        Arg3 = arg3;
    }

    /// <summary>The opcode.</summary>
    public uint Opcode { get; }

    /// <summary>The tenant.</summary>
    public uint Tenant { get; }

    /// <summary>Argument word 0.</summary>
    public uint Arg0 { get; }

    /// <summary>Argument word 1.</summary>
    public uint Arg1 { get; }

    /// <summary>Argument word 2.</summary>
    public uint Arg2 { get; }

    /// <summary>Argument word 3.</summary>
    public uint Arg3 { get; }

    /// <summary>Loads the prefix of the slot whose first word is <paramref name="slotBase"/>, every load issued before any is used.</summary>
    public static SlotPrefix Load(SharedWords ring, int slotBase)
    {
        uint opcode = ring.Read(slotBase + SlotLayout.Opcode);
        uint tenant = ring.Read(slotBase + SlotLayout.Tenant);
        uint arg0 = ring.Read(slotBase + SlotLayout.FirstArgument);
        uint arg1 = ring.Read(slotBase + SlotLayout.FirstArgument + 1);
        uint arg2 = ring.Read(slotBase + SlotLayout.FirstArgument + 2);
        uint arg3 = ring.Read(slotBase + SlotLayout.FirstArgument + 3);
        return new SlotPrefix(opcode, tenant, arg0, arg1, arg2, arg3);
    }
}
