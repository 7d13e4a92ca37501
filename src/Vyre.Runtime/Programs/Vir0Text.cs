using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Vyre.Programs;

/// <summary>
/// The small text form of VIR0 (docs/vir0.md has the grammar): one instruction per line, <c>name:</c> labels,
/// <c>.fuel</c>, <c>.registers</c> and <c>.const</c> directives, <c>;</c> comments. <see cref="Parse"/> assembles it,
/// <see cref="Format"/> writes a program back in it (parsing that gives the same words).
/// </summary>
public static class Vir0Text
{
    /// <summary>
    /// Assembles <paramref name="text"/>. <paramref name="opcodes"/> resolves handler names in <c>call</c> (for example
    /// <c>MegakernelHost.HandlerOpcodes</c>); without it a call names its opcode by number. Throws
    /// <see cref="Vir0FormatException"/> with the line and the reason.
    /// </summary>
    public static Vir0Program Parse(string text, IReadOnlyDictionary<string, uint>? opcodes = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        var code = new List<(Vir0Instruction Instruction, string? Target, int Line)>();
        var labels = new Dictionary<string, int>(StringComparer.Ordinal);
        var constants = new List<uint>();
        var constantNames = new Dictionary<string, int>(StringComparer.Ordinal);
        uint? fuel = null;
        int registers = 0;
        string[] lines = text.Split('\n');
        for (int n = 0; n < lines.Length; n++)
        {
            int line = n + 1;
            string content = StripComment(lines[n]).Trim();
            int colon = content.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && IsName(content[..colon].Trim()))
            {
                string label = content[..colon].Trim();
                if (!labels.TryAdd(label, code.Count))
                {
                    throw Error(line, $"label '{label}' is defined twice", "give each label one place");
                }

                content = content[(colon + 1)..].Trim();
            }

            if (content.Length == 0)
            {
                continue;
            }

            string[] parts = content.Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries);
            string mnemonic = parts[0].ToLowerInvariant();
            string[] operands = parts.Length > 1 ? parts[1].Split(',', StringSplitOptions.TrimEntries) : [];
            if (mnemonic.StartsWith('.'))
            {
                Directive(mnemonic, operands, line, ref fuel, ref registers, constants, constantNames);
                continue;
            }

            if (!TryOp(mnemonic, out Vir0Op op))
            {
                throw Error(line, $"'{parts[0]}' is no VIR0 operation", "use one of halt, yield, fail, movi, mov, ldc, add, sub, mul, divu, remu, and, or, xor, shl, shru, addi, eq, ne, ltu, lts, jmp, jz, jnz, loop, call");
            }

