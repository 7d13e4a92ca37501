using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

namespace Vyre.Scan;

/// <summary>The literal patterns a scan counts, from the command line and rules files.</summary>
public static class ScanPatterns
{
    /// <summary>Longest pattern in bytes (the stream's overlap is the longest given minus one).</summary>
    public const int MaxLength = 4096;

    /// <summary>Most patterns one scan takes; the automaton's size is checked on its own (<see cref="RuleAutomaton.Build"/>).</summary>
    public const int MaxPatterns = 1 << 20;

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
        if (all.Length > MaxPatterns)
        {
            throw new ArgumentException($"{all.Length:N0} patterns given. Fix: give at most {MaxPatterns:N0}.");
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
