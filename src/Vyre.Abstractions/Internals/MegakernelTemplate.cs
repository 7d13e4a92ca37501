using System;
using System.Collections.Generic;
using System.ComponentModel;

namespace Vyre.Internals;

/// <summary>
/// A megakernel's Program IR as the generator wrote it at build time: the nodes, their binary form and a
/// stable digest of that form (equal digests mean equal programs, on any machine and in any culture).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class MegakernelTemplate
{
    private readonly byte[] _binary;

    /// <summary>Wraps the generated data.</summary>
    public MegakernelTemplate(string name, int workgroupSize, string digest, IReadOnlyList<ProgramNode> nodes, byte[] binary)
    {
        Name = name;
        WorkgroupSize = workgroupSize;
        Digest = digest;
        Nodes = nodes;
        _binary = binary;
    }

    /// <summary>The megakernel's full type name.</summary>
    public string Name { get; }

    /// <summary>Threads per group the device loop is planned for.</summary>
    public int WorkgroupSize { get; }

    /// <summary>Hex SHA-256 of <see cref="Binary"/>.</summary>
    public string Digest { get; }

    /// <summary>The IR nodes in pre-order.</summary>
    public IReadOnlyList<ProgramNode> Nodes { get; }

    /// <summary>The binary form the digest is computed over.</summary>
    public ReadOnlySpan<byte> Binary => _binary;
}
