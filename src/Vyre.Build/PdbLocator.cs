using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace Vyre.Build;

/// <summary>
/// Maps (method, IL offset) to a source line through the portable PDB (System.Reflection.Metadata sequence
/// points), and finds the IL offsets in a method where it calls a given callee (for the case where ILGPU's message
/// names the failing callee but not the offset in the caller).
/// </summary>
internal sealed class PdbLocator : IDisposable
{
    private readonly PEReader _pe;
    private readonly MetadataReaderProvider? _pdbProvider;
    private readonly MetadataReader? _pdb;

    public PdbLocator(string assemblyPath)
    {
        _pe = new PEReader(File.OpenRead(assemblyPath));
        // Embedded PDB or a PDB next to the assembly (the path in the CodeView entry first).
        if (_pe.TryOpenAssociatedPortablePdb(assemblyPath, p => File.Exists(p) ? File.OpenRead(p) : null, out _pdbProvider, out _))
        {
            _pdb = _pdbProvider!.GetMetadataReader();
        }
    }

    public bool HasPdb => _pdb is not null;

    /// <summary>Source files of this assembly (documents of its PDB).</summary>
    public bool HasDocument(string path) =>
        _pdb is not null && _pdb.Documents.Any(d => string.Equals(_pdb.GetString(_pdb.GetDocument(d).Name), path, StringComparison.Ordinal));

    /// <summary>The method whose sequence points cover <paramref name="path"/>:<paramref name="line"/>, as "Type.Method".</summary>
    public string? MethodAt(string path, int line) => MethodTokenAt(path, line) is int token ? Describe(token) : null;

    private string Describe(int token)
    {
        MetadataReader md = _pe.GetMetadataReader();
        MethodDefinition def = md.GetMethodDefinition((MethodDefinitionHandle)MetadataTokens.Handle(token));
        return md.GetString(md.GetTypeDefinition(def.GetDeclaringType()).Name) + "." + md.GetString(def.Name);
    }

    /// <summary>The metadata token of the method whose sequence points cover <paramref name="path"/>:<paramref name="line"/> (innermost span).</summary>
    public int? MethodTokenAt(string path, int line)
    {
        if (_pdb is null)
        {
            return null;
        }

        int? best = null;
        int bestSpan = int.MaxValue;
        foreach (MethodDebugInformationHandle h in _pdb.MethodDebugInformation)
        {
            MethodDebugInformation info = _pdb.GetMethodDebugInformation(h);
            int min = int.MaxValue, max = 0;
            bool inFile = false;
            foreach (SequencePoint sp in info.GetSequencePoints())
            {
                if (sp.IsHidden || !string.Equals(_pdb.GetString(_pdb.GetDocument(sp.Document).Name), path, StringComparison.Ordinal))
                {
                    continue;
                }

                inFile = true;
                min = Math.Min(min, sp.StartLine);
                max = Math.Max(max, sp.EndLine);
            }

            if (inFile && min <= line && line <= max && max - min < bestSpan)
            {
                best = MetadataTokens.GetToken(h.ToDefinitionHandle());
                bestSpan = max - min;
            }
        }

        return best;
    }

    /// <summary>The sequence point covering <paramref name="ilOffset"/> in <paramref name="method"/>: "File.cs(line,col)".</summary>
    public string? Locate(MethodBase method, int ilOffset)
    {
        if (_pdb is null)
        {
            return null;
        }

        var handle = (MethodDefinitionHandle)MetadataTokens.Handle(method.MetadataToken);
        MethodDebugInformation info = _pdb.GetMethodDebugInformation(handle.ToDebugInformationHandle());
        SequencePoint? best = null;
        foreach (SequencePoint sp in info.GetSequencePoints())
        {
            if (sp.IsHidden)
            {
                continue;
            }

            if (sp.Offset <= ilOffset)
            {
                best = sp;
            }
            else
            {
                break;
            }
        }

        if (best is not SequencePoint found)
        {
            return null;
        }

        string file = _pdb.GetString(_pdb.GetDocument(found.Document).Name);
        return $"{file}({found.StartLine},{found.StartColumn})";
    }

    /// <summary>IL offsets of every call/callvirt/newobj in <paramref name="caller"/> whose target <paramref name="isTarget"/> accepts.</summary>
    public static IEnumerable<int> CallSites(MethodBase caller, Func<MethodBase, bool> isTarget) =>
        Members(caller, calls: true).Where(m => m.Member is MethodBase method && isTarget(method)).Select(m => m.Offset);

    /// <summary>Every call/callvirt/newobj in <paramref name="caller"/>: its IL offset and its target.</summary>
    public static IEnumerable<(int Offset, MethodBase Target)> CallSitesWithTargets(MethodBase caller) =>
        Members(caller, calls: true).Where(m => m.Member is MethodBase).Select(m => (m.Offset, (MethodBase)m.Member));

