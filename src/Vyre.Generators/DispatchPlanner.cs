using System.Collections.Generic;
using System.Linq;

namespace Vyre.Generators;

/// <summary>
/// Plans a megakernel's dispatch tree at compile time: runs of opcodes dense enough become one jump
/// table; the runs and lone opcodes are then joined by a balanced binary search on the opcode.
/// Pure: no Roslyn types, so it is tested with hand-made targets.
/// </summary>
internal static class DispatchPlanner
{
    /// <summary>Fewest opcodes worth a jump table.</summary>
    public const int MinJumpTableEntries = 4;

    /// <summary>
    /// Built-ins in the dispatch tree (the ones that need only their slot and the heap), by opcode; in place when
    /// <c>BuiltinOps</c> marks the method AggressiveInlining (the kernels run it on their context, not a copy).
    /// </summary>
    public static readonly (uint Opcode, string Name, bool InPlace)[] TreeBuiltins =
    [
        (Opcodes.Nop, "Nop", true),
        (Opcodes.StoreU32, "StoreU32", true),
        (Opcodes.AtomicAdd, "AtomicAdd", true),
        (Opcodes.LoadU32, "LoadU32", true),
        (Opcodes.CompareSwap, "CompareSwap", true),
        (Opcodes.Memcpy, "Memcpy", false),
        (Opcodes.DfaStep, "DfaStep", false),
    ];

    /// <summary>Built-ins the device loop runs itself, by opcode.</summary>
    public static readonly (uint Opcode, string Name)[] LoopBuiltins =
    [
        (Opcodes.BatchFence, "BatchFence"),
        (Opcodes.LoadMiss, "LoadMiss"),
        (Opcodes.Printf, "Printf"),
        (Opcodes.PackedSlot, "PackedSlot"),
        (Opcodes.Exec, "Exec"),
        (Opcodes.GraphWorker, "GraphWorker"),
        (Opcodes.Shutdown, "Shutdown"),
    ];

    /// <summary>The targets of one megakernel: tree built-ins and handlers sorted by opcode, ordinals assigned in that order.</summary>
    public static DispatchTargetSpec[] Targets(IEnumerable<DispatchEntrySpec> handlers, string megakernelFullName)
    {
        IEnumerable<(uint Opcode, string Name, string Call, bool Builtin, string Code, bool Group, bool InPlace)> all = TreeBuiltins
            .Select(b => (b.Opcode, b.Name, "global::Vyre.Internals.BuiltinOps." + b.Name, true, string.Empty, false, b.InPlace))
            .Concat(handlers.Select(h => (h.Opcode, h.MethodName, "global::" + megakernelFullName + "." + h.MethodName, false, h.CodeDigest, h.IsGroup, h.InPlace)));
        return all
            .OrderBy(t => t.Opcode)
            .Select((t, i) => new DispatchTargetSpec(t.Opcode, i, t.Name, t.Call, t.Builtin, t.Code, t.Group, t.InPlace))
            .ToArray();
    }

    /// <summary>Plans the tree over <paramref name="targets"/> (sorted by opcode, distinct).</summary>
    public static DispatchNodeSpec Plan(IReadOnlyList<DispatchTargetSpec> targets)
    {
        var segments = new List<DispatchNodeSpec>();
        int start = 0;
        while (start < targets.Count)
        {
            int end = start;
            while (end + 1 < targets.Count && IsDense(targets[start].Opcode, targets[end + 1].Opcode, end + 2 - start))
            {
                end++;
            }

            int count = end - start + 1;
            if (count >= MinJumpTableEntries)
            {
                segments.Add(Node(DispatchNodeKind.JumpTable, targets[start].Opcode, targets[end].Opcode, Enumerable.Range(start, count)));
            }
            else
            {
                for (int i = start; i <= end; i++)
                {
                    segments.Add(Node(DispatchNodeKind.Leaf, targets[i].Opcode, targets[i].Opcode, [i]));
                }
            }

            start = end + 1;
        }

        return Join(segments, 0, segments.Count - 1);
    }

    /// <summary>A range is dense when at least half its opcodes have a target.</summary>
    private static bool IsDense(uint low, uint high, int entries) => (ulong)high - low + 1 <= 2UL * (ulong)entries;

    private static DispatchNodeSpec Join(List<DispatchNodeSpec> segments, int first, int last)
    {
        if (first == last)
        {
            return segments[first];
        }

        int middle = (first + last + 1) / 2;
        DispatchNodeSpec left = Join(segments, first, middle - 1);
        DispatchNodeSpec right = Join(segments, middle, last);
        uint pivot = segments[middle].Low;
        return new DispatchNodeSpec(DispatchNodeKind.Split, left.Low, right.High, pivot, new EquatableArray<int>([]), left, right);
    }

    private static DispatchNodeSpec Node(DispatchNodeKind kind, uint low, uint high, IEnumerable<int> targets) =>
        new(kind, low, high, 0, new EquatableArray<int>(targets.ToArray()), null, null);
}
