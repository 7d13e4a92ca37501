using System;
using System.Linq;

namespace Vyre.Generators.Tests.Corpus;

/// <summary>What ILGPU does with a handler, as the labelling run found it.</summary>
public enum IlgpuVerdict
{
    /// <summary>ILGPU compiles it for the CPU accelerator and for PTX, and it gives the same results as plain .NET.</summary>
    Runs,

    /// <summary>ILGPU cannot compile it at all (its CPU accelerator refuses it too).</summary>
    Fails,

    /// <summary>ILGPU's CPU accelerator compiles it, but it cannot run on a GPU: ILGPU has no PTX for it (checked on every run), or the driver's JIT refuses the PTX or it gives a wrong value there (labelled on the H200).</summary>
    FailsOnGpu,

    /// <summary>ILGPU compiles and runs it, but a handler must not do it: it acts on a warp or group whose other lanes run other slots (VYR110).</summary>
    RefusedByVyre,

}

/// <summary>
/// One handler of the corpus: the body of <c>K.H(ref SlotContext slot)</c> (with <c>a</c> and <c>b</c> bound to its
/// first two arguments), members of <c>K</c> beside it, and types at namespace level. The line an error must name
/// ends with <c>//!</c>. A case with a <see cref="Library"/> also has an assembly <c>CorpusLib</c> of the user's own,
/// which the consumer references (types in namespace <c>CorpusLib</c>).
/// </summary>
public sealed record CorpusCase(string Name, IlgpuVerdict Verdict, string Body, string Members = "", string Types = "", uint A = 7, uint B = 3, string Library = "")
{
    public const string Marker = "//!";

    /// <summary>The source of the case's library assembly, or null when it has none.</summary>
    public string? LibrarySource => Library.Length == 0 ? null : $$"""
        using System;
        using Vyre;

        namespace CorpusLib;

        {{Library}}
        """;

    /// <summary>
    /// The same handler with its body moved into the user's library, where the analyzer leaves it to the build step:
    /// the twin the GPU machine starts on CUDA to label a <see cref="IlgpuVerdict.FailsOnGpu"/> case there.
    /// </summary>
    public CorpusCase WithBodyInLibrary() => this with
    {
        Name = Name + "_in_library",
        Body = "CorpusLib.Moved.Run(ref slot); " + Marker,
        Members = string.Empty,
        Types = string.Empty,
        Library = "public static class Moved\n{\n    public static void Run(ref SlotContext slot)\n    {\n        uint a = slot.Arg(0), b = slot.Arg(1);\n"
            + Indent(Body.Replace(Marker, string.Empty, StringComparison.Ordinal), 8) + "\n    }\n" + Indent(Members, 4) + "\n}\n" + Types,
    };

    public string Source => $$"""
        using System;
        using System.Runtime.CompilerServices;
        using System.Runtime.InteropServices;
        using ILGPU;
        using ILGPU.Runtime;
        using Vyre;

        namespace Corpus;

        [Megakernel]
        public static partial class K
        {
            [OpcodeHandler(0x100)]
            public static SlotStatus H(ref SlotContext slot)
            {
                uint a = slot.Arg(0), b = slot.Arg(1);
        {{Indent(Body, 8)}}
                return SlotStatus.Done;
            }
        {{Indent(Members, 4)}}
        }
        {{Types}}

        /// <summary>The labelling run's entry point: the handler alone, as an ILGPU kernel (no dispatcher, no analyzer in the way).</summary>
        public static class Probe
        {
            public static void Run(Index1D index, Vyre.Internals.MegakernelBuffers buffers)
            {
                var slot = new SlotContext(buffers, 0, 0x100, 0);
                K.H(ref slot);
            }
        }
        """;

    /// <summary>The 1-based line of <see cref="Source"/> an error must name (the marked line), or null when none is marked.</summary>
    public int? MarkedLine
    {
        get
        {
            string[] lines = Source.Split('\n');
            int index = Array.FindIndex(lines, l => l.TrimEnd().EndsWith(Marker, StringComparison.Ordinal));
            return index < 0 ? null : index + 1;
        }
    }

    public override string ToString() => Name;

    private static string Indent(string text, int spaces) =>
        string.Join("\n", text.Trim('\n').Split('\n').Select(l => l.Length == 0 ? l : new string(' ', spaces) + l.TrimStart()));
}
