using System;
using System.Collections.Generic;

namespace Vyre.Generators;

/// <summary>
/// Library members ILGPU 1.5.3 accepts in some form but a GPU cannot run, as the labelled corpus found them
/// (tests/Vyre.Generators.Tests/Corpus): their bodies throw, use hardware intrinsics or table lookups, have no PTX
/// without ILGPU.Algorithms, fail the driver's JIT (Math.Log2, MathF.FusedMultiplyAdd) or give a wrong value on CUDA (Math.CopySign).
/// One list for both judges: the analyzer (VYR109, in the editor) and the build step, which applies it to the IL of
/// helpers in the user's other assemblies (VYR120), where the analyzer cannot look and PTX compiles.
/// </summary>
internal static class GpuRefusedMembers
{
    private static readonly Dictionary<string, string[]> s_members = new()
    {
        ["System.Math"] = ["Clamp", "Log2", "CopySign", "Sin", "Cos", "Tan", "Exp", "Log", "Log10", "Pow", "FusedMultiplyAdd"],
        ["System.MathF"] = ["Exp", "Log", "Pow", "FusedMultiplyAdd"],
        ["System.UInt32"] = ["Log2", "CreateTruncating", "CreateSaturating", "CreateChecked"],
        ["System.Int32"] = ["Log2", "CreateTruncating", "CreateSaturating", "CreateChecked"],
        ["System.UInt64"] = ["Log2", "CreateTruncating", "CreateSaturating", "CreateChecked"],
        ["System.Int64"] = ["Log2", "CreateTruncating", "CreateSaturating", "CreateChecked"],
    };

    private static readonly string[] s_platformAssemblies = ["mscorlib", "netstandard", "System", "WindowsBase", "Vyre.Abstractions", "Vyre.Runtime"];
    private static readonly string[] s_platformAssemblyPrefixes = ["System.", "Microsoft.", "ILGPU"];

    /// <summary>Whether the member <paramref name="member"/> of <paramref name="type"/> (full name), taking <paramref name="parameterCount"/> parameters, is refused.</summary>
    public static bool IsRefused(string type, string member, int parameterCount) =>
        (s_members.TryGetValue(type, out string[]? members) && Array.IndexOf(members, member) >= 0)
        || (type is "System.Math" or "System.MathF" && member == "Round" && parameterCount > 1)
        || (type == "System.Char" && (member.StartsWith("Is", StringComparison.Ordinal) || member.StartsWith("To", StringComparison.Ordinal)));

    /// <summary>
    /// Whether the assembly named <paramref name="name"/> is the framework, Vyre's or ILGPU's (judged by the lists);
    /// any other is the user's own, whose IL the build step judges.
    /// </summary>
    public static bool IsPlatformAssembly(string name) =>
        Array.IndexOf(s_platformAssemblies, name) >= 0
        || Array.Exists(s_platformAssemblyPrefixes, prefix => name.StartsWith(prefix, StringComparison.Ordinal));
}