            code.Add(Instruction(op, operands, line, opcodes, constantNames));
        }

        if (fuel is null)
        {
            throw new Vir0FormatException("The program sets no fuel. Fix: add a line '.fuel N' with the most instructions one run may take.");
        }

        if (code.Count == 0)
        {
            throw new Vir0FormatException("The program has no instructions. Fix: write at least 'halt'.");
        }

        var resolved = new Vir0Instruction[code.Count];
        for (int i = 0; i < code.Count; i++)
        {
            (Vir0Instruction instruction, string? target, int line) = code[i];
            if (target is not null)
            {
                if (!labels.TryGetValue(target, out int index))
                {
                    throw Error(line, $"label '{target}' is not defined", "define it with 'name:' before an instruction");
                }

                instruction = instruction with { Immediate = (uint)index };
            }

            resolved[i] = instruction;
        }

        int used = 1;
        foreach (Vir0Instruction instruction in resolved)
        {
            used = Math.Max(used, RegistersUsed(instruction));
        }

        if (registers != 0 && used > registers)
        {
            throw new Vir0FormatException($"The instructions use registers up to r{used - 1} but '.registers {registers}' declares {registers}. Fix: declare {used}, or leave '.registers' out to declare as many as are used.");
        }

        return Vir0Program.Encode(registers != 0 ? registers : used, fuel.Value, [.. constants], resolved);
    }

    /// <summary>Writes <paramref name="program"/> as text that <see cref="Parse"/> turns back into the same words.</summary>
    public static string Format(Vir0Program program)
    {
        ArgumentNullException.ThrowIfNull(program);
        var targets = new HashSet<uint>();
        for (int i = 0; i < program.InstructionCount; i++)
        {
            Vir0Instruction instruction = program.Instruction(i);
            if (Vir0Instruction.IsJump(instruction.Op))
            {
                targets.Add(instruction.Immediate);
            }
        }

        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"; VIR0 program {program.Digest}\n");
        text.Append(CultureInfo.InvariantCulture, $".fuel {program.Fuel}\n");
        text.Append(CultureInfo.InvariantCulture, $".registers {program.Registers}\n");
        ReadOnlySpan<uint> constants = program.Constants;
        for (int k = 0; k < constants.Length; k++)
        {
            text.Append(CultureInfo.InvariantCulture, $".const k{k} 0x{constants[k]:X}\n");
        }

        for (int i = 0; i < program.InstructionCount; i++)
        {
            Vir0Instruction instruction = program.Instruction(i);
            string? label = Vir0Instruction.IsJump(instruction.Op) ? $"L{instruction.Immediate}" : null;
            if (targets.Contains((uint)i))
            {
                text.Append(CultureInfo.InvariantCulture, $"L{i}:\n");
            }

            text.Append("    ").Append(FormatInstruction(instruction, label)).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>The mnemonic of <paramref name="op"/> (the enum name, lower case).</summary>
    public static string Mnemonic(Vir0Op op) => Vir0Instruction.IsDefined(op) ? op.ToString().ToLowerInvariant() : $"op{(byte)op}";

    /// <summary>One instruction as text; jumps name <paramref name="label"/> when given, else their index.</summary>
    internal static string FormatInstruction(Vir0Instruction instruction, string? label)
    {
        string name = Mnemonic(instruction.Op);
        string target = label ?? instruction.Immediate.ToString(CultureInfo.InvariantCulture);
        return instruction.Op switch
        {
            Vir0Op.Halt or Vir0Op.Yield or Vir0Op.Fail => name,
            Vir0Op.MovI => $"{name} r{instruction.A}, 0x{instruction.Immediate:X}",
            Vir0Op.Ldc => $"{name} r{instruction.A}, k{instruction.Immediate}",
            Vir0Op.Mov => $"{name} r{instruction.A}, r{instruction.B}",
            Vir0Op.AddI => $"{name} r{instruction.A}, r{instruction.B}, 0x{instruction.Immediate:X}",
            Vir0Op.Jmp => $"{name} {target}",
            Vir0Op.Jz or Vir0Op.Jnz or Vir0Op.Loop => $"{name} r{instruction.A}, {target}",
            Vir0Op.Call => $"{name} 0x{instruction.Immediate:X}, r{instruction.A}, {instruction.B}",
            _ => $"{name} r{instruction.A}, r{instruction.B}, r{instruction.C}",
        };
    }

    private static void Directive(string name, string[] operands, int line, ref uint? fuel, ref int registers, List<uint> constants, Dictionary<string, int> constantNames)
    {
        switch (name)
        {
            case ".fuel" when operands.Length == 1:
                fuel = Number(operands[0], line);
                if (fuel < 1 || fuel > Vir0Format.MaxFuel)
                {
                    throw Error(line, $"fuel {fuel} is outside 1..{Vir0Format.MaxFuel}", "give the most instructions one run may take");
                }

                break;
            case ".registers" when operands.Length == 1:
                uint count = Number(operands[0], line);
                if (count < 1 || count > Vir0Format.MaxRegisters)
                {
                    throw Error(line, $"{count} registers is outside 1..{Vir0Format.MaxRegisters}", "declare fewer");
                }

                registers = (int)count;
                break;
            case ".const":
                string[] pair = operands.Length == 1 ? operands[0].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries) : [];
                if (pair.Length != 2 || !IsName(pair[0]))
                {
                    throw Error(line, "'.const' takes a name and a value", "write '.const name 0x1234'");
                }

                if (!constantNames.TryAdd(pair[0], constants.Count))
                {
                    throw Error(line, $"constant '{pair[0]}' is defined twice", "give each constant one name");
                }

                constants.Add(Number(pair[1], line));
                break;
            default:
                throw Error(line, $"'{name}' is no directive, or has the wrong operands", "use '.fuel N', '.registers N' or '.const name value'");
        }
    }

    private static (Vir0Instruction, string?, int) Instruction(Vir0Op op, string[] operands, int line, IReadOnlyDictionary<string, uint>? opcodes, Dictionary<string, int> constantNames)
    {
        Vir0Operands uses = Vir0Instruction.OperandsOf(op);
        int expected = op == Vir0Op.Call ? 3 : Count(uses);
        if (operands.Length != expected || (operands.Length == 1 && operands[0].Length == 0))
        {
            throw Error(line, $"'{Mnemonic(op)}' takes {expected} operand(s), not {operands.Length}", $"write it as '{FormatInstruction(new Vir0Instruction(op, 0, 0, 0, 0), "label")}'");
        }

        string? target = null;
        switch (op)
        {
            case Vir0Op.Halt or Vir0Op.Yield or Vir0Op.Fail:
                return (new Vir0Instruction(op, 0, 0, 0, 0), null, line);
            case Vir0Op.MovI:
                return (new Vir0Instruction(op, Reg(operands[0], line), 0, 0, Number(operands[1], line)), null, line);
            case Vir0Op.Ldc:
                uint index = constantNames.TryGetValue(operands[1], out int named) ? (uint)named : Number(operands[1], line);
                return (new Vir0Instruction(op, Reg(operands[0], line), 0, 0, index), null, line);
            case Vir0Op.Mov:
                return (new Vir0Instruction(op, Reg(operands[0], line), Reg(operands[1], line), 0, 0), null, line);
            case Vir0Op.AddI:
                return (new Vir0Instruction(op, Reg(operands[0], line), Reg(operands[1], line), 0, Number(operands[2], line)), null, line);
            case Vir0Op.Jmp:
                return (new Vir0Instruction(op, 0, 0, 0, Target(operands[0], line, ref target)), target, line);
            case Vir0Op.Jz or Vir0Op.Jnz or Vir0Op.Loop:
                return (new Vir0Instruction(op, Reg(operands[0], line), 0, 0, Target(operands[1], line, ref target)), target, line);
            case Vir0Op.Call:
                uint opcode = opcodes is not null && opcodes.TryGetValue(operands[0], out uint byName) ? byName : Number(operands[0], line);
                uint count = Number(operands[2], line);
                if (count > Vir0Format.MaxCallArguments)
                {
                    throw Error(line, $"a call passes at most {Vir0Format.MaxCallArguments} argument registers, not {count}", "pass fewer");
                }

                return (new Vir0Instruction(op, Reg(operands[1], line), (byte)count, 0, opcode), null, line);
            default:
                return (new Vir0Instruction(op, Reg(operands[0], line), Reg(operands[1], line), Reg(operands[2], line), 0), null, line);
        }
    }

    private static uint Target(string operand, int line, ref string? label)
    {
        if (IsName(operand) && !char.IsDigit(operand[0]))
        {
            label = operand;
            return 0;
        }

        return Number(operand, line);
    }

    private static int Count(Vir0Operands uses) =>
        (uses.HasFlag(Vir0Operands.A) ? 1 : 0) + (uses.HasFlag(Vir0Operands.B) ? 1 : 0) + (uses.HasFlag(Vir0Operands.C) ? 1 : 0) + (uses.HasFlag(Vir0Operands.Immediate) ? 1 : 0);

    private static int RegistersUsed(Vir0Instruction instruction)
    {
        Vir0Operands uses = Vir0Instruction.OperandsOf(instruction.Op);
        if (instruction.Op == Vir0Op.Call)
        {
            return instruction.A + Math.Max((int)instruction.B, 1);
        }

        int most = 0;
        most = uses.HasFlag(Vir0Operands.A) ? Math.Max(most, instruction.A + 1) : most;
        most = uses.HasFlag(Vir0Operands.B) ? Math.Max(most, instruction.B + 1) : most;
        return uses.HasFlag(Vir0Operands.C) ? Math.Max(most, instruction.C + 1) : most;
    }

    private static byte Reg(string operand, int line)
    {
        if (operand.Length >= 2 && (operand[0] == 'r' || operand[0] == 'R')
            && int.TryParse(operand.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out int register)
            && register < Vir0Format.MaxRegisters)
        {
            return (byte)register;
        }

        throw Error(line, $"'{operand}' is no register", $"write r0..r{Vir0Format.MaxRegisters - 1}");
    }

    private static uint Number(string operand, int line)
    {
        ReadOnlySpan<char> text = operand;
        bool negative = text.StartsWith("-");
        text = negative ? text[1..] : text;
        bool parsed = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? uint.TryParse(text[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint value)
            : uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        if (!parsed || (negative && value > 1u << 31))
        {
            throw Error(line, $"'{operand}' is no 32-bit number", "write a decimal (may be negative) or 0x hex number");
        }

        return negative ? (uint)-(long)value : value;
    }

    private static bool TryOp(string mnemonic, out Vir0Op op)
    {
        for (Vir0Op candidate = Vir0Op.Halt; candidate <= Vir0Op.Call; candidate++)
        {
            if (Mnemonic(candidate) == mnemonic)
            {
                op = candidate;
                return true;
            }
        }

        op = default;
        return false;
    }

    private static bool IsName(string text)
    {
        if (text.Length == 0)
        {
            return false;
        }

        foreach (char c in text)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '_' && c != '.')
            {
                return false;
            }
        }

        return true;
    }

    private static string StripComment(string line)
    {
        int cut = line.IndexOfAny([';', '#']);
        return cut >= 0 ? line[..cut] : line;
    }

    private static Vir0FormatException Error(int line, string what, string fix) => new($"VIR0 text, line {line}: {what}. Fix: {fix}.");
}
