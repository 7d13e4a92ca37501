using System;
using System.Collections.Generic;
using System.Linq;

namespace Vyre.Build;

/// <summary>
/// The compiler's <c>-pathmap</c> in reverse. A CI build (ContinuousIntegrationBuild, SourceLink) writes source paths
/// into the PDB as <c>/_/Program.cs</c>; an error located there must name the file on disk, or no editor can open it.
/// MSBuild's <c>PathMap</c> is "FROM=TO,FROM=TO" (a literal ',' or '=' doubled, as the compiler takes it).
/// </summary>
internal sealed class SourcePathMap
{
    private readonly (string From, string To)[] _pairs;

    private SourcePathMap((string From, string To)[] pairs) => _pairs = pairs;

    public static SourcePathMap None { get; } = new([]);

    /// <summary>Reads MSBuild's PathMap value; empty means no mapping.</summary>
    public static SourcePathMap Parse(string? pathMap)
    {
        var pairs = new List<(string From, string To)>();
        foreach (string pair in SplitUnescaped(pathMap ?? string.Empty, ','))
        {
            if (pair.Length == 0)
            {
                continue; // MSBuild's PathMap often ends with a comma.
            }

            List<string> sides = SplitUnescaped(pair, '=');
            if (sides.Count != 2 || sides[0].Length == 0)
            {
                throw new ArgumentException($"'{pair}' in the path map is not FROM=TO.");
            }

            pairs.Add((sides[0], sides[1]));
        }

        // The longest mapped prefix first, as the compiler applies the first that matches in order; reversed, the most specific wins.
        return new SourcePathMap(pairs.OrderByDescending(p => p.To.Length).ToArray());
    }

    /// <summary>The path on disk that the compiler wrote as <paramref name="path"/>; unchanged when no mapping made it.</summary>
    public string Unmap(string path)
    {
        foreach ((string from, string to) in _pairs)
        {
            if (to.Length > 0 && path.StartsWith(to, StringComparison.Ordinal))
            {
                return from + path[to.Length..];
            }
        }

        return path;
    }

    private static List<string> SplitUnescaped(string text, char separator)
    {
        var parts = new List<string>();
        var current = new System.Text.StringBuilder();
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == separator && i + 1 < text.Length && text[i + 1] == separator)
            {
                current.Append(separator);
                i++;
            }
            else if (text[i] == separator)
            {
                parts.Add(current.ToString());
                current.Clear();
            }
            else
            {
                current.Append(text[i]);
            }
        }

        if (current.Length > 0 || parts.Count > 0)
        {
            parts.Add(current.ToString());
        }

        return parts;
    }
}
