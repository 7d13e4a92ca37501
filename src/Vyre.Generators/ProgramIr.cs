using System.Collections.Generic;
using System.IO;
using System.Security.Cryptography;
using System.Text;
using Vyre.Internals;

namespace Vyre.Generators;

/// <summary>One Program IR node as the generator holds it (mirrors <c>Vyre.ProgramNode</c>).</summary>
internal sealed record IrNode(ProgramNodeKind Kind, int Parent, uint Operand, string Label);

/// <summary>
/// Builds a megakernel's Program IR: the buffers it binds, then the persistent loop with its forwarder,
/// claim, tenant check, dispatch tree (handlers as call nodes), loop built-ins and completion. Also its
/// binary form ("VYRP", version, workgroup size, nodes) and the SHA-256 digest of that form.
/// </summary>
internal static class ProgramIr
{
    /// <summary>Threads per group the persistent loop is planned for.</summary>
    public const int WorkgroupSize = 128;

    /// <summary>Version of the binary form.</summary>
    public const ushort BinaryVersion = 1;

    private static readonly (string Name, uint Residence)[] s_buffers =
    [
        ("ring", 0), ("control", 0), ("data", 0), ("heap", 1), ("debug_log", 1), ("state", 1), ("completed", 1),
    ];

    public static List<IrNode> Build(MegakernelSpec spec)
    {
        var nodes = new List<IrNode>();
        foreach ((string name, uint residence) in s_buffers)
        {
            nodes.Add(new IrNode(ProgramNodeKind.Buffer, -1, residence, name));
        }

        int loop = Add(nodes, ProgramNodeKind.PersistentLoop, -1, WorkgroupSize, spec.Declaration.Namespace.Length == 0 ? spec.Declaration.Name : spec.Declaration.Namespace + "." + spec.Declaration.Name);
        Add(nodes, ProgramNodeKind.Forward, loop, 0, "doorbell, shutdown, heartbeat");
        Add(nodes, ProgramNodeKind.Claim, loop, 0, "warp claims up to 32 sequence numbers");
        Add(nodes, ProgramNodeKind.TenantCheck, loop, ControlWord.TenantMaskFirst, "tenant masks (the device's copy of these control words)");
        foreach ((uint opcode, string name) in DispatchPlanner.LoopBuiltins)
        {
            Add(nodes, ProgramNodeKind.LoopBuiltin, loop, opcode, name);
        }

        int dispatch = Add(nodes, ProgramNodeKind.Dispatch, loop, (uint)spec.Targets.Count, "dispatch");
        AddTree(nodes, dispatch, spec.Tree, spec.Targets);
        Add(nodes, ProgramNodeKind.Complete, loop, 0, "payload, fence.sys, status");
        return nodes;
    }

    public static byte[] ToBinary(IReadOnlyList<IrNode> nodes)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, new UTF8Encoding(false), leaveOpen: true))
        {
            writer.Write(Encoding.ASCII.GetBytes("VYRP"));
            writer.Write(BinaryVersion);
            writer.Write(WorkgroupSize);
            writer.Write(nodes.Count);
            foreach (IrNode node in nodes)
            {
                writer.Write((byte)node.Kind);
                writer.Write(node.Parent);
                writer.Write(node.Operand);
                writer.Write(node.Label);
            }
        }

        return stream.ToArray();
    }

    /// <summary>
    /// SHA-256 over the binary form and the code digest of every target in ordinal order: two megakernels with equal
    /// digests have the same dispatch tree and the same code in every handler and everything it reaches.
    /// </summary>
    public static string Digest(byte[] binary, EquatableArray<DispatchTargetSpec> targets)
    {
        using var stream = new MemoryStream();
        stream.Write(binary, 0, binary.Length);
        foreach (DispatchTargetSpec target in targets)
        {
            byte[] code = Encoding.UTF8.GetBytes(target.Name + "\0" + (target.IsGroup ? "warp\0" : string.Empty) + target.CodeDigest + "\n");
            stream.Write(code, 0, code.Length);
        }

        return Sha256(stream.ToArray());
    }

    /// <summary>Lower-case hex SHA-256 of <paramref name="bytes"/>.</summary>
    public static string Sha256(byte[] bytes)
    {
        using var sha = SHA256.Create();
        byte[] hash = sha.ComputeHash(bytes);
        var text = new StringBuilder(hash.Length * 2);
        foreach (byte b in hash)
        {
            text.Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }

    private static void AddTree(List<IrNode> nodes, int parent, DispatchNodeSpec node, EquatableArray<DispatchTargetSpec> targets)
    {
        switch (node.Kind)
        {
            case DispatchNodeKind.Split:
                int split = Add(nodes, ProgramNodeKind.Split, parent, node.Pivot, "opcode < pivot");
                AddTree(nodes, split, node.Left!, targets);
                AddTree(nodes, split, node.Right!, targets);
                break;
            case DispatchNodeKind.JumpTable:
                int table = Add(nodes, ProgramNodeKind.JumpTable, parent, node.Low, "entries " + node.TargetIndexes.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
                foreach (int index in node.TargetIndexes)
                {
                    AddCall(nodes, table, targets[index]);
                }

                break;
            default:
                AddCall(nodes, parent, targets[node.TargetIndexes[0]]);
                break;
        }
    }

    private static void AddCall(List<IrNode> nodes, int parent, DispatchTargetSpec target) =>
        Add(nodes, target.IsBuiltin ? ProgramNodeKind.CallBuiltin : ProgramNodeKind.CallHandler, parent, target.Opcode, target.Name);

    private static int Add(List<IrNode> nodes, ProgramNodeKind kind, int parent, uint operand, string label)
    {
        nodes.Add(new IrNode(kind, parent, operand, label));
        return nodes.Count - 1;
    }
}
