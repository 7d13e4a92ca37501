using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime.Cuda;

namespace Vyre.Internals;

/// <summary>
/// Runs one claimed slot to its end state: tenant check, the loop-level built-ins (BATCH_FENCE, PRINTF,
/// SHUTDOWN, PACKED_SLOT, LOAD_MISS, EXEC, GRAPH_WORKER), the generated dispatch tree for everything else, and completion
/// (payload, system fence, status last). The GPU device loop and the CPU workers both call it, so every
/// backend runs the same protocol code.
/// </summary>
internal static class SlotExecutor
{
    /// <summary>Polls a BATCH_FENCE makes of one earlier slot before it gives up with <see cref="FaultCode.FuelExhausted"/>.</summary>
    public const int FenceFuel = 1 << 28;

    /// <summary>Metric ordinal of the loop-level built-ins, unknown opcodes and ordinals past the metric words.</summary>
    public const int SystemOrdinal = ControlWord.MetricCount - 1;

    /// <summary>
    /// Runs sequence number <paramref name="sequence"/> (ring slot <c>sequence % SlotCount</c>), whose words the caller has
    /// read, and returns the metric ordinal it ran under. <paramref name="spill"/> is the kernel thread's room for a copy of
    /// the context (<see cref="Run{TDispatcher, TSite}"/>): declared where the thread's loop begins, so that ILGPU clears it
    /// once per kernel thread rather than once per slot; what it holds on entry is never read.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Execute<TDispatcher>(in MegakernelBuffers buffers, uint sequence, in SlotWords words, ref SlotContext spill)
        where TDispatcher : struct, IMegakernelDispatcher
    {
        int slotIndex = buffers.SlotOf(sequence);
        uint opcode = words.Opcode;
        uint tenant = words.Tenant;
        var slot = new SlotContext(buffers, slotIndex, opcode, tenant, words);
        return Run<TDispatcher, InKernel>(buffers, ref slot, ref spill, sequence, opcode, tenant);
    }

    /// <summary>
    /// <see cref="Execute{TDispatcher}"/> for the Managed workers, with the context filled in
    /// place (<see cref="SlotContext.Init"/> says why); never compiled for a device: a kernel that chose between the two
    /// forms by backend kept both forms' locals (831-927 local-memory stores in the benchmark's kernel, against 690 now).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    [SkipLocalsInit] // Init writes every field, and spill is written before each use: no zeroing of 2 × 208 bytes per slot.
    public static int ExecuteOnCpu<TDispatcher>(in MegakernelBuffers buffers, uint sequence)
        where TDispatcher : struct, IMegakernelDispatcher
    {
        int slotIndex = buffers.SlotOf(sequence);
        SlotWords words = SlotWords.Read(buffers.Ring, slotIndex * SlotLayout.WordCount);
        SlotContext.Init(out SlotContext slot, buffers, slotIndex, words.Opcode, words.Tenant, words);
        Unsafe.SkipInit(out SlotContext spill);
        return Run<TDispatcher, OnCpu>(buffers, ref slot, ref spill, sequence, words.Opcode, words.Tenant);
    }

