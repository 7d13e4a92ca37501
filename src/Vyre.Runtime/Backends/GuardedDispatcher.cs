using System;
using System.Reflection;
using System.Threading;
using ILGPU.Frontend;
using ILGPU.Frontend.Intrinsic;
using Vyre.Internals;

namespace Vyre.Backends;

/// <summary>
/// The CPU backends' dispatcher: the generated one, with a .NET exception from a handler (a zero divisor, a
/// <c>checked</c> overflow) turned into <see cref="FaultCode.HandlerException"/> on its slot, so the worker or
/// kernel thread goes on with the next slot. (A stack overflow cannot be caught and stays fatal.)
/// </summary>
/// <remarks>
/// On IlgpuCpu the kernel is ILGPU's: its frontend builds IR of everything the kernel reaches and rejects
/// try/catch, but its CPU accelerator then runs the original IL. <see cref="RegisterWithIlgpu"/> tells the
/// frontend to compile <see cref="DispatchUnguarded"/> in place of <see cref="Dispatch"/> (a public ILGPU
/// remapping), so the IR is the plain call and the thread that runs the kernel still runs the guard.
/// </remarks>
internal struct GuardedDispatcher<TDispatcher> : IMegakernelDispatcher
    where TDispatcher : struct, IMegakernelDispatcher
{
    private static int s_registered;

    public SlotStatus Dispatch(ref SlotContext slot, out int ordinal)
    {
        ordinal = SlotExecutor.SystemOrdinal;
        try
        {
            TDispatcher inner = default;
            return inner.Dispatch(ref slot, out ordinal);
        }
        catch (Exception ex)
        {
            return slot.Fail(FaultCode.HandlerException, (uint)ex.HResult);
        }
    }

    /// <summary><see cref="Dispatch"/>'s guard around the generated <see cref="IMegakernelDispatcher.DispatchInKernel"/> (ILGPU's CPU kernels).</summary>
    public SlotStatus DispatchInKernel(ref SlotContext slot, ref SlotContext spill, out int ordinal)
    {
        ordinal = SlotExecutor.SystemOrdinal;
        try
        {
            TDispatcher inner = default;
            return inner.DispatchInKernel(ref slot, ref spill, out ordinal);
        }
        catch (Exception ex)
        {
            return slot.Fail(FaultCode.HandlerException, (uint)ex.HResult);
        }
    }

    /// <summary>What ILGPU's frontend compiles in place of <see cref="DispatchInKernel"/>: the same call, unguarded.</summary>
    public SlotStatus DispatchInKernelUnguarded(ref SlotContext slot, ref SlotContext spill, out int ordinal)
    {
        TDispatcher inner = default;
        return inner.DispatchInKernel(ref slot, ref spill, out ordinal);
    }

    public readonly bool HasGroupHandlers
    {
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        get => default(TDispatcher).HasGroupHandlers;
    }

    public readonly bool IsGroupOpcode(uint opcode) => default(TDispatcher).IsGroupOpcode(opcode);

    /// <summary>
    /// A warp-wide handler on one lane of its group, with an exception turned into <see cref="FaultCode.HandlerException"/>
    /// on the slot. The lane then leaves the handler early: on Managed the group's other lanes go on without it
    /// (<see cref="Managed.WarpTeam{TDispatcher}"/>); on ILGPU's CPU warp the other lanes' next collective operation pairs
    /// with whatever this lane does next, so the slot's results are void (it ends in FAULT).
    /// </summary>
    public SlotStatus DispatchGroup<TGroup>(ref SlotContext slot, ref TGroup group, out int ordinal)
        where TGroup : struct, ISlotGroup
    {
        ordinal = SlotExecutor.SystemOrdinal;
        try
        {
            TDispatcher inner = default;
            return inner.DispatchGroup(ref slot, ref group, out ordinal);
        }
        catch (Exception ex)
        {
            return slot.Fail(FaultCode.HandlerException, (uint)ex.HResult);
        }
    }

    /// <summary>What ILGPU's frontend compiles in place of <see cref="DispatchGroup{TGroup}"/>: the same call, unguarded.</summary>
    public SlotStatus DispatchGroupUnguarded<TGroup>(ref SlotContext slot, ref TGroup group, out int ordinal)
        where TGroup : struct, ISlotGroup
    {
        TDispatcher inner = default;
        return inner.DispatchGroup(ref slot, ref group, out ordinal);
    }

    /// <summary>What ILGPU's frontend compiles in place of <see cref="Dispatch"/>: the same call, unguarded.</summary>
    public SlotStatus DispatchUnguarded(ref SlotContext slot, out int ordinal)
    {
        TDispatcher inner = default;
        return inner.Dispatch(ref slot, out ordinal);
    }

    /// <summary>Registers the remapping once per dispatcher type, before a kernel that uses this type is compiled.</summary>
    public static void RegisterWithIlgpu()
    {
        if (Interlocked.Exchange(ref s_registered, 1) != 0)
        {
            return;
        }

        MethodInfo guarded = typeof(GuardedDispatcher<TDispatcher>).GetMethod(nameof(Dispatch), BindingFlags.Public | BindingFlags.Instance)!;
        MethodInfo unguarded = typeof(GuardedDispatcher<TDispatcher>).GetMethod(nameof(DispatchUnguarded), BindingFlags.Public | BindingFlags.Instance)!;
        MethodInfo guardedInKernel = typeof(GuardedDispatcher<TDispatcher>).GetMethod(nameof(DispatchInKernel), BindingFlags.Public | BindingFlags.Instance)!;
        MethodInfo unguardedInKernel = typeof(GuardedDispatcher<TDispatcher>).GetMethod(nameof(DispatchInKernelUnguarded), BindingFlags.Public | BindingFlags.Instance)!;
        MethodInfo guardedGroup = typeof(GuardedDispatcher<TDispatcher>).GetMethod(nameof(DispatchGroup), BindingFlags.Public | BindingFlags.Instance)!.MakeGenericMethod(typeof(WarpGroup));
        MethodInfo unguardedGroup = typeof(GuardedDispatcher<TDispatcher>).GetMethod(nameof(DispatchGroupUnguarded), BindingFlags.Public | BindingFlags.Instance)!.MakeGenericMethod(typeof(WarpGroup));
        lock (IlgpuRemappings.Gate)
        {
            RemappedIntrinsics.AddRemapping(guarded, (ref InvocationContext context) => context.Method = unguarded);
            RemappedIntrinsics.AddRemapping(guardedInKernel, (ref InvocationContext context) => context.Method = unguardedInKernel);
            RemappedIntrinsics.AddRemapping(guardedGroup, (ref InvocationContext context) => context.Method = unguardedGroup);
        }
    }
}

/// <summary>ILGPU's remapping table is not thread-safe to add to: every addition takes this lock.</summary>
internal static class IlgpuRemappings
{
    public static readonly Lock Gate = new();
}
