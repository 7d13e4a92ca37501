using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace Vyre.Generators.Tests;

/// <summary>Consumer sources the tests feed the generator: each handler returns its own opcode in result 0.</summary>
internal static class HandlerSets
{
    public static readonly IReadOnlyDictionary<string, string[]> All = new Dictionary<string, string[]>
    {
        ["OneHandler"] = [Megakernel("Demo", "Single", [0x100])],
        ["DenseRange"] = [Megakernel("Demo", "Dense", Enumerable.Range(0x100, 64).Select(i => (uint)i))],
        ["SparseSet"] = [Megakernel("Demo", "Sparse", [0x10, 0x900, 0x1234, 0x20000, 0x3FFF_0000])],
        ["TwoMegakernels"] = [Megakernel("Demo.First", "Alpha", [0x100, 0x101]), Megakernel("Demo.Second", "Beta", [0x200, 0x5000])],
        ["WarpWide"] = [Megakernel("Demo", "Wide", [0x100, 0x101, 0x103], WarpHandler)],
        ["InPlace"] = [Megakernel("Demo", "Mixed", [0x100, 0x101], InPlaceHandler)],
    };

    /// <summary>A handler marked AggressiveInlining at 0x102, between two that are not: the kernels' dispatch runs it on the context itself, the others on a copy.</summary>
    private const string InPlaceHandler =
        "    [OpcodeHandler(0x102)]\n"
        + "    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]\n"
        + "    public static SlotStatus Op102(ref SlotContext slot)\n    {\n"
        + "        slot.SetResult(0, 0x102u);\n        return SlotStatus.Done;\n    }\n";

    /// <summary>A warp-wide handler at 0x102, between lane handlers: it sits in the lane tree (faulting Unsupported there) and in the group switch.</summary>
    private const string WarpHandler =
        "    [OpcodeHandler(0x102, Width = HandlerWidth.Warp)]\n"
        + "    public static SlotStatus Sum<TGroup>(ref SlotContext slot, ref TGroup group)\n        where TGroup : struct, ISlotGroup\n    {\n"
        + "        slot.SetResult(0, group.Sum(slot.Arg(0)));\n        return SlotStatus.Done;\n    }\n";

    public static IEnumerable<uint> Opcodes(string set) =>
        All[set].SelectMany(s => s.Split('\n')).Where(l => l.Contains("[OpcodeHandler(")).Select(l => uint.Parse(l.Split("0x")[1].Split(')', ',')[0], System.Globalization.NumberStyles.HexNumber));

    public static string Megakernel(string ns, string name, IEnumerable<uint> opcodes, string? extraHandler = null)
    {
        var text = new StringBuilder();
        text.Append("using Vyre;\n\nnamespace ").Append(ns).Append(";\n\n[Megakernel]\npublic static partial class ").Append(name).Append("\n{\n");
        foreach (uint opcode in opcodes)
        {
            text.Append("    [OpcodeHandler(0x").Append(opcode.ToString("X")).Append(")]\n")
                .Append("    public static SlotStatus Op").Append(opcode.ToString("X")).Append("(ref SlotContext slot)\n    {\n")
                .Append("        slot.SetResult(0, 0x").Append(opcode.ToString("X")).Append("u);\n        return SlotStatus.Done;\n    }\n\n");
        }

        text.Append(extraHandler ?? string.Empty).Append("}\n");
        return text.ToString();
    }
}
