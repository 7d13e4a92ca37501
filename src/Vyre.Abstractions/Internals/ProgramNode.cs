using System.ComponentModel;

namespace Vyre.Internals;

/// <summary>One node of a megakernel's Program IR: its kind, its parent's index (-1 for a root), an operand and a label.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly record struct ProgramNode(ProgramNodeKind Kind, int Parent, uint Operand, string Label);
