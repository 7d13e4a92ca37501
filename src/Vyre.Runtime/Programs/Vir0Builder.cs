using System;
using System.Collections.Generic;

namespace Vyre.Programs;

/// <summary>A place in a program under construction that jumps name; <see cref="Vir0Builder.Mark"/> fixes where it is.</summary>
public readonly record struct Vir0Label(int Id);

/// <summary>
/// Builds a VIR0 program from C#: one method per operation, labels for jumps, constants by value. Registers are
/// numbers 0..63 (<c>r0</c>..); the program declares as many as it uses unless <see cref="Registers"/> says more.
/// <see cref="Build"/> checks everything the format requires and throws <see cref="Vir0FormatException"/> otherwise.
/// </summary>
/// <example><code>
/// var b = new Vir0Builder(fuel: 10_000);
/// Vir0Label top = b.Label();
/// b.Mark(top);
/// b.Call(MyKernels.Opcodes.Increment, firstRegister: 0, count: 1); // r0 = r0 + 1
/// b.Loop(1, top);                                                  // r1 -= 1; again while r1 != 0
/// b.Halt();
/// Vir0Program program = b.Build();
/// </code></example>
public sealed class Vir0Builder
{
    private readonly List<Vir0Instruction> _code = [];
    private readonly List<uint> _constants = [];
    private readonly Dictionary<uint, int> _constantIndex = [];
    private readonly List<int> _labels = [];
    private readonly List<(int Instruction, int Label)> _fixups = [];
    private int _registersUsed;

    /// <summary>Starts a program whose runs take at most <paramref name="fuel"/> instructions (1 .. <see cref="Vir0Format.MaxFuel"/>).</summary>
    public Vir0Builder(uint fuel)
    {
        if (fuel < 1 || fuel > Vir0Format.MaxFuel)
        {
            throw new ArgumentOutOfRangeException(nameof(fuel), fuel, $"Fuel is the most instructions one run takes, 1..{Vir0Format.MaxFuel}. Fix: give a bound the program can finish within.");
        }

        Fuel = fuel;
    }

    /// <summary>The most instructions one EXEC slot runs.</summary>
    public uint Fuel { get; }

    /// <summary>Registers to declare (at least as many as the instructions use); 0 (default) declares as many as they use, at least one.</summary>
    public int Registers { get; set; }

    /// <summary>Index the next instruction will have.</summary>
    public int Position => _code.Count;

    /// <summary>A new label, not yet marked.</summary>
    public Vir0Label Label()
    {
        _labels.Add(-1);
        return new Vir0Label(_labels.Count - 1);
    }

    /// <summary>Marks <paramref name="label"/> at the next instruction.</summary>
    public Vir0Builder Mark(Vir0Label label)
    {
        CheckLabel(label);
        if (_labels[label.Id] >= 0)
        {
            throw new InvalidOperationException($"Label {label.Id} is already marked at instruction {_labels[label.Id]}. Fix: make a new label for each place.");
        }

        _labels[label.Id] = _code.Count;
        return this;
    }

    /// <summary>The index of constant <paramref name="value"/>, added once however often it is asked for.</summary>
    public int Constant(uint value)
    {
        if (!_constantIndex.TryGetValue(value, out int index))
        {
            index = _constants.Count;
            _constants.Add(value);
            _constantIndex.Add(value, index);
        }

        return index;
    }

    /// <summary><see cref="Vir0Op.Halt"/>.</summary>
    public Vir0Builder Halt() => Emit(Vir0Op.Halt, 0, 0, 0, 0);

    /// <summary><see cref="Vir0Op.Yield"/>.</summary>
    public Vir0Builder Yield() => Emit(Vir0Op.Yield, 0, 0, 0, 0);

    /// <summary><see cref="Vir0Op.Fail"/>.</summary>
    public Vir0Builder Fail() => Emit(Vir0Op.Fail, 0, 0, 0, 0);

    /// <summary><c>ra = value</c>.</summary>
    public Vir0Builder MovI(int ra, uint value) => Emit(Vir0Op.MovI, Register(ra), 0, 0, value);

    /// <summary><c>ra = rb</c>.</summary>
    public Vir0Builder Mov(int ra, int rb) => Emit(Vir0Op.Mov, Register(ra), Register(rb), 0, 0);

    /// <summary><c>ra = value</c> through the constant table (<see cref="Vir0Op.Ldc"/>).</summary>
    public Vir0Builder Ldc(int ra, uint value) => Emit(Vir0Op.Ldc, Register(ra), 0, 0, (uint)Constant(value));

    /// <summary><c>ra = rb + imm</c>.</summary>
    public Vir0Builder AddI(int ra, int rb, uint imm) => Emit(Vir0Op.AddI, Register(ra), Register(rb), 0, imm);

