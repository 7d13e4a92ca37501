using System.Runtime.CompilerServices;
using Vyre.Programs;

namespace Vyre.Internals;

/// <summary>
/// Runs an EXEC slot: the VIR0 program it names, instruction by instruction, on the lane that claimed the slot, calling
/// handlers through the generated dispatcher with the program's registers as their argument words (docs/vir0.md).
/// The host validates a program before it loads it; this code trusts nothing of that: the table entry, the header and
/// every instruction's operands are checked here before they are used, so a damaged or hostile program area can fault
/// the slot but never reach memory outside the area or another slot's registers.
/// </summary>
internal static class ProgramInterpreter
{
    /// <summary>Runs the program slot <paramref name="slot"/> names (EXEC); faults are recorded on <paramref name="slot"/>.</summary>
    public static void Run<TDispatcher>(MegakernelBuffers buffers, ref SlotContext slot, uint tenant)
        where TDispatcher : struct, IMegakernelDispatcher
    {
        uint id = slot.Arg(Vir0Format.ProgramArgument);
        uint pc = slot.Arg(Vir0Format.EntryArgument);
        if (!TryLoad(buffers.Programs, id, tenant, ref slot, out LoadedProgram program))
        {
            return;
        }

        if (pc >= program.Count)
        {
            slot.Fail(FaultCode.BadArgument, pc);
            return;
        }

        // The slot's words of the register buffer, on every backend (lane-local memory on CUDA measured no faster on the
        // H200, and one path serves all backends).
        SharedWords regs = buffers.Registers;
        int first = slot.SlotIndex * Vir0Format.MaxRegisters;

        int carried = program.Registers < Vir0Format.SlotRegisters ? (int)program.Registers : Vir0Format.SlotRegisters;
        for (int r = 0; r < (int)program.Registers; r++)
        {
            regs.Write(first + r, r < carried ? slot.Arg(Vir0Format.FirstRegisterArgument + r) : 0);
        }

        Vir0End end = Run<TDispatcher>(buffers.Programs, regs, ref slot, tenant, MaskOf(buffers, tenant), program, first, ref pc);
        for (int r = 0; r < carried; r++)
        {
            slot.SetResult(Vir0Format.FirstRegisterArgument + r, regs.ReadClaimed(first + r));
        }

        slot.SetResult(0, (uint)end);
        slot.SetResult(1, pc);
    }

    /// <summary>
    /// Runs program <paramref name="id"/> from its first instruction with r0..r3 = <paramref name="r0"/>..<paramref name="r3"/>
    /// (the rest zero) for a task of a graph (<see cref="TaskGraphRunner"/>); false with the fault recorded on
    /// <paramref name="slot"/> (detail: the instruction) when it did not halt. A yield ends a task like a halt.
    /// </summary>
    public static bool RunTask<TDispatcher>(MegakernelBuffers buffers, ref SlotContext slot, uint id, uint r0, uint r1, uint r2, uint r3)
        where TDispatcher : struct, IMegakernelDispatcher
    {
        if (!TryLoad(buffers.Programs, id, 0, ref slot, out LoadedProgram program))
        {
            return false;
        }

        SharedWords regs = buffers.Registers;
        int first = slot.SlotIndex * Vir0Format.MaxRegisters;

        for (int r = 0; r < (int)program.Registers; r++)
        {
            regs.Write(first + r, r switch { 0 => r0, 1 => r1, 2 => r2, 3 => r3, _ => 0 });
        }

        uint pc = 0;
        Run<TDispatcher>(buffers.Programs, regs, ref slot, 0, 0, program, first, ref pc);
        return !slot.HasFault;
    }

    /// <summary>The tenant's permission mask (the device's copy, <see cref="DeviceStateWord.TenantMasksFirst"/>), read once per run, not per call; 0 for tenant 0.</summary>
    private static uint MaskOf(in MegakernelBuffers buffers, uint tenant) =>
        tenant == 0 ? 0 : buffers.State.Read(DeviceStateWord.TenantMasksFirst + (int)tenant - 1);

