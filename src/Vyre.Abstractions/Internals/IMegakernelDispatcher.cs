using System.ComponentModel;

namespace Vyre.Internals;

/// <summary>
/// A megakernel's dispatch tree. The generator implements it as a struct nested in each
/// <c>[Megakernel]</c> class, so ILGPU and the .NET JIT specialise the device loop to it (no virtual call).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IMegakernelDispatcher
{
    /// <summary>Whether any handler is warp-wide (a constant: without one, the device loop's group path compiles away).</summary>
    bool HasGroupHandlers { get; }

    /// <summary>
    /// Runs the lane handler or simple built-in for <see cref="SlotContext.Opcode"/>. <paramref name="ordinal"/>
    /// receives its index in the dispatch table (the per-opcode metric), or -1 for an unknown opcode,
    /// which records <see cref="FaultCode.UnknownOpcode"/>. A warp-wide handler's opcode records
    /// <see cref="FaultCode.Unsupported"/>: one lane cannot run it.
    /// </summary>
    SlotStatus Dispatch(ref SlotContext slot, out int ordinal);

    /// <summary>
    /// <see cref="Dispatch"/> as the kernels run it: a handler ILGPU inlines (marked
    /// <c>[MethodImpl(MethodImplOptions.AggressiveInlining)]</c>, and the small built-ins) runs on
    /// <paramref name="slot"/> itself; any other runs on <paramref name="spill"/>, a copy of it, copied back when it returns.
    /// So the context's address never reaches a call, and ILGPU keeps it in registers instead of local memory
    /// (docs/handler-signature.md, "Tiny handlers: in place on the GPU"). <paramref name="spill"/> is the caller's: what it
    /// holds on entry is never read, and it is declared once per kernel thread rather than once per slot, because ILGPU
    /// clears a local whose address is taken (208 bytes) where the method that declares it begins.
    /// </summary>
    SlotStatus DispatchInKernel(ref SlotContext slot, ref SlotContext spill, out int ordinal);

    /// <summary>Whether <paramref name="opcode"/> is a warp-wide handler's.</summary>
    bool IsGroupOpcode(uint opcode);

    /// <summary>
    /// Runs the warp-wide handler for <see cref="SlotContext.Opcode"/> on this lane of <paramref name="group"/>; every lane
    /// of the group calls it. A lane handler's opcode records <see cref="FaultCode.Unsupported"/>.
    /// </summary>
    SlotStatus DispatchGroup<TGroup>(ref SlotContext slot, ref TGroup group, out int ordinal)
        where TGroup : struct, ISlotGroup;
}
