using Microsoft.CodeAnalysis;

namespace Vyre.Generators;

/// <summary>
/// Every VYR diagnostic. The ids are frozen: VYR0xx declaration and signature, VYR1xx handler bodies
/// that cannot run on a GPU, VYR2xx the dispatch table. Each has a page in docs/diagnostics/VYRnnn.md.
/// </summary>
internal static class DiagnosticDescriptors
{
    private const string Declaration = "Vyre.Declaration";
    private const string Body = "Vyre.HandlerBody";
    private const string Table = "Vyre.DispatchTable";

    /// <summary>VYR001: "Opcode handler '{0}' must be static. Fix: add the 'static' modifier."</summary>
    public static readonly DiagnosticDescriptor NotStatic = Error("VYR001", "Opcode handler must be static",
        "Opcode handler '{0}' must be static. Fix: add the 'static' modifier.", Declaration);

    /// <summary>VYR002: "Opcode handler '{0}' is not in a [Megakernel] class. Fix: put it in a 'static partial class' marked [Megakernel]."</summary>
    public static readonly DiagnosticDescriptor NotInMegakernel = Error("VYR002", "Opcode handler must be in a [Megakernel] class",
        "Opcode handler '{0}' is not in a [Megakernel] class. Fix: put it in a 'static partial class' marked [Megakernel].", Declaration);

    /// <summary>VYR003: "Megakernel '{0}' must be a top-level 'static partial class'. Fix: {1}."</summary>
    public static readonly DiagnosticDescriptor BadMegakernelClass = Error("VYR003", "Megakernel class must be a top-level static partial class",
        "Megakernel '{0}' must be a top-level 'static partial class'. Fix: {1}.", Declaration);

    /// <summary>VYR004: "Opcode handler '{0}' has the wrong signature. Fix: declare it as 'static SlotStatus {0}(ref SlotContext slot)'."</summary>
    public static readonly DiagnosticDescriptor WrongSignature = Error("VYR004", "Opcode handler has the wrong signature",
        "Opcode handler '{0}' has the wrong signature. Fix: declare it as 'static SlotStatus {0}(ref SlotContext slot)'.", Declaration);

    /// <summary>VYR005: "Opcode handler '{0}' is generic. Fix: remove the type parameters; a handler has one compiled form."</summary>
    public static readonly DiagnosticDescriptor Generic = Error("VYR005", "Opcode handler must not be generic",
        "Opcode handler '{0}' is generic. Fix: remove the type parameters; a handler has one compiled form.", Declaration);

    /// <summary>VYR006: "Opcode handler '{0}' is async. Fix: remove 'async'; a GPU lane cannot await."</summary>
    public static readonly DiagnosticDescriptor Async = Error("VYR006", "Opcode handler must not be async",
        "Opcode handler '{0}' is async. Fix: remove 'async'; a GPU lane cannot await.", Declaration);

    /// <summary>VYR007: "Opcode handler '{0}' returns by reference. Fix: return 'SlotStatus' by value."</summary>
    public static readonly DiagnosticDescriptor RefReturn = Error("VYR007", "Opcode handler must not return by reference",
        "Opcode handler '{0}' returns by reference. Fix: return 'SlotStatus' by value.", Declaration);

    /// <summary>VYR008: "Megakernel '{0}' is generic. Fix: remove its type parameters."</summary>
    public static readonly DiagnosticDescriptor GenericMegakernel = Error("VYR008", "Megakernel class must not be generic",
        "Megakernel '{0}' is generic. Fix: remove its type parameters.", Declaration);

    /// <summary>VYR009: "Warp-wide handler '{0}' has the wrong signature. Fix: declare it as 'static SlotStatus {0}&lt;TGroup&gt;(ref SlotContext slot, ref TGroup group) where TGroup : struct, ISlotGroup'."</summary>
    public static readonly DiagnosticDescriptor WrongGroupSignature = Error("VYR009", "Warp-wide handler has the wrong signature",
        "Warp-wide handler '{0}' has the wrong signature. Fix: declare it as 'static SlotStatus {0}<TGroup>(ref SlotContext slot, ref TGroup group) where TGroup : struct, ISlotGroup'.", Declaration);

