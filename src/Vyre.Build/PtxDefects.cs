using System;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Vyre.Build;

/// <summary>
/// PTX that ILGPU writes but the CUDA driver's assembler refuses, found in the text so the build fails rather than the
/// first start on a GPU ("a PTX JIT compilation failed"). Each pattern here was met in practice and is named for it.
/// </summary>
internal static partial class PtxDefects
{
    /// <summary>
    /// ILGPU 1.5 loads or stores two or four adjacent <c>bool</c> fields of a struct as one vector whose elements are
    /// predicate registers (<c>ld.v2.b8 {%p1, %p2}</c>); ptxas: "Arguments mismatch for instruction 'ld'". Met on
    /// 2026-12-01 with two bool fields side by side in <c>SlotContext</c>.
    /// </summary>
    [GeneratedRegex(@"^\s*(?:ld|st)(?:\.\w+)*\.v[24]\.b8\s[^;]*%p\d", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex PredicateVector();

    /// <summary>The first defect in <paramref name="ptx"/>, described with its line and a fix; null when there is none.</summary>
    public static string? Find(string ptx)
    {
        Match match = PredicateVector().Match(ptx);
        if (!match.Success)
        {
            return null;
        }

        int line = 1;
        for (int i = 0; i < match.Index; i++)
        {
            line += ptx[i] == '\n' ? 1 : 0;
        }

        return string.Create(CultureInfo.InvariantCulture, $"ILGPU wrote PTX the CUDA driver refuses: line {line}, '{match.Value.Trim()}' moves a vector of predicates, which is what ILGPU makes of two or four bool fields side by side in a struct a handler uses. Fix: make one of those fields an int (0/1), or put a field of another type between them.");
    }
}

/// <summary>PTX that compiled but that the driver would refuse (<see cref="PtxDefects"/>).</summary>
internal sealed class PtxDefectException : Exception
{
    public PtxDefectException(string message)
        : base(message)
    {
    }

    public PtxDefectException()
    {
    }

    public PtxDefectException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
