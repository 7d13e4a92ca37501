using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime.Cuda;
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
    /// <summary>Runs the program slot <paramref name="slot"/> names; faults are recorded on <paramref name="slot"/>.</summary>
    public static void Run<TDispatcher>(in MegakernelBuffers buffers, ref SlotContext slot, uint tenant)
        where TDispatcher : struct, IMegakernelDispatcher
    {
        SharedWords programs = buffers.Programs;
        if (programs.Length <= Vir0Format.TableWords)
        {
            slot.Fail(FaultCode.Unsupported, Opcodes.Exec); // MegakernelOptions.ProgramWords is 0.
            return;
        }

        uint id = slot.Arg(Vir0Format.ProgramArgument);
        uint pc = slot.Arg(Vir0Format.EntryArgument);
        if (id >= Vir0Format.MaxPrograms)
        {
            slot.Fail(FaultCode.BadArgument, id);
            return;
        }

        int entry = (int)id * Vir0Format.TableEntryWords;
        uint offset = programs.ReadClaimed(entry);
        uint length = programs.ReadClaimed(entry + 1);
        uint owner = programs.ReadClaimed(entry + 2);
        if (length == 0)
        {
            slot.Fail(FaultCode.BadArgument, id); // No program under this id.
            return;
        }

        if (tenant != 0 && tenant != owner)
        {
            slot.Fail(FaultCode.UnauthorizedTenant, tenant);
            return;
        }

        if (offset < Vir0Format.TableWords || length < Vir0Format.HeaderWords || (ulong)offset + length > (ulong)programs.Length)
        {
            slot.Fail(FaultCode.BadArgument, id);
            return;
        }

        int start = (int)offset;
        uint registers = programs.ReadClaimed(start + Vir0Format.RegistersWord);
        uint constants = programs.ReadClaimed(start + Vir0Format.ConstantsWord);
        uint count = programs.ReadClaimed(start + Vir0Format.InstructionsWord);
        uint fuel = programs.ReadClaimed(start + Vir0Format.FuelWord);
        if (programs.ReadClaimed(start) != Vir0Format.Magic
            || programs.ReadClaimed(start + 1) != Vir0Format.Version
            || registers - 1 >= Vir0Format.MaxRegisters
            || constants > Vir0Format.MaxConstants
            || count - 1 >= Vir0Format.MaxInstructions
            || fuel - 1 >= Vir0Format.MaxFuel
            || (ulong)Vir0Format.HeaderWords + constants + ((ulong)count * Vir0Format.InstructionWords) != length)
        {
            slot.Fail(FaultCode.BadArgument, id);
            return;
        }

        if (pc >= count)
        {
            slot.Fail(FaultCode.BadArgument, pc);
            return;
        }

        // On CUDA the registers live in the lane's local memory, which the L1 cache holds write-back (a global store goes
        // through to L2, and the next instruction's read of that register would wait for it); the CPU backends have no
        // local memory outside a kernel and use the slot's words of the register buffer.
        SharedWords regs;
        int first;
        if (CudaAsm.IsSupported)
        {
            regs = new SharedWords(LocalMemory.Allocate<uint>(Vir0Format.MaxRegisters), 0);
            first = 0;
        }
        else
        {
            regs = buffers.Registers;
            first = slot.SlotIndex * Vir0Format.MaxRegisters;
        }

        int carried = registers < Vir0Format.SlotRegisters ? (int)registers : Vir0Format.SlotRegisters;
        for (int r = 0; r < (int)registers; r++)
        {
            regs.Write(first + r, r < carried ? slot.Arg(Vir0Format.FirstRegisterArgument + r) : 0);
        }

        // The tenant's permissions are read once per run (host memory on CUDA), not per call.
        uint mask = tenant == 0 ? 0 : buffers.Control.Read(ControlWord.TenantMaskFirst + (int)tenant - 1);
        Vir0End end = Run<TDispatcher>(programs, regs, ref slot, tenant, mask, start + Vir0Format.HeaderWords, (int)constants, count, fuel, first, registers, ref pc);
        for (int r = 0; r < carried; r++)
        {
            slot.SetResult(Vir0Format.FirstRegisterArgument + r, regs.ReadClaimed(first + r));
        }

        slot.SetResult(0, (uint)end);
        slot.SetResult(1, pc);
    }

    /// <summary>The instruction loop; leaves <paramref name="pc"/> where the run ended and records any fault on <paramref name="slot"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vir0End Run<TDispatcher>(
        SharedWords programs, SharedWords regs, ref SlotContext slot, uint tenant, uint mask, int constantBase, int constants, uint count, uint fuel, int first, uint registers, ref uint pc)
        where TDispatcher : struct, IMegakernelDispatcher
    {
        int code = constantBase + constants;
        SlotContext call = slot.ForProgram(regs);
        TDispatcher dispatcher = default;
        for (uint used = 0; used < fuel; used++)
        {
            int at = code + ((int)pc * Vir0Format.InstructionWords);
            uint word = programs.ReadClaimed(at);
            uint imm = programs.ReadClaimed(at + 1);
            uint op = word & 0xFF;
            uint a = (word >> 8) & 0xFF;
            uint b = (word >> 16) & 0xFF;
            uint c = word >> 24;
            if (a >= registers || (op != (uint)Vir0Op.Call && (b >= registers || c >= registers)))
            {
                slot.Fail(FaultCode.BadArgument, pc);
                return Vir0End.Halted;
            }

            uint va = regs.ReadClaimed(first + (int)a);
            uint vb = regs.ReadClaimed(first + (int)b);
            uint vc = regs.ReadClaimed(first + (int)c);
            uint next = pc + 1;
            bool write = true;
            uint value = 0;
            if (op >= (uint)Vir0Op.Jmp && op <= (uint)Vir0Op.Loop && imm >= count)
            {
                slot.Fail(FaultCode.BadArgument, pc); // A jump outside the program.
                return Vir0End.Halted;
            }

            switch (op)
            {
                case (uint)Vir0Op.Halt:
                    return Vir0End.Halted;
                case (uint)Vir0Op.Yield:
                    pc = next;
                    return Vir0End.Yielded;
                case (uint)Vir0Op.Fail:
                    slot.Fail(FaultCode.HandlerFault, pc);
                    return Vir0End.Halted;
                case (uint)Vir0Op.MovI:
                    value = imm;
                    break;
                case (uint)Vir0Op.Mov:
                    value = vb;
                    break;
                case (uint)Vir0Op.Ldc:
                    if (imm >= (uint)constants)
                    {
                        slot.Fail(FaultCode.BadArgument, pc);
                        return Vir0End.Halted;
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
                        slot.Fail(FaultCode.BadArgument, pc);
                        return Vir0End.Halted;
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
                    if (!Call(ref dispatcher, ref slot, ref call, tenant, mask, imm, first + (int)a, b, a + b > registers, pc))
                    {
                        return Vir0End.Halted;
                    }

                    break;
                default:
                    slot.Fail(FaultCode.BadArgument, pc); // No such operation.
                    return Vir0End.Halted;
            }

            if (write)
            {
                regs.Write(first + (int)a, value);
            }

            pc = next;
        }

        slot.Fail(FaultCode.FuelExhausted, pc);
        return Vir0End.Halted;
    }

    /// <summary>One <see cref="Vir0Op.Call"/>; false (with the fault recorded on <paramref name="slot"/>, detail = the instruction) when it faulted.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Call<TDispatcher>(
        ref TDispatcher dispatcher, ref SlotContext slot, ref SlotContext call, uint tenant, uint mask, uint opcode, int firstWord, uint argumentCount, bool pastRegisters, uint pc)
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
        SlotStatus status = dispatcher.Dispatch(ref call, out _);
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