    /// <summary>VYR101: "'{0}' has reference type '{1}', which a GPU kernel cannot hold. Fix: use a struct, a primitive or an ArrayView."</summary>
    public static readonly DiagnosticDescriptor ReferenceTypeVariable = Error("VYR101", "Parameter or local of reference type",
        "'{0}' has reference type '{1}', which a GPU kernel cannot hold. Fix: use a struct, a primitive or an ArrayView.", Body);

    /// <summary>VYR102: "'new {0}' allocates on the managed heap, which a GPU kernel does not have. Fix: use slot words, the heap (slot.Words) or a struct."</summary>
    public static readonly DiagnosticDescriptor HeapAllocation = Error("VYR102", "Allocation of a class or array",
        "'new {0}' allocates on the managed heap, which a GPU kernel does not have. Fix: use slot words, the heap (slot.Words) or a struct.", Body);

    /// <summary>VYR103: "{0} cannot run on a GPU. Fix: use numbers and structs; report text through PRINTF format ids."</summary>
    public static readonly DiagnosticDescriptor ManagedValue = Error("VYR103", "String, object, boxing or dynamic",
        "{0} cannot run on a GPU. Fix: use numbers and structs; report text through PRINTF format ids.", Body);

    /// <summary>VYR104: "'{0}' cannot run on a GPU: kernels have no exceptions. Fix: return slot.Fail(detail) instead."</summary>
    public static readonly DiagnosticDescriptor Exceptions = Error("VYR104", "try, catch or throw",
        "'{0}' cannot run on a GPU: kernels have no exceptions. Fix: return slot.Fail(detail) instead.", Body);

    /// <summary>VYR105: "{0} cannot run on a GPU. Fix: write the loop out, or call a static method."</summary>
    public static readonly DiagnosticDescriptor Delegates = Error("VYR105", "Lambda, delegate, LINQ or capturing local function",
        "{0} cannot run on a GPU. Fix: write the loop out, or call a static method.", Body);

    /// <summary>VYR106: "'{0}' is a virtual or interface call, which a GPU kernel cannot make. Fix: call a static or non-virtual struct method."</summary>
    public static readonly DiagnosticDescriptor VirtualCall = Error("VYR106", "Virtual or interface call",
        "'{0}' is a virtual or interface call, which a GPU kernel cannot make. Fix: call a static or non-virtual struct method.", Body);

    /// <summary>VYR107: "Handler '{0}' is recursive through {1}. Fix: rewrite the recursion as a loop; GPU kernels have no call stack to grow."</summary>
    public static readonly DiagnosticDescriptor Recursion = Error("VYR107", "Recursion",
        "Handler '{0}' is recursive through {1}. Fix: rewrite the recursion as a loop; GPU kernels have no call stack to grow.", Body);

    /// <summary>VYR108: "'{0}' is a static mutable field, which GPU lanes cannot share. Fix: make it 'const' or 'static readonly', or keep the state in heap words."</summary>
    public static readonly DiagnosticDescriptor StaticMutableField = Error("VYR108", "Static mutable field",
        "'{0}' is a static mutable field, which GPU lanes cannot share. Fix: make it 'const' or 'static readonly', or keep the state in heap words.", Body);

    /// <summary>VYR109: "'{0}' cannot be compiled for a GPU by ILGPU. Fix: use System.Math, ILGPU intrinsics, SlotContext, or a static method of your own."</summary>
    public static readonly DiagnosticDescriptor UnsupportedCall = Error("VYR109", "Call into a method ILGPU cannot compile",
        "'{0}' cannot be compiled for a GPU by ILGPU. Fix: use System.Math, ILGPU intrinsics, SlotContext, or a static method of your own.", Body);

    /// <summary>VYR110: "'{0}' acts on a whole warp, group or grid, but a handler runs on one lane while the others run other slots (on the CPU backends there is no warp at all). Fix: keep the handler to its own slot; use Atomic on heap words to combine results."</summary>
    public static readonly DiagnosticDescriptor GroupOperation = Error("VYR110", "Warp, group or grid operation in a handler",
        "'{0}' acts on a whole warp, group or grid, but a handler runs on one lane while the others run other slots (on the CPU backends there is no warp at all). Fix: keep the handler to its own slot; use Atomic on heap words to combine results.", Body);