    /// <summary>
    /// Finds program <paramref name="id"/> in the table and checks its entry and header against the area and each other;
    /// false with a fault recorded when EXEC is off, no program is there, or anything does not hold.
    /// </summary>
    private static bool TryLoad(SharedWords programs, uint id, uint tenant, ref SlotContext slot, out LoadedProgram program)
    {
        program = default;
        if (programs.Length <= Vir0Format.TableWords)
        {
            slot.Fail(FaultCode.Unsupported, Opcodes.Exec); // MegakernelOptions.ProgramWords is 0.
            return false;
        }

        if (id >= Vir0Format.MaxPrograms)
        {
            slot.Fail(FaultCode.BadArgument, id);
            return false;
        }

        // The entry and the header with volatile loads: the host writes them while the kernel runs (docs/vir0.md).
        int entry = (int)id * Vir0Format.TableEntryWords;
        uint offset = programs.Read(entry);
        uint length = programs.Read(entry + 1);
        uint owner = programs.Read(entry + 2);
        if (length == 0 || programs.Read(entry + 3) != Vir0Format.ProgramKind)
        {
            slot.Fail(FaultCode.BadArgument, id); // No program under this id.
            return false;
        }

        if (tenant != 0 && tenant != owner)
        {
            slot.Fail(FaultCode.UnauthorizedTenant, tenant);
            return false;
        }

        if (offset < Vir0Format.TableWords || length < Vir0Format.HeaderWords || (ulong)offset + length > (ulong)programs.Length)
        {
            slot.Fail(FaultCode.BadArgument, id);
            return false;
        }

        int start = (int)offset;
        uint registers = programs.Read(start + Vir0Format.RegistersWord);
        uint constants = programs.Read(start + Vir0Format.ConstantsWord);
        uint count = programs.Read(start + Vir0Format.InstructionsWord);
        uint fuel = programs.Read(start + Vir0Format.FuelWord);
        if (programs.Read(start) != Vir0Format.Magic
            || programs.Read(start + 1) != Vir0Format.Version
            || registers - 1 >= Vir0Format.MaxRegisters
            || constants > Vir0Format.MaxConstants
            || count - 1 >= Vir0Format.MaxInstructions
            || fuel - 1 >= Vir0Format.MaxFuel
            || (ulong)Vir0Format.HeaderWords + constants + ((ulong)count * Vir0Format.InstructionWords) != length)
        {
            slot.Fail(FaultCode.BadArgument, id);
            return false;
        }

        program = new LoadedProgram(start + Vir0Format.HeaderWords, (int)constants, count, fuel, registers);
        return true;
    }

    /// <summary>
    /// The instruction loop; leaves <paramref name="pcOut"/> where the run ended and records any fault on <paramref name="slot"/>.
    /// Not inlined: EXEC and graph tasks share one copy (and one copy of the dispatch tree, in <c>Call</c>), which keeps
    /// the megakernel small enough for ILGPU to compile quickly where it compiles at start (IlgpuCpu).
    /// </summary>
    /// <remarks>The pc stays in a local (a <c>ref</c> pc was a load and a store through memory every instruction).</remarks>
    private static Vir0End Run<TDispatcher>(
        SharedWords programs, SharedWords regs, ref SlotContext slot, uint tenant, uint mask, in LoadedProgram program, int first, ref uint pcOut)
        where TDispatcher : struct, IMegakernelDispatcher
    {
        int constantBase = program.ConstantBase;
        int constants = program.Constants;
        uint count = program.Count;
        uint fuel = program.Fuel;
        uint registers = program.Registers;
        int code = constantBase + constants;
        SlotContext call = slot.ForProgram(regs);
        uint pc = pcOut;
        for (uint used = 0; used < fuel; used++)
        {
            // pc < count here: the entry was checked, and every jump and step below keeps it so.
            int at = code + ((int)pc * Vir0Format.InstructionWords);
            uint word = programs.ReadClaimed(at);
            uint imm = programs.ReadClaimed(at + 1);
            uint op = word & 0xFF;
            uint a = (word >> 8) & 0xFF;
            uint b = (word >> 16) & 0xFF;
            uint c = word >> 24;
            // A call's b is its argument count and c is zero: every register read below stays inside the slot's words.
            if (a >= registers || (op == (uint)Vir0Op.Call ? b > Vir0Format.MaxCallArguments || c != 0 : b >= registers || c >= registers))
            {
                return Stop(ref slot, FaultCode.BadArgument, pc, ref pcOut);
            }

            uint va = regs.ReadClaimed(first + (int)a);
            uint vb = regs.ReadClaimed(first + (int)b);
            uint vc = regs.ReadClaimed(first + (int)c);
            uint next = pc + 1;
            bool write = true;
            uint value = 0;
            if (op >= (uint)Vir0Op.Jmp && op <= (uint)Vir0Op.Loop && imm >= count)
            {
                return Stop(ref slot, FaultCode.BadArgument, pc, ref pcOut); // A jump outside the program.
            }

            switch (op)
            {
                case (uint)Vir0Op.Halt:
                    pcOut = pc;
                    return Vir0End.Halted;
                case (uint)Vir0Op.Yield:
                    pcOut = next;
                    return Vir0End.Yielded;
                case (uint)Vir0Op.Fail:
                    return Stop(ref slot, FaultCode.HandlerFault, pc, ref pcOut);
                case (uint)Vir0Op.MovI:
                    value = imm;
                    break;
                case (uint)Vir0Op.Mov:
                    value = vb;
                    break;
                case (uint)Vir0Op.Ldc:
                    if (imm >= (uint)constants)
                    {
                        return Stop(ref slot, FaultCode.BadArgument, pc, ref pcOut);
                    }

                    value = programs.ReadClaimed(constantBase + (int)imm);
                    break;
                case (uint)Vir0Op.Add:
                    value = vb + vc;
                    break;
                case (uint)Vir0Op.Sub:
                    value = vb - vc;
                    break;
                case (uint)Vir0Op.Mul:
                    value = vb * vc;
                    break;
                case (uint)Vir0Op.DivU:
                case (uint)Vir0Op.RemU:
                    if (vc == 0)
                    {
                        return Stop(ref slot, FaultCode.BadArgument, pc, ref pcOut);
                    }

                    value = op == (uint)Vir0Op.DivU ? vb / vc : vb % vc;
                    break;
                case (uint)Vir0Op.And:
                    value = vb & vc;
                    break;
                case (uint)Vir0Op.Or:
                    value = vb | vc;
                    break;
                case (uint)Vir0Op.Xor:
                    value = vb ^ vc;
                    break;
                case (uint)Vir0Op.Shl:
                    value = vb << (int)(vc & 31);
                    break;
                case (uint)Vir0Op.ShrU:
                    value = vb >> (int)(vc & 31);
                    break;
                case (uint)Vir0Op.AddI:
                    value = vb + imm;
                    break;
                case (uint)Vir0Op.Eq:
                    value = vb == vc ? 1u : 0u;
                    break;
                case (uint)Vir0Op.Ne:
                    value = vb != vc ? 1u : 0u;
                    break;
                case (uint)Vir0Op.LtU:
                    value = vb < vc ? 1u : 0u;
                    break;
                case (uint)Vir0Op.LtS:
                    value = (int)vb < (int)vc ? 1u : 0u;
                    break;
                case (uint)Vir0Op.Jmp:
                    write = false;
                    next = imm;
                    break;
                case (uint)Vir0Op.Jz:
                    write = false;
                    next = va == 0 ? imm : next;
                    break;
                case (uint)Vir0Op.Jnz:
                    write = false;
                    next = va != 0 ? imm : next;
                    break;
                case (uint)Vir0Op.Loop:
                    value = va - 1;
                    next = value != 0 ? imm : next;
                    break;
                case (uint)Vir0Op.Call:
                    write = false;
                    if (!Call<TDispatcher>(ref slot, ref call, tenant, mask, imm, first + (int)a, b, a + b > registers, pc))
                    {
                        pcOut = pc;
                        return Vir0End.Halted;
                    }

                    break;
                default:
                    return Stop(ref slot, FaultCode.BadArgument, pc, ref pcOut); // No such operation.
            }

            if (write)
            {
                regs.Write(first + (int)a, value);
            }

            if (next >= count)
            {
                return Stop(ref slot, FaultCode.BadArgument, pc, ref pcOut); // Ran past the last instruction (jumps were checked).
            }

            pc = next;
        }

        return Stop(ref slot, FaultCode.FuelExhausted, pc, ref pcOut);
    }

