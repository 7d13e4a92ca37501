using System.Collections.Generic;

namespace Vyre.Generators.Tests;

/// <summary>
/// One malformed source per VYR case and its corrected twin. <c>[|...|]</c> marks the span the
/// diagnostic must be located on; the markers are removed before compiling.
/// </summary>
public static class DiagnosticCases
{
    public sealed record Case(string Name, string Id, string Bad, string Good)
    {
        public override string ToString() => Id + " " + Name;
    }

    private const string Ok = "slot.SetResult(0, 1u);\n        return SlotStatus.Done;";

    public static IEnumerable<Case> All()
    {
        yield return new("instance handler", "VYR001",
            Kernel("[OpcodeHandler(0x100)] public SlotStatus [|Op|](ref SlotContext slot) => SlotStatus.Done;"),
            Kernel("[OpcodeHandler(0x100)] public static SlotStatus Op(ref SlotContext slot) => SlotStatus.Done;"));
        yield return new("handler outside a megakernel", "VYR002",
            "using Vyre;\nnamespace App;\npublic static class Plain\n{\n    [OpcodeHandler(0x100)] public static SlotStatus [|Op|](ref SlotContext slot) => SlotStatus.Done;\n}\n",
            "using Vyre;\nnamespace App;\n[Megakernel]\npublic static partial class Plain\n{\n    [OpcodeHandler(0x100)] public static SlotStatus Op(ref SlotContext slot) => SlotStatus.Done;\n}\n");
        yield return new("megakernel not static", "VYR003",
            "using Vyre;\nnamespace App;\n[Megakernel]\npublic partial class [|K|]\n{\n}\n",
            "using Vyre;\nnamespace App;\n[Megakernel]\npublic static partial class K\n{\n}\n");
        yield return new("megakernel not partial", "VYR003",
            "using Vyre;\nnamespace App;\n[Megakernel]\npublic static class [|K|]\n{\n}\n",
            "using Vyre;\nnamespace App;\n[Megakernel]\npublic static partial class K\n{\n}\n");
        yield return new("megakernel nested", "VYR003",
            "using Vyre;\nnamespace App;\npublic static partial class Outer\n{\n    [Megakernel]\n    public static partial class [|K|]\n    {\n    }\n}\n",
            "using Vyre;\nnamespace App;\n[Megakernel]\npublic static partial class K\n{\n}\n");
        yield return new("returns void", "VYR004",
            Kernel("[OpcodeHandler(0x100)] public static void [|Op|](ref SlotContext slot) { }"),
            Kernel("[OpcodeHandler(0x100)] public static SlotStatus Op(ref SlotContext slot) => SlotStatus.Done;"));
        yield return new("context by value", "VYR004",
            Kernel("[OpcodeHandler(0x100)] public static SlotStatus [|Op|](SlotContext slot) => SlotStatus.Done;"),
            Kernel("[OpcodeHandler(0x100)] public static SlotStatus Op(ref SlotContext slot) => SlotStatus.Done;"));
        yield return new("generic handler", "VYR005",
            Kernel("[OpcodeHandler(0x100)] public static SlotStatus [|Op|]<T>(ref SlotContext slot) => SlotStatus.Done;"),
            Kernel("[OpcodeHandler(0x100)] public static SlotStatus Op(ref SlotContext slot) => SlotStatus.Done;"));
        yield return new("async handler", "VYR006",
            Kernel("[OpcodeHandler(0x100)] public static async System.Threading.Tasks.Task<SlotStatus> [|Op|](SlotContext slot) { await System.Threading.Tasks.Task.Yield(); return SlotStatus.Done; }"),
            Kernel("[OpcodeHandler(0x100)] public static SlotStatus Op(ref SlotContext slot) => SlotStatus.Done;"));
        yield return new("ref return", "VYR007",
            Kernel("private static readonly SlotStatus[] s_status = [SlotStatus.Done];\n    [OpcodeHandler(0x100)] public static ref SlotStatus [|Op|](ref SlotContext slot) => ref s_status[0];"),
            Kernel("[OpcodeHandler(0x100)] public static SlotStatus Op(ref SlotContext slot) => SlotStatus.Done;"));
        yield return new("generic megakernel", "VYR008",
            "using Vyre;\nnamespace App;\n[Megakernel]\npublic static partial class [|K|]<T>\n{\n}\n",
            "using Vyre;\nnamespace App;\n[Megakernel]\npublic static partial class K\n{\n}\n");
        yield return new("reference-type local", "VYR101",
            Handler("object? [|o = null|];\n        " + Ok),
            Handler("uint o = slot.Arg(1);\n        slot.SetResult(1, o);\n        " + Ok));
        yield return new("class allocation", "VYR102",
            Handler("var w = [|new System.Text.StringBuilder()|];\n        " + Ok),
            Handler("var w = (X: 1u, Y: 2u);\n        slot.SetResult(1, w.X + w.Y);\n        " + Ok));
        yield return new("array allocation", "VYR102",
            Handler("uint sum = 0; foreach (uint x in [|new uint[slot.Arg(0)]|]) { sum += x; }\n        " + Ok),
            Handler("uint sum = 0; for (uint x = 0; x < 4; x++) { sum += x; }\n        " + Ok));
        yield return new("string literal", "VYR103",
            Handler("int n = [|\"abc\"|].Length;\n        " + Ok),
            Handler("int n = 3;\n        slot.SetResult(1, (uint)n);\n        " + Ok));
        yield return new("boxing", "VYR103",
            Handler("bool same = Same([|slot.Arg(0)|]);\n        " + Ok, "private static bool Same(object value) => value is null;"),
            Handler("bool same = Same(slot.Arg(0));\n        " + Ok, "private static bool Same(uint value) => value == 1u;"));
        yield return new("reference-type parameter of a helper", "VYR101",
            Handler("bool same = Same(default);\n        " + Ok, "private static bool Same(int[]? [|values|]) => values is null;"),
            Handler("bool same = Same(default);\n        " + Ok, "private static bool Same(uint value) => value == 1u;"));
        yield return new("throw", "VYR104",
            Handler("if (slot.Arg(0) == 0) { [|throw new System.InvalidOperationException();|] }\n        " + Ok),
            Handler("if (slot.Arg(0) == 0) { return slot.Fail(1); }\n        " + Ok));
        yield return new("try", "VYR104",
            Handler("[|try|] { slot.SetResult(0, 1u); } finally { slot.SetResult(1, 2u); }\n        return SlotStatus.Done;"),
            Handler("slot.SetResult(0, 1u); slot.SetResult(1, 2u);\n        return SlotStatus.Done;"));
        yield return new("capturing local function", "VYR105",
            Handler("uint k = slot.Arg(0);\n        uint [|Twice|]() => k * 2;\n        slot.SetResult(0, Twice());\n        return SlotStatus.Done;"),
            Handler("uint k = slot.Arg(0);\n        static uint Twice(uint v) => v * 2;\n        slot.SetResult(0, Twice(k));\n        return SlotStatus.Done;"));
        yield return new("lambda", "VYR105",
            Handler("System.Func<uint, uint> f = [|x => x + 1|];\n        " + Ok),
            Handler("uint f = slot.Arg(0) + 1;\n        " + Ok));
        yield return new("interface call", "VYR106",
            Handler("System.IComparable<uint> c = default(Cmp);\n        int r = [|c.CompareTo(1u)|];\n        " + Ok,
                "public struct Cmp : System.IComparable<uint> { public readonly int CompareTo(uint other) => 0; }"),
            Handler("Cmp c = default;\n        int r = c.CompareTo(1u);\n        " + Ok,
                "public struct Cmp : System.IComparable<uint> { public readonly int CompareTo(uint other) => 0; }"));
        yield return new("direct recursion", "VYR107",
            Handler("if (slot.Arg(0) > 0) { return [|Op(ref slot)|]; }\n        " + Ok),
            Handler("while (slot.Arg(0) > 0) { break; }\n        " + Ok));
        yield return new("recursion through a helper", "VYR107",
            Handler("return Helper(ref slot);",
                "private static SlotStatus Helper(ref SlotContext slot) => [|Op(ref slot)|];"),
            Handler("return Helper(ref slot);",
                "private static SlotStatus Helper(ref SlotContext slot) => SlotStatus.Done;"));
        yield return new("static mutable field", "VYR108",
            Handler("slot.SetResult(0, [|s_count|]);\n        return SlotStatus.Done;", "private static uint s_count;"),
            Handler("slot.SetResult(0, Count);\n        return SlotStatus.Done;", "private const uint Count = 3;"));
        yield return new("unsupported library call", "VYR109",
            Handler("[|System.Console.WriteLine(1)|];\n        " + Ok),
            Handler("uint m = System.Math.Max(slot.Arg(0), 1u);\n        " + Ok));
        yield return new("violation inside a called helper", "VYR109",
            Handler("return Helper(ref slot);",
                "private static SlotStatus Helper(ref SlotContext slot)\n    {\n        [|System.Console.WriteLine(1)|];\n        return SlotStatus.Done;\n    }"),
            Handler("return Helper(ref slot);",
                "private static SlotStatus Helper(ref SlotContext slot)\n    {\n        slot.SetResult(0, 1u);\n        return SlotStatus.Done;\n    }"));
        yield return new("warp operation in a lane handler", "VYR110",
            Handler("uint v = [|ILGPU.Warp.Shuffle(slot.Arg(0), 0)|];\n        slot.SetResult(0, v);\n        " + Ok),
            Handler("uint v = slot.Arg(0);\n        slot.SetResult(0, v);\n        " + Ok));
        yield return new("group barrier in a lane handler", "VYR110",
            Handler("[|ILGPU.Group.Barrier()|];\n        " + Ok),
            Handler("ILGPU.Atomic.Add(ref slot.Words(0, 1)[0], 1u);\n        " + Ok));
        yield return new("warp-wide handler without its group", "VYR009",
            Kernel("[OpcodeHandler(0x100, Width = HandlerWidth.Warp)] public static SlotStatus [|Op|](ref SlotContext slot) => SlotStatus.Done;"),
            Kernel(WarpOp("=> SlotStatus.Done;")));
        yield return new("warp-wide handler with an unconstrained group", "VYR009",
            Kernel("[OpcodeHandler(0x100, Width = HandlerWidth.Warp)] public static SlotStatus [|Op|]<TGroup>(ref SlotContext slot, ref TGroup group) => SlotStatus.Done;"),
            Kernel(WarpOp("=> SlotStatus.Done;")));
        yield return new("lane handler taking a group", "VYR111",
            Kernel("[OpcodeHandler(0x100)] public static SlotStatus Op<TGroup>(ref SlotContext slot, ref TGroup [|group|]) where TGroup : struct, ISlotGroup => SlotStatus.Done;"),
            Kernel(WarpOp("=> SlotStatus.Done;")));
        yield return new("group operation in a lane handler's helper", "VYR111",
            Handler("return Helper(ref slot, default(G));",
                "private static SlotStatus Helper<TGroup>(ref SlotContext slot, TGroup group) where TGroup : struct, ISlotGroup\n    {\n        slot.SetResult(0, [|group.Sum(1u)|]);\n        return SlotStatus.Done;\n    }\n    private struct G : ISlotGroup\n    {\n        public int Lane => 0; public int Size => 1; public SlotView<uint> Scratch => default;\n        public void Barrier() { } public uint Shuffle(uint v, int s) => v; public uint ShuffleXor(uint v, int m) => v; public uint ShuffleDown(uint v, int d) => v;\n        public uint Broadcast(uint v) => v; public uint Sum(uint v) => v; public uint Max(uint v) => v; public uint Min(uint v) => v; public uint Or(uint v) => v;\n        public uint Ballot(bool p) => p ? 1u : 0u; public bool Any(bool p) => p; public bool All(bool p) => p;\n    }"),
            Handler("slot.SetResult(0, 1u);\n        return SlotStatus.Done;"));
        yield return new("LoadMiss in a warp-wide handler", "VYR112",
            Kernel(WarpOp("=> [|slot.LoadMiss(0, 0, 16, 0)|];")),
            Kernel(WarpOp("=> group.Lane == 0 ? SlotStatus.Done : SlotStatus.Done;")));
        yield return new("slot context passed to a helper by value", "VYR113",
            Handler("return Reject(slot);", "private static SlotStatus Reject(SlotContext [|copy|]) => copy.Fail(7);"),
            Handler("return Reject(ref slot);", "private static SlotStatus Reject(ref SlotContext slot) => slot.Fail(7);"));
        yield return new("slot context passed to a helper as 'in'", "VYR113",
            Handler("Put(slot, 1u);\n        return SlotStatus.Done;", "private static void Put(in SlotContext [|slot|], uint value) => slot.SetResult(0, value);"),
            Handler("Put(ref slot, 1u);\n        return SlotStatus.Done;", "private static void Put(ref SlotContext slot, uint value) => slot.SetResult(0, value);"));
        yield return new("slot context copied into a local", "VYR113",
            Handler("SlotContext [|copy = slot|];\n        return copy.Fail(3);"),
            Handler("ref SlotContext alias = ref slot;\n        return alias.Fail(3);"));
        yield return new("slot context in a 'ref readonly' local", "VYR113",
            Handler("ref readonly SlotContext [|view = ref slot|];\n        return view.Arg(0) == 0 ? SlotStatus.Done : SlotStatus.Fault;"),
            Handler("ref SlotContext view = ref slot;\n        return view.Arg(0) == 0 ? SlotStatus.Done : SlotStatus.Fault;"));
        yield return new("slot context caught by a pattern", "VYR113",
            Handler("return slot is [|var copy|] ? copy.Fail(3) : SlotStatus.Done;"),
            Handler("return slot.Arg(0) is var value ? slot.Fail(value) : SlotStatus.Done;"));
        yield return new("slot context stored in a struct's field", "VYR113",
            Handler("Holder holder = default;\n        [|holder.Slot = slot|];\n        return SlotStatus.Done;", "private struct Holder { public SlotContext Slot; }"),
            Handler("Holder holder = default;\n        holder.Value = slot.Arg(0);\n        return SlotStatus.Done;", "private struct Holder { public uint Value; }"));
        yield return new("slot context given to a generic helper", "VYR113",
            Handler("return [|Keep(slot)|];", "private static SlotStatus Keep<T>(T value) where T : struct => SlotStatus.Done;"),
            Handler("return Keep(slot.Arg(0));", "private static SlotStatus Keep<T>(T value) where T : struct => SlotStatus.Done;"));
        yield return new("slot context returned by value", "VYR113",
            Handler("return Same(ref slot).Fail(3);", "private static SlotContext [|Same|](ref SlotContext slot) => slot;"),
            Handler("return Same(ref slot).Fail(3);", "private static ref SlotContext Same(ref SlotContext slot) => ref slot;"));
        yield return new("duplicate opcode", "VYR201",
            Kernel("[OpcodeHandler(0x100)] public static SlotStatus A(ref SlotContext slot) => SlotStatus.Done;\n    [OpcodeHandler([|0x100|])] public static SlotStatus B(ref SlotContext slot) => SlotStatus.Done;"),
            Kernel("[OpcodeHandler(0x100)] public static SlotStatus A(ref SlotContext slot) => SlotStatus.Done;\n    [OpcodeHandler(0x101)] public static SlotStatus B(ref SlotContext slot) => SlotStatus.Done;"));
        yield return new("builtin opcode", "VYR202",
            Kernel("[OpcodeHandler([|0x3|])] public static SlotStatus Op(ref SlotContext slot) => SlotStatus.Done;"),
            Kernel("[OpcodeHandler(0x8)] public static SlotStatus Op(ref SlotContext slot) => SlotStatus.Done;"));
        yield return new("high bit set", "VYR202",
            Kernel("[OpcodeHandler([|0x8000_0001|])] public static SlotStatus Op(ref SlotContext slot) => SlotStatus.Done;"),
            Kernel("[OpcodeHandler(0x3FFF_FFFF)] public static SlotStatus Op(ref SlotContext slot) => SlotStatus.Done;"));
        yield return new("tenant window", "VYR203",
            Kernel("[OpcodeHandler([|0x4100_0000|])] public static SlotStatus Op(ref SlotContext slot) => SlotStatus.Done;"),
            Kernel("[OpcodeHandler(0x0100_0000)] public static SlotStatus Op(ref SlotContext slot) => SlotStatus.Done;"));
    }

    private static string WarpOp(string body) =>
        "[OpcodeHandler(0x100, Width = HandlerWidth.Warp)] public static SlotStatus Op<TGroup>(ref SlotContext slot, ref TGroup group) where TGroup : struct, ISlotGroup " + body;

    private static string Kernel(string members) =>
        "using Vyre;\nnamespace App;\n[Megakernel]\npublic static partial class K\n{\n    " + members + "\n}\n";

    private static string Handler(string body, string extraMembers = "") =>
        Kernel("[OpcodeHandler(0x100)]\n    public static SlotStatus Op(ref SlotContext slot)\n    {\n        " + body + "\n    }\n    " + extraMembers);
}
