namespace Vyre.Generators;

// Specs hold only strings, primitives, enums and EquatableArray: never an ISymbol, a SyntaxNode or a
// Compilation. That keeps them comparable by value (so unchanged input stays Cached) and keeps the
// compilation collectable between runs. A test walks these types by reflection to hold the line.

/// <summary>A megakernel class: where it is declared and how it is named.</summary>
internal sealed record MegakernelDeclSpec(
    string Namespace,
    string Name,
    string Accessibility,
    bool IsValid,
    bool RuntimeAvailable);

/// <summary>
/// One handler as the dispatch tree sees it, with the digest of its code: the tokens of its body and of every source
/// method it reaches, and the identity and module version id of every library assembly it calls into. A comment or
/// a blank line leaves it unchanged; a body edit changes the megakernel's template digest. <see cref="InPlace"/> when
/// it is marked <c>[MethodImpl(MethodImplOptions.AggressiveInlining)]</c>: the kernels then run it on their context
/// itself, not on a copy (docs/handler-signature.md).
/// </summary>
internal sealed record DispatchEntrySpec(
    string MegakernelFullName,
    uint Opcode,
    string MethodName,
    string CodeDigest,
    bool IsGroup = false,
    bool InPlace = false);

/// <summary>One handler as parsed: its dispatch entry and whether every rule held.</summary>
internal sealed record HandlerSpec(
    DispatchEntrySpec Entry,
    bool IsValid);

/// <summary>Everything the emitter needs for one megakernel.</summary>
internal sealed record MegakernelSpec(
    MegakernelDeclSpec Declaration,
    EquatableArray<DispatchTargetSpec> Targets,
    DispatchNodeSpec Tree);

/// <summary>
/// A dispatch target: a built-in or a user handler, with its ordinal (metric index) and the C# that calls it;
/// <see cref="IsGroup"/> when a whole warp runs it (<c>HandlerWidth.Warp</c>); <see cref="InPlace"/> when ILGPU inlines
/// it for sure, so the kernels' dispatch runs it on their context rather than on a copy.
/// </summary>
internal sealed record DispatchTargetSpec(
    uint Opcode,
    int Ordinal,
    string Name,
    string CallTarget,
    bool IsBuiltin,
    string CodeDigest,
    bool IsGroup = false,
    bool InPlace = false);

/// <summary>The kind of a dispatch tree node.</summary>
internal enum DispatchNodeKind
{
    /// <summary>Matches exactly one opcode.</summary>
    Leaf,

    /// <summary>A dense range [Low, High] dispatched with one jump table.</summary>
    JumpTable,

    /// <summary>Binary search: opcodes below Pivot go left, the rest right.</summary>
    Split,
}

/// <summary>A node of the dispatch tree planned at compile time.</summary>
internal sealed record DispatchNodeSpec(
    DispatchNodeKind Kind,
    uint Low,
    uint High,
    uint Pivot,
    EquatableArray<int> TargetIndexes,
    DispatchNodeSpec? Left,
    DispatchNodeSpec? Right);
