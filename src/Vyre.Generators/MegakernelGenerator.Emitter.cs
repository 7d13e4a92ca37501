using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Vyre.Generators;

/// <summary>Emit: a spec to two files per megakernel, the kernel (opcodes, dispatcher, entry points) and its template.</summary>
public sealed partial class MegakernelGenerator
{
    private static readonly string s_version = typeof(MegakernelGenerator).Assembly.GetName().Version?.ToString() ?? "0.0.0.0";
    private static readonly string s_generatedCode = "[global::System.CodeDom.Compiler.GeneratedCode(\"Vyre.Generators\", \"" + s_version + "\")]";

    /// <summary>On generated plumbing a user never calls (kernels, dispatcher, definition, template): kept out of IntelliSense.</summary>
    private const string Hidden = "[global::System.ComponentModel.EditorBrowsable(global::System.ComponentModel.EditorBrowsableState.Never)]";

    private static void Emit(SourceProductionContext output, MegakernelSpec spec)
    {
        string hint = spec.Declaration.Namespace.Length == 0 ? spec.Declaration.Name : spec.Declaration.Namespace + "." + spec.Declaration.Name;
        output.AddSource(hint + ".Megakernel.g.cs", SourceText.From(EmitKernel(spec), Encoding.UTF8));
        output.AddSource(hint + ".Template.g.cs", SourceText.From(EmitTemplate(spec), Encoding.UTF8));
    }

    internal static string EmitKernel(MegakernelSpec spec)
    {
        MegakernelDeclSpec declaration = spec.Declaration;
        SourceWriter w = Header(declaration);
        using (w.Block(declaration.Accessibility + " static partial class " + declaration.Name))
        {
            EmitOpcodes(w, spec);
            w.Line();
            EmitDispatcher(w, spec);
            w.Line();
            w.Line("/// <summary>The persistent ILGPU kernel: serves slots until SHUTDOWN, the host's stop word or a stale heartbeat.</summary>");
            w.Line(s_generatedCode);
            w.Line(Hidden);
            w.Line("public static void PersistentKernel(global::ILGPU.Index1D index, global::Vyre.Internals.MegakernelBuffers buffers) =>");
            w.Line("    global::Vyre.Internals.MegakernelLoop.RunPersistent<Dispatcher>(index, buffers);");
            w.Line();
            w.Line("/// <summary>The finite ILGPU kernel: thread <c>i</c> runs sequence <c>first + i</c> for <c>i &lt; count</c>.</summary>");
            w.Line(s_generatedCode);
            w.Line(Hidden);
            w.Line("public static void OnceKernel(global::ILGPU.Index1D index, global::Vyre.Internals.MegakernelBuffers buffers, uint first, int count) =>");
            w.Line("    global::Vyre.Internals.MegakernelLoop.RunOnce<Dispatcher>(index, buffers, first, count);");
            w.Line();
            w.Line("/// <summary>Everything a host needs to run this megakernel on any backend.</summary>");
            w.Line(s_generatedCode);
            w.Line(Hidden);
            w.Line("public static global::Vyre.Internals.MegakernelDefinition Definition { get; } =");
            w.Line("    new global::Vyre.Internals.MegakernelDefinition(Template.Program, PersistentKernel, OnceKernel);");
            if (declaration.RuntimeAvailable)
            {
                w.Line();
                w.Line("/// <summary>Starts this megakernel on the backend <paramref name=\"options\"/> names (Auto: CUDA when a device exists, else CPU workers).</summary>");
                w.Line(s_generatedCode);
                w.Line("public static global::System.Threading.Tasks.Task<global::Vyre.MegakernelHost> StartAsync(global::Vyre.MegakernelOptions? options = null, global::System.Threading.CancellationToken cancellationToken = default) =>");
                w.Line("    global::Vyre.MegakernelHost.StartAsync<Dispatcher>(Definition, options, cancellationToken);");
            }
        }

        return w.ToString();
    }

