using System;

namespace Vyre.Programs;

/// <summary>
/// A VIR0 program loaded into one megakernel (<see cref="MegakernelHost.LoadProgram"/>): its id in the device's
/// program table, its digest, and the tenant it was loaded for. Valid for that host only.
/// </summary>
/// <param name="Id">The program's entry in the device's program table (EXEC argument 0).</param>
/// <param name="Digest">The program's SHA-256 digest (<see cref="Vir0Program.Digest"/>).</param>
/// <param name="Tenant">The tenant the program was loaded for; slots of other tenants (but tenant 0) fault <see cref="FaultCode.UnauthorizedTenant"/>.</param>
public readonly record struct ProgramHandle(uint Id, string Digest, uint Tenant)
{
    /// <summary>
    /// An EXEC slot that runs the program from its first instruction with <paramref name="registers"/> in r0.. (at most
    /// <see cref="Vir0Format.SlotRegisters"/>; the rest start at zero), submitted as the program's tenant.
    /// </summary>
    public SlotRequest Exec(params ReadOnlySpan<uint> registers) => Request(0, registers);

    /// <summary>An EXEC slot that goes on where <paramref name="yielded"/> (a run that ended <see cref="Vir0End.Yielded"/>) stopped, with its r0..r9.</summary>
    public SlotRequest Resume(in SlotResult yielded)
    {
        ProgramResult result = ProgramResult.Of(yielded);
        if (result.End != Vir0End.Yielded)
        {
            throw new ArgumentException("The run halted; only a yielded run can be resumed. Fix: resume results whose End is Vir0End.Yielded.", nameof(yielded));
        }

        return Request(result.Pc, yielded.Words[Vir0Format.FirstRegisterArgument..]);
    }

    private SlotRequest Request(uint entry, ReadOnlySpan<uint> registers)
    {
        if (registers.Length > Vir0Format.SlotRegisters)
        {
            throw new ArgumentException($"An EXEC slot carries r0..r{Vir0Format.SlotRegisters - 1}; {registers.Length} registers were given. Fix: pass at most {Vir0Format.SlotRegisters}, and put the rest in the heap or the program's constants.", nameof(registers));
        }

        Span<uint> args = stackalloc uint[Vir0Format.FirstRegisterArgument + Vir0Format.SlotRegisters];
        args[Vir0Format.ProgramArgument] = Id;
        args[Vir0Format.EntryArgument] = entry;
        registers.CopyTo(args[Vir0Format.FirstRegisterArgument..]);
        return new SlotRequest(Opcodes.Exec, args[..(Vir0Format.FirstRegisterArgument + registers.Length)]) { Tenant = Tenant };
    }
}

/// <summary>What an EXEC slot that completed DONE says: how the run ended, where, and r0..r9.</summary>
public readonly struct ProgramResult
{
    private readonly SlotResult _result;

    private ProgramResult(SlotResult result) => _result = result;

    /// <summary>Halted, or yielded (resume with <see cref="ProgramHandle.Resume"/>).</summary>
    public Vir0End End => (Vir0End)_result[0];

    /// <summary>The halting instruction, or the one a yielded run goes on from.</summary>
    public uint Pc => _result[1];

    /// <summary>Register <paramref name="register"/> (0..9) as the run left it.</summary>
    public uint Register(int register)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(register);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(register, Vir0Format.SlotRegisters);
        return _result[Vir0Format.FirstRegisterArgument + register];
    }

    /// <summary>
    /// Reads the result of an EXEC slot. A slot that ended in FAULT throws <see cref="InvalidOperationException"/> naming the
    /// fault and, for faults of the program, the instruction (its detail word); check <see cref="SlotResult.State"/> first
    /// to handle faults without one.
    /// </summary>
    public static ProgramResult Of(in SlotResult result)
    {
        if (!result.IsDone)
        {
            throw new InvalidOperationException($"The EXEC slot ended {result.State} with fault {result.Fault} (detail {result.FaultDetail}: the instruction, for a fault inside the program). Fix: see docs/vir0.md, 'Faults'.");
        }

        return new ProgramResult(result);
    }
}
