using System.Runtime.CompilerServices;

namespace Vyre.Internals;

/// <summary>
/// Where <see cref="SlotExecutor"/> runs a slot's handler from: a kernel (<see cref="InKernel"/>) or a Managed worker
/// (<see cref="OnCpu"/>). A type argument, not a flag, so each compiled form holds only its own call: ILGPU builds its IR
/// before it folds constants, and a call in a dead branch that took the context's address would still keep the context
/// in local memory.
/// </summary>
internal interface IDispatchSite
{
    /// <summary>
    /// Runs the handler for <see cref="SlotContext.Opcode"/> with <typeparamref name="TDispatcher"/>; <paramref name="spill"/>
    /// is the caller's room for a copy of the context (<see cref="IMegakernelDispatcher.DispatchInKernel"/>), its content unread.
    /// </summary>
    SlotStatus Dispatch<TDispatcher>(ref SlotContext slot, ref SlotContext spill, out int ordinal)
        where TDispatcher : struct, IMegakernelDispatcher;
}

/// <summary>The kernels' site: <see cref="IMegakernelDispatcher.DispatchInKernel"/>, which keeps the context in registers.</summary>
internal readonly struct InKernel : IDispatchSite
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public SlotStatus Dispatch<TDispatcher>(ref SlotContext slot, ref SlotContext spill, out int ordinal)
        where TDispatcher : struct, IMegakernelDispatcher =>
        default(TDispatcher).DispatchInKernel(ref slot, ref spill, out ordinal);
}

/// <summary>
/// The Managed workers' site: <see cref="IMegakernelDispatcher.Dispatch"/>, every handler on the context itself (no copy;
/// <c>spill</c> is not touched).
/// </summary>
internal readonly struct OnCpu : IDispatchSite
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public SlotStatus Dispatch<TDispatcher>(ref SlotContext slot, ref SlotContext spill, out int ordinal)
        where TDispatcher : struct, IMegakernelDispatcher =>
        default(TDispatcher).Dispatch(ref slot, out ordinal);
}
