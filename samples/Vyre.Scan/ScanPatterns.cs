using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

namespace Vyre.Scan;

/// <summary>The literal patterns a scan counts, from the command line and rules files.</summary>
public static class ScanPatterns
{
    /// <summary>Longest pattern in bytes (the stream's overlap is this minus one).</summary>
    public const int MaxLength = 64;

    /// <summary>
    /// Reads a rules file: one literal per line, UTF-8; blank lines and lines starting with '#' are
    /// skipped; a line "hex:4d5a9000" gives raw bytes.
    /// </summary>
    public static IEnumerable<byte[]> ReadRules(string path)
    {
        int number = 0;
        foreach (string line in File.ReadLines(path))
        {
            number++;
            string text = line.TrimEnd('\r');
            if (text.Length == 0 || text.StartsWith('#'))
            {
                continue;
            }

            yield return text.StartsWith("hex:", StringComparison.Ordinal)
                ? ParseHex(text[4..], $"{path}:{number}")
                : Encoding.UTF8.GetBytes(text);
        }
    }

    /// <summary>Checks count and lengths; the message says what to change.</summary>
    public static byte[][] Validate(IEnumerable<byte[]> patterns)
    {
        byte[][] all = patterns.ToArray();
        if (all.Length > ScanKernels.MaxPatterns)
        {
            throw new ArgumentException($"{all.Length} patterns given. Fix: give at most {ScanKernels.MaxPatterns} (one result word each).");
        }

        foreach (byte[] pattern in all)
        {
            if (pattern.Length is 0 or > MaxLength)
            {
                throw new ArgumentException($"Pattern '{Encoding.UTF8.GetString(pattern)}' is {pattern.Length} bytes. Fix: use 1 to {MaxLength} bytes.");
            }
        }

        return all;
    }

    /// <summary>The heap words of the pattern table the handler reads.</summary>
    public static uint[] ToTable(IReadOnlyList<byte[]> patterns)
    {
        uint[] table = new uint[patterns.Count * ScanKernels.PatternWords];
        for (int p = 0; p < patterns.Count; p++)
        {
            int at = p * ScanKernels.PatternWords;
            table[at] = (uint)patterns[p].Length;
            for (int i = 0; i < patterns[p].Length; i++)
            {
                table[at + 1 + i] = patterns[p][i];
            }
        }

        return table;
    }

    private static byte[] ParseHex(string hex, string where)
    {
        try
        {
            return Convert.FromHexString(hex.Trim());
        }
        catch (FormatException)
        {
            throw new ArgumentException($"{where}: '{hex}' is not hex. Fix: write an even number of hex digits after 'hex:', e.g. hex:4d5a.");
        }
    }
}