    /// <summary>VYR111: "'{0}' is a group operation, but '{1}' is a lane handler: it runs alone. Fix: declare it [OpcodeHandler(..., Width = HandlerWidth.Warp)] with the group parameter, or do without the group."</summary>
    public static readonly DiagnosticDescriptor GroupInLaneHandler = Error("VYR111", "Group operation in a lane handler",
        "'{0}' is a group operation, but '{1}' is a lane handler: it runs alone. Fix: declare it [OpcodeHandler(..., Width = HandlerWidth.Warp)] with the group parameter, or do without the group.", Body);

    /// <summary>VYR112: "'{0}' needs a slot of its own lane, but '{1}' is warp-wide: its slot belongs to the whole group. Fix: do this in a lane handler and pass the result on through the heap or the data buffer."</summary>
    public static readonly DiagnosticDescriptor LaneOnlyInGroupHandler = Error("VYR112", "Lane-only operation in a warp-wide handler",
        "'{0}' needs a slot of its own lane, but '{1}' is warp-wide: its slot belongs to the whole group. Fix: do this in a lane handler and pass the result on through the heap or the data buffer.", Body);

    /// <summary>VYR113: "'{0}' copies the slot context: a fault or a view recorded on a copy is lost to the slot, which then ends DONE, and the ring slot's next run can fault for it. Fix: pass it on as 'ref SlotContext' (not by value, 'in' or 'ref readonly'), and keep it in no variable, field or return value of its own."</summary>
    public static readonly DiagnosticDescriptor SlotContextCopy = Error("VYR113", "Copy of the slot context",
        "'{0}' copies the slot context: a fault or a view recorded on a copy is lost to the slot, which then ends DONE, and the ring slot's next run can fault for it. Fix: pass it on as 'ref SlotContext' (not by value, 'in' or 'ref readonly'), and keep it in no variable, field or return value of its own.", Body);

    /// <summary>VYR201: "Opcode 0x{0:X} is handled by both '{1}' and '{2}'. Fix: give each handler its own opcode."</summary>
    public static readonly DiagnosticDescriptor DuplicateOpcode = Error("VYR201", "Duplicate opcode",
        "Opcode 0x{0:X} is handled by both '{1}' and '{2}'. Fix: give each handler its own opcode.", Table);

    /// <summary>VYR202: "Opcode 0x{0:X} of '{1}' is in the system range (0..7, 0xFFF0..0xFFFF, or the high bit set). Fix: choose an opcode from 0x8 to 0xFFEF or 0x10000 to 0x3FFFFFFF."</summary>
    public static readonly DiagnosticDescriptor SystemOpcode = Error("VYR202", "Opcode in the system range",
        "Opcode 0x{0:X} of '{1}' is in the system range (0..7, 0xFFF0..0xFFFF, or the high bit set). Fix: choose an opcode from 0x8 to 0xFFEF or 0x10000 to 0x3FFFFFFF.", Table);

    /// <summary>VYR203 (warning): "Opcode 0x{0:X} of '{1}' is in the opcode window of tenant {2}: only tenant {2} and tenant 0 may run it. Fix: choose an opcode below 0x40000000, or suppress this warning if that is intended."</summary>
    public static readonly DiagnosticDescriptor TenantWindowOpcode = new(
        "VYR203", "Opcode in a tenant window",
        "Opcode 0x{0:X} of '{1}' is in the opcode window of tenant {2}: only tenant {2} and tenant 0 may run it. Fix: choose an opcode below 0x40000000, or suppress this warning if that is intended.",
        Table, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: HelpLink("VYR203"));

    /// <summary>Where every diagnostic's page lives: an absolute address, so the IDE's link works outside this repository.</summary>
    public const string HelpLinkBase = "https://github.com/vyre-dotnet/vyre/blob/main/docs/diagnostics/";

    /// <summary>
    /// An error that cannot be turned into a warning or off (<see cref="WellKnownDiagnosticTags.NotConfigurable"/>): the
    /// generator leaves such a handler out of the megakernel, so building on would only move the failure to run time.
    /// </summary>
    private static DiagnosticDescriptor Error(string id, string title, string message, string category) =>
        new(id, title, message, category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLink(id), customTags: WellKnownDiagnosticTags.NotConfigurable);

    private static string HelpLink(string id) => HelpLinkBase + id + ".md";
}
