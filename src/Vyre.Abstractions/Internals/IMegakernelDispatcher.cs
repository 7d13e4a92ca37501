using System.ComponentModel;

namespace Vyre.Internals;

/// <summary>
/// A megakernel's dispatch tree. The generator implements it as a struct nested in each
/// <c>[Megakernel]</c> class, so ILGPU and the .NET JIT specialise the device loop to it (no virtual call).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IMegakernelDispatcher
{
    /// <summary>
    /// Runs the handler or simple built-in for <see cref="SlotContext.Opcode"/>. <paramref name="ordinal"/>
    /// receives its index in the dispatch table (the per-opcode metric), or -1 for an unknown opcode,
    /// which records <see cref="FaultCode.UnknownOpcode"/>.
    /// </summary>
    SlotStatus Dispatch(ref SlotContext slot, out int ordinal);
}