    /// <summary>
    /// The body of <see cref="Execute{TDispatcher}"/> on a context made for <paramref name="sequence"/>. The context's
    /// address never reaches a call ILGPU does not inline: the built-ins that are functions of their own run on
    /// <paramref name="spill"/>, a copy, copied back when they return, and the kernels dispatch through
    /// <see cref="IMegakernelDispatcher.DispatchInKernel"/>. A context whose address is taken lives in local memory, and
    /// every field a handler reads is then a load in a dependent chain: a tiny handler's stage of the GPU's round trip was
    /// 0.64 µs that way and 0.22 µs in registers (H200, 2026-12-02, docs/latency.md). The copy is the caller's
    /// (<paramref name="spill"/>), not a local of this method: ILGPU clears a local whose address is taken where the method
    /// that declares it begins, and this one's began every slot with 27 stores of zero before the tenant check.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Run<TDispatcher, TSite>(in MegakernelBuffers buffers, ref SlotContext slot, ref SlotContext spill, uint sequence, uint opcode, uint tenant)
        where TDispatcher : struct, IMegakernelDispatcher
        where TSite : struct, IDispatchSite
    {
        int ordinal = SystemOrdinal;
        SlotStatus status = SlotStatus.Done;
        if (!IsAuthorized(buffers.State, tenant, opcode))
        {
            slot.Fail(FaultCode.UnauthorizedTenant, tenant);
        }
        else if (!IsLoopLevel(opcode))
        {
            // The handlers first: the common case falls through, with no jump over the built-ins' inlined code.
            RoundTripTrace.Stamp(buffers, sequence, RoundTripTrace.HandlerStart);
            status = default(TSite).Dispatch<TDispatcher>(ref slot, ref spill, out ordinal);
            RoundTripTrace.Stamp(buffers, sequence, RoundTripTrace.HandlerEnd);
            if (status == SlotStatus.Fault && !slot.HasFault)
            {
                slot.Fail(FaultCode.HandlerFault, 0);
            }
            else if (status == SlotStatus.WaitIo && !slot.Load.Asked)
            {
                slot.Fail(FaultCode.BadArgument, (uint)SlotStatus.WaitIo); // WaitIo without a LoadMiss request.
            }

            if ((uint)ordinal >= SystemOrdinal)
            {
                ordinal = SystemOrdinal;
            }
        }
        else if (opcode == Opcodes.BatchFence)
        {
            spill = slot;
            RunFence(buffers, ref spill, sequence);
            slot = spill;
        }
        else if (opcode == Opcodes.Printf)
        {
            spill = slot;
            RunPrintf(buffers.DebugLog, ref spill);
            slot = spill;
        }
        else if (opcode == Opcodes.Shutdown)
        {
            Atomic.CompareExchange(ref buffers.State.View[DeviceStateWord.Stop], 0u, (uint)KernelExitReason.ShutdownOpcode);
        }
        else if (opcode == Opcodes.PackedSlot)
        {
            RoundTripTrace.Stamp(buffers, sequence, RoundTripTrace.HandlerStart);
            spill = slot;
            RunPacked<TDispatcher, TSite>(buffers.State, ref spill, tenant);
            slot = spill;
            RoundTripTrace.Stamp(buffers, sequence, RoundTripTrace.HandlerEnd);
        }
        else if (opcode == Opcodes.Exec)
        {
            RoundTripTrace.Stamp(buffers, sequence, RoundTripTrace.HandlerStart);
            spill = slot;
            ProgramInterpreter.Run<TDispatcher>(buffers, ref spill, tenant);
            slot = spill;
            RoundTripTrace.Stamp(buffers, sequence, RoundTripTrace.HandlerEnd);
        }
        else if (opcode == Opcodes.GraphWorker)
        {
            spill = slot;
            TaskGraphRunner.Run<TDispatcher>(buffers, ref spill, tenant);
            slot = spill;
        }
        else
        {
            // Opcodes.LoadMiss, the last of IsLoopLevel's opcodes.
            status = slot.LoadMiss(slot.Arg(0), slot.Arg(1) | ((ulong)slot.Arg(2) << 32), slot.Arg(3), slot.Arg(4));
        }

        if (status == SlotStatus.WaitIo && !slot.HasFault)
        {
            spill = slot;
            bool posted = PostLoad(buffers, ref spill, sequence);
            slot = spill;
            if (posted)
            {
                return ordinal; // The host's io service owns the slot now and finishes it.
            }
        }

        Complete(buffers, ref slot, sequence);
        return ordinal;
    }