    /// <summary>A three-register operation: <c>ra = rb op rc</c> (<see cref="Vir0Op.Add"/> .. <see cref="Vir0Op.ShrU"/>, <see cref="Vir0Op.Eq"/> .. <see cref="Vir0Op.LtS"/>).</summary>
    public Vir0Builder Op(Vir0Op op, int ra, int rb, int rc)
    {
        if (Vir0Instruction.OperandsOf(op) != (Vir0Operands.A | Vir0Operands.B | Vir0Operands.C) || !Vir0Instruction.IsDefined(op))
        {
            throw new ArgumentException($"{op} is not a three-register operation. Fix: use its own method (Vir0Builder.{op}).", nameof(op));
        }

        return Emit(op, Register(ra), Register(rb), Register(rc), 0);
    }

    /// <summary>Jumps to <paramref name="target"/>.</summary>
    public Vir0Builder Jmp(Vir0Label target) => Jump(Vir0Op.Jmp, 0, target);

    /// <summary>Jumps to <paramref name="target"/> when <c>ra == 0</c>.</summary>
    public Vir0Builder Jz(int ra, Vir0Label target) => Jump(Vir0Op.Jz, Register(ra), target);

    /// <summary>Jumps to <paramref name="target"/> when <c>ra != 0</c>.</summary>
    public Vir0Builder Jnz(int ra, Vir0Label target) => Jump(Vir0Op.Jnz, Register(ra), target);

    /// <summary><c>ra -= 1</c>; jumps to <paramref name="target"/> while <c>ra != 0</c>.</summary>
    public Vir0Builder Loop(int ra, Vir0Label target) => Jump(Vir0Op.Loop, Register(ra), target);

    /// <summary>Calls <paramref name="opcode"/> with registers <paramref name="firstRegister"/> .. + <paramref name="count"/> - 1 as its arguments (and results).</summary>
    public Vir0Builder Call(uint opcode, int firstRegister, int count)
    {
        if (count < 0 || count > Vir0Format.MaxCallArguments)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, $"A call passes 0..{Vir0Format.MaxCallArguments} argument registers. Fix: pass fewer.");
        }

        byte first = Register(firstRegister);
        if (count > 0)
        {
            Register(firstRegister + count - 1);
        }

        return Emit(Vir0Op.Call, first, (byte)count, 0, opcode);
    }

    /// <summary>The program; throws <see cref="Vir0FormatException"/> when it breaks a rule of the format.</summary>
    public Vir0Program Build()
    {
        Vir0Instruction[] code = [.. _code];
        foreach ((int instruction, int label) in _fixups)
        {
            int target = _labels[label];
            if (target < 0)
            {
                throw new Vir0FormatException($"Instruction {instruction} jumps to label {label}, which was never marked. Fix: call Mark(label) where it belongs.", instruction);
            }

            code[instruction] = code[instruction] with { Immediate = (uint)target };
        }

        if (Registers < 0 || Registers > Vir0Format.MaxRegisters)
        {
            throw new Vir0FormatException($"Registers {Registers} is outside 0..{Vir0Format.MaxRegisters}. Fix: give 0 (as many as used) or a count in range.");
        }

        if (Registers != 0 && _registersUsed > Registers)
        {
            throw new Vir0FormatException($"The instructions use registers up to r{_registersUsed - 1} but Registers is {Registers}. Fix: set Registers to {_registersUsed}, or to 0 to declare as many as are used.");
        }

        int registers = Registers != 0 ? Registers : Math.Max(_registersUsed, 1);
        return Vir0Program.Encode(registers, Fuel, [.. _constants], code);
    }

    private Vir0Builder Jump(Vir0Op op, byte ra, Vir0Label target)
    {
        CheckLabel(target);
        _fixups.Add((_code.Count, target.Id));
        return Emit(op, ra, 0, 0, 0);
    }

    private Vir0Builder Emit(Vir0Op op, byte a, byte b, byte c, uint immediate)
    {
        if (_code.Count >= Vir0Format.MaxInstructions)
        {
            throw new InvalidOperationException($"A VIR0 program has at most {Vir0Format.MaxInstructions} instructions. Fix: split the program.");
        }

        _code.Add(new Vir0Instruction(op, a, b, c, immediate));
        return this;
    }

    private byte Register(int register)
    {
        if (register < 0 || register >= Vir0Format.MaxRegisters)
        {
            throw new ArgumentOutOfRangeException(nameof(register), register, $"Registers are r0..r{Vir0Format.MaxRegisters - 1}. Fix: use one of those.");
        }

        _registersUsed = Math.Max(_registersUsed, register + 1);
        return (byte)register;
    }

    private void CheckLabel(Vir0Label label)
    {
        if ((uint)label.Id >= (uint)_labels.Count)
        {
            throw new ArgumentException($"Label {label.Id} was not made by this builder. Fix: use Label() of the same builder.", nameof(label));
        }
    }
}
