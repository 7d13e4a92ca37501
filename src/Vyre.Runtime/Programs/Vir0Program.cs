using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Vyre.Programs;

/// <summary>
/// A VIR0 program that passed every check of the format (docs/vir0.md): header, digest, and each instruction's operands,
/// constants and jump targets. Immutable. Make one with <see cref="Vir0Builder"/>, <see cref="Vir0Text.Parse"/> or
/// <see cref="Decode(ReadOnlySpan{byte})"/>; run it with <c>MegakernelHost.LoadProgram</c> and an EXEC slot. Whether
/// its calls name handlers of a given megakernel is checked when it is loaded there.
/// </summary>
public sealed class Vir0Program
{
    /// <summary>Most words a program may have: the header, the most constants and the most instructions.</summary>
    public const int MaxWords = Vir0Format.HeaderWords + Vir0Format.MaxConstants + (Vir0Format.MaxInstructions * Vir0Format.InstructionWords);

    private readonly uint[] _words;

    private Vir0Program(uint[] words)
    {
        _words = words;
        Digest = Convert.ToHexStringLower(MemoryMarshal.AsBytes(words.AsSpan(Vir0Format.DigestWord, 8)));
    }

    /// <summary>The encoded program, header included.</summary>
    public ReadOnlySpan<uint> Words => _words;

    /// <summary>Registers the program uses (r0 .. r<c>Registers - 1</c>).</summary>
    public int Registers => (int)_words[Vir0Format.RegistersWord];

    /// <summary>Most instructions one EXEC slot runs before it faults <see cref="FaultCode.FuelExhausted"/>.</summary>
    public uint Fuel => _words[Vir0Format.FuelWord];

    /// <summary>The constants (<see cref="Vir0Op.Ldc"/>).</summary>
    public ReadOnlySpan<uint> Constants => _words.AsSpan(Vir0Format.HeaderWords, (int)_words[Vir0Format.ConstantsWord]);

    /// <summary>Number of instructions.</summary>
    public int InstructionCount => (int)_words[Vir0Format.InstructionsWord];

    /// <summary>The SHA-256 digest of the program, lower-case hex: the key under which a megakernel caches it.</summary>
    public string Digest { get; }

