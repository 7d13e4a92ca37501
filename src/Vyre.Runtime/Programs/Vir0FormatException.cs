using System;

namespace Vyre.Programs;

/// <summary>A VIR0 program (bytes, words, text, or a builder's) that is refused, with the reason and the place.</summary>
public sealed class Vir0FormatException : FormatException
{
    /// <summary>Creates the exception for instruction <paramref name="instruction"/> (-1: the header or the whole program).</summary>
    public Vir0FormatException(string message, int instruction)
        : base(message)
    {
        Instruction = instruction;
    }

    /// <summary>Creates the exception for the header or the whole program.</summary>
    public Vir0FormatException(string message)
        : this(message, -1)
    {
    }

    /// <summary>Creates the exception.</summary>
    public Vir0FormatException()
        : this("The VIR0 program is refused.")
    {
    }

    /// <summary>Creates the exception.</summary>
    public Vir0FormatException(string message, Exception innerException)
        : base(message, innerException)
    {
        Instruction = -1;
    }

    /// <summary>The refused instruction's index, or -1 when the header or the program as a whole is refused.</summary>
    public int Instruction { get; }
}
