using Vyre.Internals;

namespace Vyre.Backends.Managed;

/// <summary>
/// The Managed workers' dispatcher: <see cref="GuardedDispatcher{TDispatcher}"/> for lane handlers, and a warp-wide
/// handler's slot run on the worker's <see cref="WarpTeam{TDispatcher}"/>. Only a whole slot reaches a team: packed ops and
/// VIR0 calls check the width first (<see cref="SlotExecutor.DispatchLane{TDispatcher, TSite}"/>), as on the GPU.
/// </summary>
internal struct ManagedDispatcher<TDispatcher> : IMegakernelDispatcher
    where TDispatcher : struct, IMegakernelDispatcher
{
    public readonly bool HasGroupHandlers
    {
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        get => default(TDispatcher).HasGroupHandlers;
    }

    public readonly bool IsGroupOpcode(uint opcode) => default(TDispatcher).IsGroupOpcode(opcode);

    public SlotStatus Dispatch(ref SlotContext slot, out int ordinal)
    {
        if (HasGroupHandlers && IsGroupOpcode(slot.Opcode) && WarpTeam<TDispatcher>.Current is { } team)
        {
            return team.Run(ref slot, out ordinal);
        }

        return default(GuardedDispatcher<TDispatcher>).Dispatch(ref slot, out ordinal);
    }

    /// <summary>No kernel is built over this dispatcher (the workers run <c>SlotExecutor.ExecuteOnCpu</c>): the same as <see cref="Dispatch"/>.</summary>
    public SlotStatus DispatchInKernel(ref SlotContext slot, ref SlotContext spill, out int ordinal) => Dispatch(ref slot, out ordinal);

    public SlotStatus DispatchGroup<TGroup>(ref SlotContext slot, ref TGroup group, out int ordinal)
        where TGroup : struct, ISlotGroup =>
        default(GuardedDispatcher<TDispatcher>).DispatchGroup(ref slot, ref group, out ordinal);
}