    /// <summary>Instruction <paramref name="index"/>.</summary>
    public Vir0Instruction Instruction(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, InstructionCount);
        int at = CodeStart + (index * Vir0Format.InstructionWords);
        return Vir0Instruction.FromWords(_words[at], _words[at + 1]);
    }

    /// <summary>The program's call instructions: (instruction index, opcode).</summary>
    public IEnumerable<(int Instruction, uint Opcode)> Calls()
    {
        for (int i = 0; i < InstructionCount; i++)
        {
            Vir0Instruction instruction = Instruction(i);
            if (instruction.Op == Vir0Op.Call)
            {
                yield return (i, instruction.Immediate);
            }
        }
    }

    private int CodeStart => Vir0Format.HeaderWords + (int)_words[Vir0Format.ConstantsWord];

    /// <summary>The program as bytes (its words, little-endian): the file form <see cref="Decode(ReadOnlySpan{byte})"/> reads.</summary>
    public byte[] ToBytes()
    {
        byte[] bytes = new byte[_words.Length * sizeof(uint)];
        for (int i = 0; i < _words.Length; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * sizeof(uint)), _words[i]);
        }

        return bytes;
    }

    /// <summary>Decodes and checks a program's bytes; <see cref="Vir0FormatException"/> says why one is refused.</summary>
    public static Vir0Program Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length % sizeof(uint) != 0)
        {
            throw new Vir0FormatException($"A VIR0 program is whole 32-bit words; {bytes.Length} bytes is not. Fix: give the bytes Vir0Program.ToBytes wrote, whole (a truncated file?).");
        }

        if (bytes.Length / sizeof(uint) > MaxWords)
        {
            throw new Vir0FormatException($"A VIR0 program has at most {MaxWords} words; this one has {bytes.Length / sizeof(uint)}. Fix: split it, or check it is a VIR0 program.");
        }

        uint[] words = new uint[bytes.Length / sizeof(uint)];
        for (int i = 0; i < words.Length; i++)
        {
            words[i] = BinaryPrimitives.ReadUInt32LittleEndian(bytes.Slice(i * sizeof(uint)));
        }

        return Check(words);
    }

    /// <summary>Decodes and checks a program's words.</summary>
    public static Vir0Program Decode(ReadOnlySpan<uint> words)
    {
        if (words.Length > MaxWords)
        {
            throw new Vir0FormatException($"A VIR0 program has at most {MaxWords} words; this one has {words.Length}. Fix: split it, or check it is a VIR0 program.");
        }

        return Check(words.ToArray());
    }

    /// <summary>As <see cref="Decode(ReadOnlySpan{byte})"/>, without an exception: false and the reason when refused.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> bytes, out Vir0Program? program, out string? error)
    {
        try
        {
            program = Decode(bytes);
            error = null;
            return true;
        }
        catch (Vir0FormatException e)
        {
            program = null;
            error = e.Message;
            return false;
        }
    }

    /// <summary>Encodes a program from its parts, digest included, and checks it (the builder and the assembler call this).</summary>
    internal static Vir0Program Encode(int registers, uint fuel, ReadOnlySpan<uint> constants, ReadOnlySpan<Vir0Instruction> code)
    {
        long length = Vir0Format.HeaderWords + (long)constants.Length + ((long)code.Length * Vir0Format.InstructionWords);
        if (constants.Length > Vir0Format.MaxConstants || code.Length > Vir0Format.MaxInstructions)
        {
            throw new Vir0FormatException($"A VIR0 program has at most {Vir0Format.MaxConstants} constants and {Vir0Format.MaxInstructions} instructions; this one has {constants.Length} and {code.Length}. Fix: split the program.");
        }

        uint[] words = new uint[length];
        words[0] = Vir0Format.Magic;
        words[1] = Vir0Format.Version;
        words[Vir0Format.LengthWord] = (uint)length;
        words[Vir0Format.RegistersWord] = (uint)registers;
        words[Vir0Format.ConstantsWord] = (uint)constants.Length;
        words[Vir0Format.InstructionsWord] = (uint)code.Length;
        words[Vir0Format.FuelWord] = fuel;
        constants.CopyTo(words.AsSpan(Vir0Format.HeaderWords));
        int at = Vir0Format.HeaderWords + constants.Length;
        foreach (Vir0Instruction instruction in code)
        {
            words[at++] = instruction.Word;
            words[at++] = instruction.Immediate;
        }

        ComputeDigest(words).CopyTo(MemoryMarshal.AsBytes(words.AsSpan(Vir0Format.DigestWord, 8)));
        return Check(words);
    }

    /// <summary>SHA-256 of words 0..7 and 16..end, little-endian.</summary>
    private static byte[] ComputeDigest(ReadOnlySpan<uint> words)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> buffer = stackalloc byte[256];
        AppendWords(sha, words[..Vir0Format.DigestWord], buffer);
        AppendWords(sha, words[Vir0Format.HeaderWords..], buffer);
        return sha.GetHashAndReset();
    }

    private static void AppendWords(IncrementalHash sha, ReadOnlySpan<uint> words, Span<byte> buffer)
    {
        while (!words.IsEmpty)
        {
            int take = Math.Min(words.Length, buffer.Length / sizeof(uint));
            for (int i = 0; i < take; i++)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(buffer.Slice(i * sizeof(uint)), words[i]);
            }

            sha.AppendData(buffer[..(take * sizeof(uint))]);
            words = words[take..];
        }
    }

    /// <summary>Every check of the format; the program when all pass.</summary>
    private static Vir0Program Check(uint[] words)
    {
        if (words.Length < Vir0Format.HeaderWords)
        {
            throw new Vir0FormatException($"A VIR0 program starts with a {Vir0Format.HeaderWords}-word header; only {words.Length} words were given. Fix: give the whole program (a truncated file?).");
        }

        if (words[0] != Vir0Format.Magic)
        {
            throw new Vir0FormatException($"Not a VIR0 program: word 0 is 0x{words[0]:X8}, not the magic 0x{Vir0Format.Magic:X8} (\"VIR0\"). Fix: give a program Vir0Program.ToBytes wrote.");
        }

        if (words[1] != Vir0Format.Version)
        {
            throw new Vir0FormatException($"VIR0 version {words[1]} is not supported; this Vyre runs version {Vir0Format.Version}. Fix: rebuild the program with this Vyre.");
        }

        uint registers = words[Vir0Format.RegistersWord];
        uint constants = words[Vir0Format.ConstantsWord];
        uint count = words[Vir0Format.InstructionsWord];
        uint fuel = words[Vir0Format.FuelWord];
        if (words[Vir0Format.LengthWord] != (uint)words.Length)
        {
            throw new Vir0FormatException($"The header says {words[Vir0Format.LengthWord]} words but {words.Length} were given. Fix: give the whole program and nothing after it.");
        }

        if (registers < 1 || registers > Vir0Format.MaxRegisters)
        {
            throw new Vir0FormatException($"The program declares {registers} registers; 1..{Vir0Format.MaxRegisters} are allowed. Fix: use fewer registers.");
        }

        if (count < 1 || count > Vir0Format.MaxInstructions || constants > Vir0Format.MaxConstants)
        {
            throw new Vir0FormatException($"The program declares {count} instructions and {constants} constants; 1..{Vir0Format.MaxInstructions} and 0..{Vir0Format.MaxConstants} are allowed. Fix: split the program.");
        }

        if (fuel < 1 || fuel > Vir0Format.MaxFuel)
        {
            throw new Vir0FormatException($"The program's fuel is {fuel}; 1..{Vir0Format.MaxFuel} instructions per run are allowed. Fix: set the fuel to the most instructions one run may take.");
        }

        if (words[Vir0Format.FlagsWord] != 0)
        {
            throw new Vir0FormatException($"The header's flags word is 0x{words[Vir0Format.FlagsWord]:X}; version 1 has no flags. Fix: write 0.");
        }

        if ((ulong)Vir0Format.HeaderWords + constants + ((ulong)count * Vir0Format.InstructionWords) != (ulong)words.Length)
        {
            throw new Vir0FormatException($"{words.Length} words do not hold the header, {constants} constants and {count} two-word instructions. Fix: give the program Vir0Program.ToBytes wrote, whole.");
        }

        if (!ComputeDigest(words).AsSpan().SequenceEqual(MemoryMarshal.AsBytes(words.AsSpan(Vir0Format.DigestWord, 8))))
        {
            throw new Vir0FormatException("The program's digest does not match its words: it was changed or damaged after it was built. Fix: build it again (Vir0Builder or Vir0Text.Parse).");
        }

        int code = Vir0Format.HeaderWords + (int)constants;
        for (int i = 0; i < (int)count; i++)
        {
            CheckInstruction(Vir0Instruction.FromWords(words[code + (2 * i)], words[code + (2 * i) + 1]), i, registers, constants, count);
        }

        return new Vir0Program(words);
    }

    private static void CheckInstruction(Vir0Instruction instruction, int index, uint registers, uint constants, uint count)
    {
        Vir0Op op = instruction.Op;
        if (!Vir0Instruction.IsDefined(op))
        {
            throw new Vir0FormatException($"Instruction {index}: operation {(byte)op} does not exist in VIR0 version {Vir0Format.Version}. Fix: use an operation of Vir0Op.", index);
        }

        Vir0Operands uses = Vir0Instruction.OperandsOf(op);
        string name = Vir0Text.Mnemonic(op);
        CheckOperand(instruction.A, uses.HasFlag(Vir0Operands.A), 'a', name, index, registers);
        if (op == Vir0Op.Call)
        {
            if (instruction.B > Vir0Format.MaxCallArguments || instruction.A + instruction.B > registers)
            {
                throw new Vir0FormatException($"Instruction {index} (call): {instruction.B} argument registers from r{instruction.A} go past the {Math.Min(registers, Vir0Format.MaxCallArguments)} allowed (registers {registers}, at most {Vir0Format.MaxCallArguments} arguments). Fix: pass fewer, or declare more registers.", index);
            }

            if (Internals.SlotExecutor.IsLoopLevel(instruction.Immediate) || (Opcodes.IsSystem(instruction.Immediate) && instruction.Immediate > Opcodes.DfaStep))
            {
                throw new Vir0FormatException($"Instruction {index} (call): opcode 0x{instruction.Immediate:X} is a loop-level built-in or reserved system opcode, which a program cannot call. Fix: call a handler or a heap built-in (Opcodes.StoreU32 .. Opcodes.DfaStep).", index);
            }
        }
        else
        {
            CheckOperand(instruction.B, uses.HasFlag(Vir0Operands.B), 'b', name, index, registers);
        }

        CheckOperand(instruction.C, uses.HasFlag(Vir0Operands.C), 'c', name, index, registers);
        if (!uses.HasFlag(Vir0Operands.Immediate) && instruction.Immediate != 0)
        {
            throw new Vir0FormatException($"Instruction {index} ({name}) takes no immediate but has {instruction.Immediate}. Fix: write 0.", index);
        }

        if (Vir0Instruction.IsJump(op) && instruction.Immediate >= count)
        {
            throw new Vir0FormatException($"Instruction {index} ({name}) jumps to {instruction.Immediate}, outside the program's {count} instructions. Fix: jump to an instruction of the program.", index);
        }

        if (op == Vir0Op.Ldc && instruction.Immediate >= constants)
        {
            throw new Vir0FormatException($"Instruction {index} (ldc) loads constant {instruction.Immediate} of {constants}. Fix: add the constant, or load one that exists.", index);
        }
    }

    private static void CheckOperand(byte value, bool used, char operand, string name, int index, uint registers)
    {
        if (used && value >= registers)
        {
            throw new Vir0FormatException($"Instruction {index} ({name}): register r{value} (operand {operand}) is past the program's {registers} registers. Fix: declare more registers, or use r0..r{registers - 1}.", index);
        }

        if (!used && value != 0)
        {
            throw new Vir0FormatException($"Instruction {index} ({name}) does not use operand {operand} but it is {value}. Fix: write 0.", index);
        }
    }
}
