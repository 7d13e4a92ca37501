namespace Vyre.Programs;

/// <summary>One VIR0 instruction: an operation, three operand bytes (registers, or a call's argument count) and an immediate.</summary>
/// <param name="Op">The operation.</param>
/// <param name="A">Operand a: a register (the destination, or a call's first argument register).</param>
/// <param name="B">Operand b: a register, or a call's argument count.</param>
/// <param name="C">Operand c: a register.</param>
/// <param name="Immediate">The immediate: a value, a constant's index, a jump target, or a call's opcode.</param>
public readonly record struct Vir0Instruction(Vir0Op Op, byte A, byte B, byte C, uint Immediate)
{
    /// <summary>The instruction's first word: <c>op | a &lt;&lt; 8 | b &lt;&lt; 16 | c &lt;&lt; 24</c>.</summary>
    public uint Word => (uint)Op | ((uint)A << 8) | ((uint)B << 16) | ((uint)C << 24);

    /// <summary>Splits an encoded instruction (no checks: see <see cref="Vir0Program.Decode(System.ReadOnlySpan{uint})"/>).</summary>
    public static Vir0Instruction FromWords(uint word, uint immediate) =>
        new((Vir0Op)(word & 0xFF), (byte)(word >> 8), (byte)(word >> 16), (byte)(word >> 24), immediate);

    /// <summary>Which operands <paramref name="op"/> uses; the others must be zero.</summary>
    internal static Vir0Operands OperandsOf(Vir0Op op) => op switch
    {
        Vir0Op.Halt or Vir0Op.Yield or Vir0Op.Fail => Vir0Operands.None,
        Vir0Op.MovI or Vir0Op.Ldc => Vir0Operands.A | Vir0Operands.Immediate,
        Vir0Op.Mov => Vir0Operands.A | Vir0Operands.B,
        Vir0Op.AddI => Vir0Operands.A | Vir0Operands.B | Vir0Operands.Immediate,
        Vir0Op.Jmp => Vir0Operands.Immediate,
        Vir0Op.Jz or Vir0Op.Jnz or Vir0Op.Loop => Vir0Operands.A | Vir0Operands.Immediate,
        Vir0Op.Call => Vir0Operands.A | Vir0Operands.B | Vir0Operands.Immediate,
        _ => Vir0Operands.A | Vir0Operands.B | Vir0Operands.C,
    };

    /// <summary>Whether <paramref name="op"/> is an operation of format version 1.</summary>
    internal static bool IsDefined(Vir0Op op) => op <= Vir0Op.Call;

    /// <summary>Whether <paramref name="op"/>'s immediate is an instruction index.</summary>
    internal static bool IsJump(Vir0Op op) => op is Vir0Op.Jmp or Vir0Op.Jz or Vir0Op.Jnz or Vir0Op.Loop;

    /// <inheritdoc/>
    public override string ToString() => Vir0Text.FormatInstruction(this, label: null);
}

/// <summary>The operands an operation uses.</summary>
[System.Flags]
internal enum Vir0Operands
{
    None = 0,
    A = 1,
    B = 2,
    C = 4,
    Immediate = 8,
}