    internal static string EmitTemplate(MegakernelSpec spec)
    {
        List<IrNode> nodes = ProgramIr.Build(spec);
        byte[] binary = ProgramIr.ToBinary(nodes);
        string digest = ProgramIr.Digest(binary, spec.Targets);
        MegakernelDeclSpec declaration = spec.Declaration;
        SourceWriter w = Header(declaration);
        using (w.Block(declaration.Accessibility + " static partial class " + declaration.Name))
        {
            w.Line("/// <summary>The Program IR of this megakernel, built at compile time, with its binary form and digest.</summary>");
            w.Line(s_generatedCode);
            w.Line(Hidden);
            using (w.Block("public static class Template"))
            {
                w.Line("/// <summary>Hex SHA-256 of the binary form of the IR (<see cref=\"global::Vyre.Internals.MegakernelTemplate.Binary\"/>) and of the code of every handler and what it reaches.</summary>");
                w.Line("public const string Digest = \"" + digest + "\";");
                w.Line();
                w.Line("/// <summary>The IR nodes, in pre-order.</summary>");
                w.Line("public static global::System.Collections.Generic.IReadOnlyList<global::Vyre.Internals.ProgramNode> Nodes { get; } = new global::Vyre.Internals.ProgramNode[]");
                w.Line("{");
                foreach (IrNode node in nodes)
                {
                    w.Line("    new(global::Vyre.Internals.ProgramNodeKind." + node.Kind + ", " + Int(node.Parent) + ", " + Hex(node.Operand) + ", " + Literal(node.Label) + "),");
                }

                w.Line("};");
                w.Line();
                w.Line("/// <summary>The template as one object.</summary>");
                w.Line("public static global::Vyre.Internals.MegakernelTemplate Program { get; } = new(" + Literal(FullName(declaration)) + ", " + Int(ProgramIr.WorkgroupSize) + ", Digest, Nodes, new byte[]");
                w.Line("{");
                for (int i = 0; i < binary.Length; i += 24)
                {
                    w.Line("    " + string.Join(", ", binary.Skip(i).Take(24).Select(b => "0x" + b.ToString("X2", CultureInfo.InvariantCulture))) + ",");
                }

                w.Line("});");
            }
        }

        return w.ToString();
    }

    private static void EmitOpcodes(SourceWriter w, MegakernelSpec spec)
    {
        w.Line("/// <summary>The opcodes of this megakernel's handlers.</summary>");
        w.Line(s_generatedCode);
        using (w.Block("public static class Opcodes"))
        {
            bool first = true;
            foreach (DispatchTargetSpec target in spec.Targets.Where(t => !t.IsBuiltin))
            {
                if (!first)
                {
                    w.Line();
                }

                first = false;
                w.Line("/// <summary>Runs <see cref=\"" + target.Name + "\"/>.</summary>");
                w.Line("public const uint " + target.Name + " = " + Hex(target.Opcode) + ";");
            }
        }
    }

