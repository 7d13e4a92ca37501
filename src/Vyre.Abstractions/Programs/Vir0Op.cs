namespace Vyre.Programs;

/// <summary>
/// The operations of a VIR0 instruction (docs/vir0.md). An instruction is two words: <c>op | a &lt;&lt; 8 | b &lt;&lt; 16 |
/// c &lt;&lt; 24</c>, then a 32-bit immediate. <c>a</c>, <c>b</c>, <c>c</c> name registers; operands an operation does not
/// use are zero. The numbers are frozen: a program keeps its meaning across Vyre versions of the same format version.
/// </summary>
public enum Vir0Op : byte
{
    /// <summary>Ends the program: the slot completes DONE, result 0 = <see cref="Vir0End.Halted"/>, result 1 = this instruction's index.</summary>
    Halt = 0,

    /// <summary>Ends this run early: DONE, result 0 = <see cref="Vir0End.Yielded"/>, result 1 = the next instruction's index (EXEC resumes there).</summary>
    Yield = 1,

    /// <summary>Ends the program in FAULT <see cref="FaultCode.HandlerFault"/> with this instruction's index as the detail.</summary>
    Fail = 2,

    /// <summary><c>ra = imm</c>.</summary>
    MovI = 3,

    /// <summary><c>ra = rb</c>.</summary>
    Mov = 4,

    /// <summary><c>ra = constants[imm]</c>.</summary>
    Ldc = 5,

    /// <summary><c>ra = rb + rc</c> (wrapping, 32 bits).</summary>
    Add = 6,

    /// <summary><c>ra = rb - rc</c> (wrapping).</summary>
    Sub = 7,

    /// <summary><c>ra = rb * rc</c> (low 32 bits).</summary>
    Mul = 8,

    /// <summary><c>ra = rb / rc</c> unsigned; a zero divisor faults <see cref="FaultCode.BadArgument"/>.</summary>
    DivU = 9,

    /// <summary><c>ra = rb % rc</c> unsigned; a zero divisor faults <see cref="FaultCode.BadArgument"/>.</summary>
    RemU = 10,

    /// <summary><c>ra = rb &amp; rc</c>.</summary>
    And = 11,

    /// <summary><c>ra = rb | rc</c>.</summary>
    Or = 12,

    /// <summary><c>ra = rb ^ rc</c>.</summary>
    Xor = 13,

    /// <summary><c>ra = rb &lt;&lt; (rc &amp; 31)</c>.</summary>
    Shl = 14,

    /// <summary><c>ra = rb &gt;&gt; (rc &amp; 31)</c>, unsigned.</summary>
    ShrU = 15,

    /// <summary><c>ra = rb + imm</c> (wrapping).</summary>
    AddI = 16,

    /// <summary><c>ra = rb == rc ? 1 : 0</c>.</summary>
    Eq = 17,

    /// <summary><c>ra = rb != rc ? 1 : 0</c>.</summary>
    Ne = 18,

    /// <summary><c>ra = rb &lt; rc ? 1 : 0</c>, unsigned.</summary>
    LtU = 19,

    /// <summary><c>ra = rb &lt; rc ? 1 : 0</c>, signed.</summary>
    LtS = 20,

    /// <summary>Jumps to instruction <c>imm</c>.</summary>
    Jmp = 21,

    /// <summary>Jumps to instruction <c>imm</c> when <c>ra == 0</c>.</summary>
    Jz = 22,

    /// <summary>Jumps to instruction <c>imm</c> when <c>ra != 0</c>.</summary>
    Jnz = 23,

    /// <summary><c>ra -= 1</c>, then jumps to instruction <c>imm</c> when <c>ra != 0</c> (a counted loop).</summary>
    Loop = 24,

    /// <summary>
    /// Calls the handler (or heap built-in) of opcode <c>imm</c> with registers <c>ra .. ra + b - 1</c> as its
    /// argument words 0 .. b - 1 (b ≤ 12); its results replace them. A fault ends the program in that fault with
    /// this instruction's index as the detail.
    /// </summary>
    Call = 25,
}

/// <summary>How an EXEC slot that completed DONE ended (its result word 0).</summary>
public enum Vir0End : uint
{
    /// <summary>A <see cref="Vir0Op.Halt"/> ran: the program is finished.</summary>
    Halted = 0,

    /// <summary>A <see cref="Vir0Op.Yield"/> ran: EXEC again from result word 1 to go on.</summary>
    Yielded = 1,
}