    /// <summary>
    /// Runs warp-wide sequence <paramref name="sequence"/> (whose words every lane holds) on the whole group: every lane of
    /// the warp calls this. The group's scratch is zeroed first (it held another slot's words, perhaps another tenant's);
    /// every lane runs the handler; once all have returned, lane 0 completes the slot with lane 0's status and any fault a
    /// lane recorded. A warp's slot cannot wait for io: <see cref="SlotStatus.WaitIo"/> ends it in FAULT BadArgument.
    /// Returns the metric ordinal (lane 0 counts it).
    /// </summary>
    public static int ExecuteGroup<TDispatcher>(in MegakernelBuffers buffers, uint sequence, in SlotWords words, int lane, WarpScratch scratch)
        where TDispatcher : struct, IMegakernelDispatcher
    {
        int slotIndex = buffers.SlotOf(sequence);
        uint opcode = words.Opcode;
        uint tenant = words.Tenant;
        var slot = new SlotContext(buffers, slotIndex, opcode, tenant, words);

        for (int i = lane; i < scratch.Words.IntLength; i += Warp.WarpSize)
        {
            scratch.Words[i] = 0;
        }

        var group = new WarpGroup(lane, slot.ViewOf(scratch.Address, scratch.Words.IntLength));
        Warp.Barrier();
        int ordinal = SystemOrdinal;
        SlotStatus status = SlotStatus.Fault;
        if (!IsAuthorized(buffers.State, tenant, opcode))
        {
            if (lane == 0)
            {
                slot.Fail(FaultCode.UnauthorizedTenant, tenant);
            }
        }
        else
        {
            TDispatcher dispatcher = default;
            status = dispatcher.DispatchGroup(ref slot, ref group, out ordinal);
        }

        // Every lane's writes (results, scratch faults) are seen by lane 0 after the barrier; lane 0 reads the slot's
        // scratch whatever its own context did, because any lane may have recorded a fault there.
        Warp.Barrier();
        if (lane == 0)
        {
            slot.MarkMayHaveFault();
            if (status == SlotStatus.Fault && !slot.HasFault)
            {
                slot.Fail(FaultCode.HandlerFault, 0);
            }
            else if (status == SlotStatus.WaitIo)
            {
                slot.Fail(FaultCode.BadArgument, (uint)SlotStatus.WaitIo);
            }

            Complete(buffers, ref slot, sequence);
        }

        return (uint)ordinal >= SystemOrdinal ? SystemOrdinal : ordinal;
    }

    /// <summary>
    /// <see cref="ExecuteGroup{TDispatcher}"/> for the forwarder's lone slot, with its arguments by value. ILGPU builds its
    /// SSA before it folds the dead call of a megakernel without warp-wide handlers, so a call that received the forwarder's
    /// buffers and words by reference kept them in local memory (on the H200, 2026-12-02 13:35, the breakdown's claim went
    /// 0.16 → 0.06 µs, context 0.38 → 0.26 and the handler 0.26 → 0.16 with them in registers). The warps' claims keep the
    /// by-reference call: by value there as well, ILGPU carried the buffers' fields through the whole worker loop and the
    /// build step for the benchmarks' kernels took 4.1 s instead of 3.0, with the device side alone no faster (237.5 M
    /// slots/s against 253.7 in the call before).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int ExecuteGroupByValue<TDispatcher>(MegakernelBuffers buffers, uint sequence, SlotWords words, int lane, WarpScratch scratch)
        where TDispatcher : struct, IMegakernelDispatcher =>
        ExecuteGroup<TDispatcher>(buffers, sequence, words, lane, scratch);

    /// <summary>
    /// Runs <see cref="SlotContext.Opcode"/> as one call on this lane, for a packed op, through <typeparamref name="TSite"/>
    /// (<paramref name="spill"/> as in <see cref="Execute{TDispatcher}"/>): a warp-wide handler cannot be run there and
    /// records <see cref="FaultCode.Unsupported"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static SlotStatus DispatchLane<TDispatcher, TSite>(ref SlotContext slot, ref SlotContext spill)
        where TDispatcher : struct, IMegakernelDispatcher
        where TSite : struct, IDispatchSite =>
        IsGroupOnly<TDispatcher>(slot.Opcode)
            ? slot.Fail(FaultCode.Unsupported, slot.Opcode)
            : default(TSite).Dispatch<TDispatcher>(ref slot, ref spill, out _);

    /// <summary>
    /// <see cref="DispatchLane{TDispatcher, TSite}"/> with the plain dispatch on the context itself, for a VIR0 program's
    /// call on every backend: its call context lives in memory anyway (its arguments are registers).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static SlotStatus DispatchLane<TDispatcher>(ref SlotContext slot)
        where TDispatcher : struct, IMegakernelDispatcher =>
        IsGroupOnly<TDispatcher>(slot.Opcode)
            ? slot.Fail(FaultCode.Unsupported, slot.Opcode)
            : default(TDispatcher).Dispatch(ref slot, out _);