    /// <summary>IL offsets of every instruction in <paramref name="method"/> with a method, field or type token that <paramref name="isTarget"/> accepts.</summary>
    public static IEnumerable<int> TokenSites(MethodBase method, Func<MemberInfo, bool> isTarget) =>
        Members(method, calls: false).Where(m => isTarget(m.Member)).Select(m => m.Offset);

    /// <summary>The methods <paramref name="caller"/> calls (call, callvirt, newobj), in IL order.</summary>
    public static IEnumerable<MethodBase> Callees(MethodBase caller) => Members(caller, calls: true).Select(m => m.Member).OfType<MethodBase>();

    /// <summary>Each instruction's resolved token: only calls when <paramref name="calls"/>, else every method, field or type token.</summary>
    private static IEnumerable<(int Offset, MemberInfo Member)> Members(MethodBase caller, bool calls)
    {
        byte[]? il = caller.GetMethodBody()?.GetILAsByteArray();
        if (il is null)
        {
            yield break;
        }

        Module module = caller.Module;
        Type[]? typeArgs = caller.DeclaringType?.IsGenericType == true ? caller.DeclaringType.GetGenericArguments() : null;
        Type[]? methodArgs = caller.IsGenericMethod ? caller.GetGenericArguments() : null;
        int pos = 0;
        while (pos < il.Length)
        {
            int start = pos;
            ILOpCode op = (ILOpCode)il[pos++];
            if ((byte)op == 0xFE)
            {
                op = (ILOpCode)(0xFE00 | il[pos++]);
            }

            int operand = OperandSize(op, il, pos);
            if (op is ILOpCode.Call or ILOpCode.Callvirt or ILOpCode.Newobj || (!calls && HasToken(op) && op is not ILOpCode.Ldstr))
            {
                int token = BitConverter.ToInt32(il, pos);
                MemberInfo? target = null;
                try
                {
                    target = module.ResolveMember(token, typeArgs, methodArgs);
                }
                catch (Exception ex) when (ex is ArgumentException or TypeLoadException or MissingMemberException or BadImageFormatException)
                {
                }

                if (target is not null)
                {
                    yield return (start, target);
                }
            }

            pos += operand;
        }
    }

    private static int OperandSize(ILOpCode op, byte[] il, int pos)
    {
        switch (op)
        {
            case ILOpCode.Switch:
                return 4 + (BitConverter.ToInt32(il, pos) * 4);
            case ILOpCode.Ldarg_s or ILOpCode.Ldarga_s or ILOpCode.Starg_s or ILOpCode.Ldloc_s or ILOpCode.Ldloca_s or ILOpCode.Stloc_s
                or ILOpCode.Ldc_i4_s or ILOpCode.Br_s or ILOpCode.Brfalse_s or ILOpCode.Brtrue_s or ILOpCode.Beq_s or ILOpCode.Bge_s
                or ILOpCode.Bgt_s or ILOpCode.Ble_s or ILOpCode.Blt_s or ILOpCode.Bne_un_s or ILOpCode.Bge_un_s or ILOpCode.Bgt_un_s
                or ILOpCode.Ble_un_s or ILOpCode.Blt_un_s or ILOpCode.Leave_s or ILOpCode.Unaligned:
                return 1;
            case ILOpCode.Ldarg or ILOpCode.Ldarga or ILOpCode.Starg or ILOpCode.Ldloc or ILOpCode.Ldloca or ILOpCode.Stloc:
                return 2;
            case ILOpCode.Ldc_i8 or ILOpCode.Ldc_r8:
                return 8;
            default:
                return (op.IsBranch() && op.GetBranchOperandSize() == 4) || HasToken(op) || op is ILOpCode.Ldc_i4 or ILOpCode.Ldc_r4 ? 4 : 0;
        }
    }

    private static bool HasToken(ILOpCode op) => op is ILOpCode.Call or ILOpCode.Callvirt or ILOpCode.Newobj or ILOpCode.Calli
        or ILOpCode.Jmp or ILOpCode.Ldftn or ILOpCode.Ldvirtftn or ILOpCode.Ldtoken or ILOpCode.Ldfld or ILOpCode.Ldflda or ILOpCode.Stfld
        or ILOpCode.Ldsfld or ILOpCode.Ldsflda or ILOpCode.Stsfld or ILOpCode.Ldstr or ILOpCode.Castclass or ILOpCode.Isinst or ILOpCode.Box
        or ILOpCode.Unbox or ILOpCode.Unbox_any or ILOpCode.Newarr or ILOpCode.Ldelema or ILOpCode.Ldelem or ILOpCode.Stelem
        or ILOpCode.Ldobj or ILOpCode.Stobj or ILOpCode.Cpobj or ILOpCode.Initobj or ILOpCode.Mkrefany or ILOpCode.Refanyval
        or ILOpCode.Sizeof or ILOpCode.Constrained;

    public void Dispose()
    {
        _pdbProvider?.Dispose();
        _pe.Dispose();
    }
}
