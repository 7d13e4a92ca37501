namespace Vyre.Programs;

/// <summary>
/// The numbers of the VIR0 program format and of the EXEC slot (docs/vir0.md), shared by the host's encoder and
/// validator and the device's interpreter. Frozen for format version 1.
/// </summary>
public static class Vir0Format
{
    /// <summary>Word 0 of every program: the bytes "VIR0".</summary>
    public const uint Magic = 0x3052_4956;

    /// <summary>The format version this Vyre writes and runs (word 1).</summary>
    public const uint Version = 1;

    /// <summary>Header words: magic, version, length, registers, constants, instructions, fuel, flags, then the 8-word SHA-256 digest.</summary>
    public const int HeaderWords = 16;

    /// <summary>Header word: the program's length in words, header included.</summary>
    public const int LengthWord = 2;

    /// <summary>Header word: registers (1 .. <see cref="MaxRegisters"/>).</summary>
    public const int RegistersWord = 3;

    /// <summary>Header word: constants (0 .. <see cref="MaxConstants"/>).</summary>
    public const int ConstantsWord = 4;

    /// <summary>Header word: instructions (1 .. <see cref="MaxInstructions"/>).</summary>
    public const int InstructionsWord = 5;

    /// <summary>Header word: fuel, the most instructions one EXEC slot runs (1 .. <see cref="MaxFuel"/>).</summary>
    public const int FuelWord = 6;

    /// <summary>Header word: flags, zero in version 1.</summary>
    public const int FlagsWord = 7;

    /// <summary>First of the eight header words that hold the SHA-256 digest of words 0..7 and 16..end.</summary>
    public const int DigestWord = 8;

    /// <summary>Words per instruction.</summary>
    public const int InstructionWords = 2;

    /// <summary>Most registers a program may declare (each EXEC slot gets this many words of register memory).</summary>
    public const int MaxRegisters = 64;

    /// <summary>Most constants.</summary>
    public const int MaxConstants = 1 << 16;

    /// <summary>Most instructions.</summary>
    public const int MaxInstructions = 1 << 16;

    /// <summary>Most fuel: a bound on one slot's run, so a program can never hold a lane for ever.</summary>
    public const uint MaxFuel = 1u << 30;

    /// <summary>Most argument words a <see cref="Vir0Op.Call"/> passes (a slot's argument count).</summary>
    public const int MaxCallArguments = 12;

    /// <summary>Programs one megakernel holds loaded at once (the device's program table).</summary>
    public const int MaxPrograms = 1024;

    /// <summary>Words of one program-table entry: offset, length, owner tenant, kind (<see cref="ProgramKind"/> or <see cref="GraphKind"/>).</summary>
    public const int TableEntryWords = 4;

    /// <summary>Table-entry kind of a program.</summary>
    public const uint ProgramKind = 0;

    /// <summary>Table-entry kind of a task graph (docs/vir0.md, "Task graphs").</summary>
    public const uint GraphKind = 1;

    /// <summary>Words of the program table, at the start of the program area.</summary>
    public const int TableWords = MaxPrograms * TableEntryWords;

    /// <summary>EXEC argument word: the program's id (<c>ProgramHandle.Id</c>).</summary>
    public const int ProgramArgument = 0;

    /// <summary>EXEC argument word: the instruction to start at (0, or result word 1 of a yielded run).</summary>
    public const int EntryArgument = 1;

    /// <summary>EXEC argument words 2..11 are registers r0..r9 in, and out.</summary>
    public const int FirstRegisterArgument = 2;

    /// <summary>Registers an EXEC slot carries in and out (r0 .. r9).</summary>
    public const int SlotRegisters = 10;
}
