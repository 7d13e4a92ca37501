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

    /// <summary>
    /// The Aho-Corasick automaton of <paramref name="patterns"/> as the heap words <see cref="ScanKernels.ChunkStats"/>
    /// reads: <see cref="ScanKernels.MaxPatterns"/> pattern lengths, then <paramref name="states"/> rows of 256
    /// transition words, each <c>next state | (bits of the patterns that end in it) &lt;&lt; 16</c>. One lookup
    /// per byte finds every match of every pattern, overlapping ones included.
    /// </summary>
    public static uint[] ToAutomaton(IReadOnlyList<byte[]> patterns, out int states)
    {
        var children = new List<int[]> { NewRow() };
        var ends = new List<uint> { 0 };
        for (int p = 0; p < patterns.Count; p++)
        {
            int state = 0;
            foreach (byte b in patterns[p])
            {
                if (children[state][b] < 0)
                {
                    children[state][b] = children.Count;
                    children.Add(NewRow());
                    ends.Add(0);
                }

                state = children[state][b];
            }

            ends[state] |= 1u << p;
        }

        // Breadth first: a state's failure link is shorter than the state, so it is complete when needed.
        int count = children.Count;
        int[] fail = new int[count];
        int[][] next = new int[count][];
        next[0] = children[0].Select(c => Math.Max(c, 0)).ToArray();
        var queue = new Queue<int>(children[0].Where(c => c > 0));
        while (queue.Count > 0)
        {
            int state = queue.Dequeue();
            ends[state] |= ends[fail[state]];
            next[state] = new int[256];
            for (int b = 0; b < 256; b++)
            {
                int child = children[state][b];
                if (child > 0)
                {
                    fail[child] = state == 0 ? 0 : next[fail[state]][b];
                    next[state][b] = child;
                    queue.Enqueue(child);
                }
                else
                {
                    next[state][b] = next[fail[state]][b];
                }
            }
        }

        uint[] words = new uint[ScanKernels.AutomatonRows + (count * 256)];
        for (int p = 0; p < patterns.Count; p++)
        {
            words[p] = (uint)patterns[p].Length;
        }

        for (int state = 0; state < count; state++)
        {
            for (int b = 0; b < 256; b++)
            {
                int target = next[state][b];
                words[ScanKernels.AutomatonRows + (state * 256) + b] = (uint)target | (ends[target] << 16);
            }
        }

        states = count;
        return words;

        static int[] NewRow()
        {
            int[] row = new int[256];
            Array.Fill(row, -1);
            return row;
        }
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