    /// <summary>Whether <paramref name="opcode"/> is a warp-wide handler's, which one lane cannot run.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsGroupOnly<TDispatcher>(uint opcode)
        where TDispatcher : struct, IMegakernelDispatcher
    {
        TDispatcher dispatcher = default;
        return dispatcher.HasGroupHandlers && dispatcher.IsGroupOpcode(opcode);
    }

    /// <summary>
    /// Whether <paramref name="tenant"/> may run <paramref name="opcode"/> under its mask word in <paramref name="state"/>
    /// (<see cref="DeviceStateWord.TenantMasksFirst"/>: device memory, the host's copy of its control words).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsAuthorized(SharedWords state, uint tenant, uint opcode)
    {
        if (tenant == 0)
        {
            return true;
        }

        if (tenant > ControlWord.TenantCount)
        {
            return false;
        }

        return IsAuthorized(state.Read(DeviceStateWord.TenantMasksFirst + (int)tenant - 1), tenant, opcode);
    }

    /// <summary>Whether tenant <paramref name="tenant"/> (1..TenantCount) with permission mask <paramref name="mask"/> may run <paramref name="opcode"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsAuthorized(uint mask, uint tenant, uint opcode)
    {
        int window = Opcodes.TenantWindowOf(opcode);
        if (window >= 0)
        {
            return window == (int)tenant && (mask & (uint)TenantPermissions.OwnWindow) != 0;
        }

        // EXEC needs only User: what a program may do is checked call by call (ProgramInterpreter).
        uint needed = Opcodes.IsSystem(opcode) && opcode != Opcodes.Exec ? (uint)TenantPermissions.System : (uint)TenantPermissions.User;
        return (mask & needed) != 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Complete(in MegakernelBuffers buffers, ref SlotContext slot, uint sequence)
    {
        uint state = (uint)SlotState.Done;
        if (slot.HasFault)
        {
            slot.WriteWord(SlotLayout.FaultCodeWord, (uint)slot.Fault);
            slot.WriteWord(SlotLayout.FaultDetailWord, slot.FaultDetail);
            slot.ClearFault();
            state = (uint)SlotState.Fault;
        }

        // Payload before status: the host reads results as soon as it sees the state.
        slot.ReleaseStatus(state);
        RoundTripTrace.Stamp(buffers, sequence, RoundTripTrace.StatusWritten);
        buffers.Completed.Write(slot.SlotIndex, sequence + 1);
        if (CudaAsm.IsSupported)
        {
            // Other lanes' fences poll it; on the CPU backends the store is seen without a full fence stalling this worker.
            // The fence also bears the lane's next slot: ptxas ends a GPU-scope fence with an L1 invalidation (MEMBAR.SC.GPU,
            // then CCTL.IVALL), and the next slot reads with plain loads that L1 caches (its slot scratch, its views of the
            // data buffer and the heap, which the host and other lanes rewrite). Without it (tried 2026-12-03) the GPU
            // suite's mixed soak ended slots with another slot's fault and streamed chunks hashed stale bytes.
            MemoryFence.DeviceLevel();
        }
    }

    /// <summary>
    /// Hands a LOAD_MISS request to the host's io service: takes a ticket, waits until the host has taken the
    /// request that last used the ticket's entry, marks the slot WAIT_IO, then publishes the entry. The slot's
    /// status goes first because once the entry is visible the host may finish the slot at any moment. The
    /// host takes entries as fast as it polls (reads past its depth wait in its own list), so the wait is
    /// short; it ends when the loop stops, the host asks to shut down, or after the heartbeat timeout (the
    /// host's io thread is then taken for dead). False (with a fault recorded) when the request cannot be
    /// handed over; the caller then completes the slot itself.
    /// </summary>
    private static bool PostLoad(MegakernelBuffers buffers, ref SlotContext slot, uint sequence)
    {
        if (buffers.State.Read(DeviceStateWord.IoServiceSeen) == 0)
        {
            if (buffers.Control.Read(ControlWord.IoServiceState) == 0)
            {
                slot.Fail(FaultCode.Unsupported, Opcodes.LoadMiss);
                return false;
            }

            buffers.State.Write(DeviceStateWord.IoServiceSeen, 1);
        }

        uint ticket = Atomic.Add(ref buffers.State.View[DeviceStateWord.IoTicket], 1u);
        bool waited = false;
        ulong started = 0;
        while (ticket - buffers.State.Read(DeviceStateWord.IoConsumedSeen) >= (uint)IoQueueLayout.Capacity)
        {
            if (!waited)
            {
                waited = true; // The clock is read only by a lane that waits.
                started = DeviceMemory.Now(buffers.State);
            }

            // The queue looks full: read the host's count, and give up when the loop must stop or the host is gone.
            buffers.State.Write(DeviceStateWord.IoConsumedSeen, buffers.Control.Read(ControlWord.IoConsumed));
            if (buffers.State.Read(DeviceStateWord.Stop) != 0 || buffers.Control.Read(ControlWord.Shutdown) != 0)
            {
                slot.Fail(FaultCode.IoError, IoQueueLayout.Canceled);
                return false;
            }

            ulong now = DeviceMemory.Now(buffers.State);
            if (now >= started && now - started > buffers.HeartbeatTimeout)
            {
                slot.Fail(FaultCode.IoError, IoQueueLayout.TimedOut);
                return false;
            }
        }

        LoadRequest load = slot.Load;
        SharedWords queue = buffers.IoQueue;
        int entry = (int)(ticket % (uint)IoQueueLayout.Capacity) * IoQueueLayout.EntryWords;
        buffers.Completed.Write(slot.SlotIndex, ~(sequence + 1));
        MemoryFence.SystemLevel();
        slot.WriteWord(SlotLayout.Status, (uint)SlotState.WaitIo);
        queue.Write(entry + IoQueueLayout.Op, IoQueueLayout.OpRead);
        queue.Write(entry + IoQueueLayout.Source, load.File);
        queue.Write(entry + IoQueueLayout.Destination, load.DataOffset);
        queue.Write(entry + IoQueueLayout.OffsetLow, (uint)load.FileOffset);
        queue.Write(entry + IoQueueLayout.OffsetHigh, (uint)(load.FileOffset >> 32));
        queue.Write(entry + IoQueueLayout.Bytes, load.Length);
        queue.Write(entry + IoQueueLayout.Tag, sequence);
        MemoryFence.SystemLevel();
        queue.Write(entry + IoQueueLayout.Status, (uint)SlotState.Published);
        MemoryFence.SystemLevel();
        return true;
    }

    private static void RunFence(MegakernelBuffers buffers, ref SlotContext slot, uint sequence)
    {
        uint earlier = slot.Arg(0);
        if (earlier >= (uint)buffers.SlotCount)
        {
            slot.Fail(FaultCode.BadArgument, earlier);
            return;
        }

        for (uint back = 1; back <= earlier; back++)
        {
            uint target = sequence - back;
            int index = buffers.SlotOf(target);
            int polls = 0;
            while (!IsCompleted(buffers, index, target))
            {
                // Before the 32-bit sequence numbers first wrap, a fence cannot wait for slots before sequence 0:
                // such a target's ring slot holds a mark no later than this slot (a real target's, after a wrap,
                // is within two rings of 2^32), so it was never published and never will be.
                if (back > sequence && buffers.Completed.Read(index) <= sequence)
                {
                    slot.Fail(FaultCode.BadArgument, earlier);
                    return;
                }

                if (++polls >= FenceFuel || buffers.State.Read(DeviceStateWord.Stop) != 0)
                {
                    slot.Fail(FaultCode.FuelExhausted, back);
                    return;
                }
            }
        }

        slot.SetResult(0, Atomic.Add(ref buffers.State.View[DeviceStateWord.Epoch], 1u) + 1);
    }

    /// <summary>
    /// Whether sequence <paramref name="target"/> in ring slot <paramref name="index"/> has completed: on
    /// the device, or, when it was handed to the io service, on the host. Only a fence that waits for such a
    /// slot reads host memory.
    /// </summary>
    private static bool IsCompleted(in MegakernelBuffers buffers, int index, uint target)
    {
        uint mark = buffers.Completed.Read(index);
        return mark == target + 1 || (mark == ~(target + 1) && buffers.IoCompleted.Read(index) == target + 1);
    }

    private static void RunPrintf(ArrayView<uint> log, ref SlotContext slot)
    {
        uint cursor = Atomic.Add(ref log[DebugLogLayout.Cursor], 1u);
        if (cursor < DebugLogLayout.Capacity)
        {
            int record = DebugLogLayout.FirstRecord + ((int)cursor * DebugLogLayout.RecordWords);
            log[record] = slot.Arg(0);
            log[record + 1] = slot.Arg(1);
            log[record + 2] = slot.Arg(2);
            log[record + 3] = (uint)slot.SlotIndex;
        }

        slot.SetResult(0, cursor);
    }

    /// <summary>
    /// PACKED_SLOT: runs its ops one after another on <c>op</c>, a copy of the slot's context that, in a kernel, stays in
    /// registers (its address reaches only inlined code: <see cref="IMegakernelDispatcher.DispatchInKernel"/> runs an
    /// AggressiveInlining handler in place); <paramref name="slot"/> is the executor's copy in local memory, where every
    /// field a handler read was a load in a dependent chain (H200, 2026-12-02: the PACKED run of one tiny op 1.38 µs, the op
    /// alone 0.16). Never inlined: inlined, it put a second dispatch tree on every slot's path (the benchmarks' kernel build
    /// took 5.5 s instead of 3).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void RunPacked<TDispatcher, TSite>(SharedWords state, ref SlotContext slot, uint tenant)
        where TDispatcher : struct, IMegakernelDispatcher
        where TSite : struct, IDispatchSite
    {
        SlotContext op = slot;
        // slot's memory is the ops' spill: nothing reads it until op is copied back over it.
        RunPackedOps<TDispatcher, TSite>(state, ref op, ref slot, tenant);
        slot = op;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RunPackedOps<TDispatcher, TSite>(SharedWords state, ref SlotContext slot, ref SlotContext spill, uint tenant)
        where TDispatcher : struct, IMegakernelDispatcher
        where TSite : struct, IDispatchSite
    {
        uint count = slot.Arg(0);
        if (count == 0 || count > PackedSlot.MaxOps)
        {
            slot.Fail(FaultCode.BadArgument, count);
            return;
        }

        for (int op = 0; op < (int)count; op++)
        {
            int opcodeWord = SlotLayout.FirstArgument + 1 + (2 * op);
            uint opcode = slot.ReadWord(opcodeWord);
            if (IsLoopLevel(opcode))
            {
                slot.Fail(FaultCode.BadArgument, opcode);
                return;
            }

            if (!IsAuthorized(state, tenant, opcode))
            {
                slot.Fail(FaultCode.UnauthorizedTenant, tenant);
                return;
            }

            slot.EnterPackedOp(opcode, opcodeWord + 1);
            SlotStatus status = DispatchLane<TDispatcher, TSite>(ref slot, ref spill);
            if (status != SlotStatus.Done || slot.HasFault)
            {
                // A packed op cannot wait for io: its slot is shared with the other ops.
                slot.Fail(status == SlotStatus.WaitIo ? FaultCode.BadArgument : FaultCode.HandlerFault, (uint)op);
                return;
            }
        }
    }

    /// <summary>
    /// Whether <paramref name="opcode"/> is run by the loop itself rather than the dispatch tree. <see cref="Run{TDispatcher, TSite}"/>
    /// has a branch for each, LOAD_MISS last and untested: a new opcode here needs a branch there (LoopLevelOpcodeTests).
    /// </summary>
    public static bool IsLoopLevel(uint opcode) =>
        opcode == Opcodes.BatchFence || opcode == Opcodes.Printf || opcode == Opcodes.Shutdown
        || opcode == Opcodes.PackedSlot || opcode == Opcodes.LoadMiss || opcode == Opcodes.Exec || opcode == Opcodes.GraphWorker;
}