    /// <summary>Ends a run at instruction <paramref name="pc"/> with <paramref name="fault"/> (detail: the instruction).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vir0End Stop(ref SlotContext slot, FaultCode fault, uint pc, ref uint pcOut)
    {
        slot.Fail(fault, pc);
        pcOut = pc;
        return Vir0End.Halted;
    }

    /// <summary>One <see cref="Vir0Op.Call"/>; false (with the fault recorded on <paramref name="slot"/>, detail = the instruction) when it faulted.</summary>
    /// <remarks>
    /// Not inlined: the dispatch tree with every handler is tens of kilobytes of GPU code, and inside the instruction loop
    /// it put the other operations' cases that far from the loop's head that every instruction paid for fetching its code
    /// again (H200: an `addi` step 0.52 µs inlined, 0.35 µs not; a call step 1.09-1.14 and 1.04 µs; docs/benchmarks.md).
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool Call<TDispatcher>(
        ref SlotContext slot, ref SlotContext call, uint tenant, uint mask, uint opcode, int firstWord, uint argumentCount, bool pastRegisters, uint pc)
        where TDispatcher : struct, IMegakernelDispatcher
    {
        if (argumentCount > Vir0Format.MaxCallArguments || pastRegisters || SlotExecutor.IsLoopLevel(opcode))
        {
            slot.Fail(FaultCode.BadArgument, pc);
            return false;
        }

        if (tenant != 0 && !SlotExecutor.IsAuthorized(mask, tenant, opcode))
        {
            slot.Fail(FaultCode.UnauthorizedTenant, pc);
            return false;
        }

        call.EnterProgramCall(opcode, firstWord, (int)argumentCount);
        // The call's context lives in memory anyway (its arguments are registers in the area): the plain dispatch on it.
        SlotStatus status = SlotExecutor.DispatchLane<TDispatcher>(ref call);
        if (status == SlotStatus.Done && !call.HasFault)
        {
            return true;
        }

        FaultCode fault = call.HasFault ? call.Fault : status == SlotStatus.WaitIo ? FaultCode.BadArgument : FaultCode.HandlerFault;
        call.ClearFault(); // The slot records it again with the instruction's index as the detail.
        slot.Fail(fault, pc);
        return false;
    }
}

/// <summary>A program's place and header fields, as <c>ProgramInterpreter.TryLoad</c> checked them.</summary>
internal readonly record struct LoadedProgram(int ConstantBase, int Constants, uint Count, uint Fuel, uint Registers);