    private static void EmitDispatcher(SourceWriter w, MegakernelSpec spec)
    {
        w.Line("/// <summary>The dispatch tree of this megakernel, planned at compile time; the device loop and the CPU workers are specialised to it.</summary>");
        w.Line(s_generatedCode);
        w.Line(Hidden);
        using (w.Block("public readonly struct Dispatcher : global::Vyre.Internals.IMegakernelDispatcher"))
        {
            w.Line("/// <inheritdoc/>");
            w.Line("// Inlined into the device loop even under ILGPU's conservative inlining; the handlers stay calls.");
            w.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]");
            using (w.Block("public global::Vyre.SlotStatus Dispatch(ref global::Vyre.SlotContext slot, out int ordinal)"))
            {
                w.Line("// Dispatch tree:");
                Outline(w, spec.Tree, spec.Targets, 0, string.Empty);
                w.Line("uint opcode = slot.Opcode;");
                EmitNode(w, spec.Tree, spec.Targets, target => "return " + LaneCall(target) + ";");
                w.Line("ordinal = -1;");
                w.Line("return slot.Fail(global::Vyre.FaultCode.UnknownOpcode, opcode);");
            }

            EmitInKernelDispatch(w, spec);
            EmitGroupDispatch(w, spec.Targets.Where(t => t.IsGroup).ToList());
        }
    }

    /// <summary>
    /// The kernels' dispatch: the same tree, with every handler ILGPU does not inline for sure (not marked AggressiveInlining)
    /// run on a copy of the context in the caller's <c>spill</c>, copied back when it returns, so that the caller's context
    /// never has its address taken and stays in registers (docs/handler-signature.md, "Tiny handlers: in place on the GPU").
    /// The copy is not a local here: ILGPU would clear it (208 bytes) on every slot, wherever the dispatch is inlined.
    /// </summary>
    private static void EmitInKernelDispatch(SourceWriter w, MegakernelSpec spec)
    {
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]");
        using (w.Block("public global::Vyre.SlotStatus DispatchInKernel(ref global::Vyre.SlotContext slot, ref global::Vyre.SlotContext spill, out int ordinal)"))
        {
            w.Line("// Handlers marked AggressiveInlining (and the small built-ins) run on the context itself; the others on a copy in spill.");
            w.Line("uint opcode = slot.Opcode;");
            EmitNode(w, spec.Tree, spec.Targets, target => target.IsGroup || target.InPlace
                ? "return " + LaneCall(target) + ";"
                : "{ spill = slot; global::Vyre.SlotStatus status = " + target.CallTarget + "(ref spill); slot = spill; return status; }");
            w.Line("ordinal = -1;");
            w.Line("return slot.Fail(global::Vyre.FaultCode.UnknownOpcode, opcode);");
        }
    }

    /// <summary>The warp-wide half of the dispatcher: whether there is one, which opcodes, and the call of each on a group.</summary>
    private static void EmitGroupDispatch(SourceWriter w, List<DispatchTargetSpec> group)
    {
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Line("// A constant the device loop branches on: inlined, ILGPU folds the warp-wide path away when it is false.");
        w.Line("public bool HasGroupHandlers");
        using (w.Block())
        {
            w.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]");
            w.Line("get => " + (group.Count > 0 ? "true" : "false") + ";");
        }
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]");
        w.Line("public bool IsGroupOpcode(uint opcode) => " + (group.Count == 0 ? "false" : string.Join(" || ", group.Select(t => "opcode == " + Hex(t.Opcode)))) + ";");
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Line("public global::Vyre.SlotStatus DispatchGroup<TGroup>(ref global::Vyre.SlotContext slot, ref TGroup group, out int ordinal)");
        w.Line("    where TGroup : struct, global::Vyre.ISlotGroup");
        using (w.Block())
        {
            w.Line("uint opcode = slot.Opcode;");
            if (group.Count > 0)
            {
                using (w.Block("switch (opcode)"))
                {
                    foreach (DispatchTargetSpec target in group)
                    {
                        w.Line("case " + Hex(target.Opcode) + ": ordinal = " + Int(target.Ordinal) + "; return " + target.CallTarget + "<TGroup>(ref slot, ref group);");
                    }
                }
            }

            w.Line("ordinal = -1;");
            w.Line("return slot.Fail(global::Vyre.FaultCode.Unsupported, opcode);");
        }
    }

    /// <summary>The lane tree's call of <paramref name="target"/>: a warp-wide handler's opcode faults Unsupported there (one lane cannot run it).</summary>
    private static string LaneCall(DispatchTargetSpec target) =>
        target.IsGroup ? "slot.Fail(global::Vyre.FaultCode.Unsupported, opcode)" : target.CallTarget + "(ref slot)";

    private static void Outline(SourceWriter w, DispatchNodeSpec node, EquatableArray<DispatchTargetSpec> targets, int depth, string label)
    {
        string prefix = "//   " + new string(' ', depth * 4) + label;
        switch (node.Kind)
        {
            case DispatchNodeKind.Split:
                w.Line(prefix + "opcode < " + Hex(node.Pivot) + "?");
                Outline(w, node.Left!, targets, depth + 1, "yes: ");
                Outline(w, node.Right!, targets, depth + 1, "no:  ");
                break;
            case DispatchNodeKind.JumpTable:
                w.Line(prefix + "jump table " + Hex(node.Low) + ".." + Hex(node.High) + " (" + Int(node.TargetIndexes.Count) + " entries)");
                break;
            default:
                w.Line(prefix + Hex(node.Low) + " -> " + targets[node.TargetIndexes[0]].Name);
                break;
        }
    }

    /// <summary>The tree's code; <paramref name="run"/> gives the statement that runs a target and returns its status.</summary>
    private static void EmitNode(SourceWriter w, DispatchNodeSpec node, EquatableArray<DispatchTargetSpec> targets, Func<DispatchTargetSpec, string> run)
    {
        switch (node.Kind)
        {
            case DispatchNodeKind.Split:
                using (w.Block("if (opcode < " + Hex(node.Pivot) + ")"))
                {
                    EmitNode(w, node.Left!, targets, run);
                }

                using (w.Block("else"))
                {
                    EmitNode(w, node.Right!, targets, run);
                }

                break;
            case DispatchNodeKind.JumpTable:
                using (w.Block("switch (opcode)"))
                {
                    foreach (int index in node.TargetIndexes)
                    {
                        DispatchTargetSpec target = targets[index];
                        w.Line("case " + Hex(target.Opcode) + ": ordinal = " + Int(target.Ordinal) + "; " + run(target));
                    }
                }

                break;
            default:
                DispatchTargetSpec leaf = targets[node.TargetIndexes[0]];
                using (w.Block("if (opcode == " + Hex(leaf.Opcode) + ")"))
                {
                    w.Line("ordinal = " + Int(leaf.Ordinal) + ";");
                    w.Line(run(leaf));
                }

                break;
        }
    }

    private static SourceWriter Header(MegakernelDeclSpec declaration)
    {
        var w = new SourceWriter();
        w.Line("// <auto-generated/>");
        w.Line("#nullable enable");
        w.Line();
        if (declaration.Namespace.Length > 0)
        {
            w.Line("namespace " + declaration.Namespace + ";");
            w.Line();
        }

        return w;
    }

    private static string FullName(MegakernelDeclSpec declaration) =>
        declaration.Namespace.Length == 0 ? declaration.Name : declaration.Namespace + "." + declaration.Name;

    private static string Hex(uint value) => "0x" + value.ToString("X", CultureInfo.InvariantCulture) + "u";

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Literal(string value) => "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
