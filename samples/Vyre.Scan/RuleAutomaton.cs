using System;
using System.Collections.Generic;
using System.Linq;

namespace Vyre.Scan;

/// <summary>
/// The Aho-Corasick automaton of a scan's rules as a dense DFA over compressed byte classes, laid out for the
/// megakernel's heap (device memory on CUDA). One table lookup per byte finds every match of every rule,
/// overlapping and nested ones included; the rules themselves can number in the hundreds of thousands.
/// </summary>
/// <remarks>
/// Layout decisions (docs/scan.md): bytes that occur in no rule share class 0, every other byte has a class of its
/// own, so a table row has one word per class (65 for base64 rules instead of 256). States whose string ends a rule
/// come first (numbers 0 .. <see cref="OutputStates"/> - 1), so "a match ends here" is one compare of the row
/// offset, and the table holds plain row offsets (state × classes): no multiply per byte.
/// </remarks>
public sealed class RuleAutomaton
{
    /// <summary>Heap words before the class map: the header (<see cref="HeaderWord"/>).</summary>
    public const int HeaderWords = 16;

    // The heap form, built once (the table is written straight into it): header, class map, table, output starts,
    // output rules, rule lengths. Count reads the table from here too.
    private readonly uint[] _words;

    private RuleAutomaton(uint[] words, byte[] classOf, int classes, int states, int outputStates, int[] outputStart, int[] outputRules, int[] ruleLengths, int root)
    {
        _words = words;
        ClassOf = classOf;
        Classes = classes;
        States = states;
        OutputStates = outputStates;
        OutputStart = outputStart;
        OutputRules = outputRules;
        RuleLengths = ruleLengths;
        Root = root;
    }

    /// <summary>The header words of the heap form, at its start.</summary>
    public enum HeaderWord
    {
        /// <summary>Words per table row (byte classes).</summary>
        Classes,

        /// <summary>Row offset of the root state.</summary>
        RootRow,

        /// <summary>Row offsets below this end at least one rule.</summary>
        OutputLimit,

        /// <summary>Number of rules.</summary>
        Rules,

        /// <summary>Word offset, from the start of the automaton, of the transition table.</summary>
        Table,

        /// <summary>Word offset of the output starts (<see cref="OutputStates"/> + 1 words).</summary>
        OutputStart,

        /// <summary>Word offset of the output list (rule numbers).</summary>
        OutputRules,

        /// <summary>Word offset of the rule lengths.</summary>
        RuleLengths,

        /// <summary>Table words (states × classes).</summary>
        TableWords,

        /// <summary>Output list words.</summary>
        OutputWords,

        /// <summary>Bytes of the longest rule (at least 1).</summary>
        LongestRule,
    }

    /// <summary>Class of each byte value.</summary>
    public byte[] ClassOf { get; }

    /// <summary>Byte classes: 1 + distinct bytes used by the rules.</summary>
    public int Classes { get; }

    /// <summary>States: rows of the transition table (each entry the row offset, state × <see cref="Classes"/>, of the next state).</summary>
    public int States { get; }

    /// <summary>States that end at least one rule; they are numbered first.</summary>
    public int OutputStates { get; }

    /// <summary>Where each output state's rules start in <see cref="OutputRules"/> (<see cref="OutputStates"/> + 1 entries).</summary>
    public int[] OutputStart { get; }

    /// <summary>The rules each output state ends (its own and its suffixes'), by rule number.</summary>
    public int[] OutputRules { get; }

    /// <summary>Length in bytes of each rule.</summary>
    public int[] RuleLengths { get; }

    /// <summary>Row offset of the start state.</summary>
    public int Root { get; }

    /// <summary>
    /// The heap form <see cref="ScanKernels.ChunkStats"/> reads: the header (<see cref="HeaderWord"/>), the class of each
    /// byte, the transition table, the output starts, the output list, the rule lengths.
    /// </summary>
    public ReadOnlyMemory<uint> Words => _words;

    /// <summary>Builds the automaton of <paramref name="rules"/> (each 1 or more bytes; duplicates allowed, each counted).</summary>
    /// <exception cref="ArgumentException">The rules need more table than a heap holds; the message says how to fix it.</exception>
    public static RuleAutomaton Build(IReadOnlyList<byte[]> rules, long maxWords = MegakernelOptions.MaxHeapWords)
    {
        ArgumentNullException.ThrowIfNull(rules);
        byte[] classOf = new byte[256];
        int classes = 1;
        foreach (byte[] rule in rules)
        {
            foreach (byte b in rule)
            {
                if (classOf[b] == 0)
                {
                    classOf[b] = (byte)classes++;
                }
            }
        }

        // Classes stay under 256 + 1 only when some byte is unused; a rule set using all 256 bytes maps every byte to
        // its own class and class 0 is simply never taken, which costs one unused word per row.
        if (classes > 256)
        {
            for (int b = 0; b < 256; b++)
            {
                classOf[b] = (byte)b;
            }

            classes = 256;
        }

        long bytes = 1;
        foreach (byte[] rule in rules)
        {
            bytes += rule.Length;
        }

        // At most one state per rule byte: sized once instead of doubled (a doubling copies the table each time), up to
        // 64 MB; a larger rule set grows from there only as far as its states need.
        var trie = new Trie(classes, (int)Math.Min(bytes, Math.Min((maxWords / classes) + 1, (1 << 24) / classes)));
        var endsByState = new List<List<int>?> { null };
        for (int r = 0; r < rules.Count; r++)
        {
            if (rules[r].Length == 0)
            {
                throw new ArgumentException($"Rule {r + 1} is empty. Fix: give every rule at least one byte.");
            }

            int state = 0;
            foreach (byte b in rules[r])
            {
                state = trie.Child(state, classOf[b]);
                CheckSize(trie.States, classes, maxWords);
            }

            while (endsByState.Count < trie.States)
            {
                endsByState.Add(null);
            }

            (endsByState[state] ??= []).Add(r);
        }

        while (endsByState.Count < trie.States)
        {
            endsByState.Add(null);
        }

        int states = trie.States;
        int[] next = trie.Table;

        // Breadth first: a state's failure link is shorter than the state, so its row is complete when needed.
        int[] fail = new int[states];
        int[] order = new int[states];
        int head = 0;
        int tail = 0;
        for (int c = 0; c < classes; c++)
        {
            int child = next[c];
            if (child > 0)
            {
                order[tail++] = child;
            }
            else
            {
                next[c] = 0;
            }
        }

        while (head < tail)
        {
            int state = order[head++];
            if (endsByState[fail[state]] is { } inherited)
            {
                (endsByState[state] ??= []).AddRange(inherited);
            }

            int row = state * classes;
            int failRow = fail[state] * classes;
            for (int c = 0; c < classes; c++)
            {
                int child = next[row + c];
                if (child > 0)
                {
                    fail[child] = next[failRow + c];
                    order[tail++] = child;
                }
                else
                {
                    next[row + c] = next[failRow + c];
                }
            }
        }

        // Number output states first, the others after them, each group in breadth-first order (the root first of its group).
        int[] renumber = new int[states];
        int outputs = 0;
        foreach (int state in ByBreadth())
        {
            if (endsByState[state] is not null)
            {
                renumber[state] = outputs++;
            }
        }

        int others = outputs;
        foreach (int state in ByBreadth())
        {
            if (endsByState[state] is null)
            {
                renumber[state] = others++;
            }
        }

        int[] outputStart = new int[outputs + 1];
        var outputRules = new List<int>();
        int[] byNumber = new int[states];
        for (int state = 0; state < states; state++)
        {
            byNumber[renumber[state]] = state;
        }

        for (int number = 0; number < outputs; number++)
        {
            outputStart[number] = outputRules.Count;
            outputRules.AddRange(endsByState[byNumber[number]]!);
        }

        outputStart[outputs] = outputRules.Count;
        int[] lengths = new int[rules.Count];
        for (int r = 0; r < rules.Count; r++)
        {
            lengths[r] = rules[r].Length;
        }

        long total = HeaderWords + 256L + ((long)states * classes) + outputStart.Length + outputRules.Count + lengths.Length;
        if (total > maxWords)
        {
            throw TooLarge(total, maxWords);
        }

        uint[] words = new uint[total];
        int tableAt = HeaderWords + 256;
        for (int state = 0; state < states; state++)
        {
            int from = state * classes;
            int to = tableAt + (renumber[state] * classes);
            for (int c = 0; c < classes; c++)
            {
                words[to + c] = (uint)(renumber[next[from + c]] * classes);
            }
        }

        int outputStartAt = tableAt + (states * classes);
        int outputRulesAt = outputStartAt + outputStart.Length;
        int ruleLengthsAt = outputRulesAt + outputRules.Count;
        words[(int)HeaderWord.Classes] = (uint)classes;
        words[(int)HeaderWord.RootRow] = (uint)(renumber[0] * classes);
        words[(int)HeaderWord.OutputLimit] = (uint)(outputs * classes);
        words[(int)HeaderWord.Rules] = (uint)lengths.Length;
        words[(int)HeaderWord.Table] = (uint)tableAt;
        words[(int)HeaderWord.OutputStart] = (uint)outputStartAt;
        words[(int)HeaderWord.OutputRules] = (uint)outputRulesAt;
        words[(int)HeaderWord.RuleLengths] = (uint)ruleLengthsAt;
        words[(int)HeaderWord.TableWords] = (uint)(states * classes);
        words[(int)HeaderWord.OutputWords] = (uint)outputRules.Count;
        words[(int)HeaderWord.LongestRule] = (uint)Math.Max(1, lengths.Length == 0 ? 1 : lengths.Max());
        for (int b = 0; b < 256; b++)
        {
            words[HeaderWords + b] = classOf[b];
        }

        int[] outputList = outputRules.ToArray();
        Copy(outputStart, outputStartAt);
        Copy(outputList, outputRulesAt);
        Copy(lengths, ruleLengthsAt);
        return new RuleAutomaton(words, classOf, classes, states, outputs, outputStart, outputList, lengths, renumber[0] * classes);

        void Copy(int[] from, int at)
        {
            for (int i = 0; i < from.Length; i++)
            {
                words[at + i] = (uint)from[i];
            }
        }

        IEnumerable<int> ByBreadth()
        {
            yield return 0;
            for (int i = 0; i < tail; i++)
            {
                yield return order[i];
            }
        }
    }

    /// <summary>
    /// Counts into <paramref name="counts"/> (by rule number) the matches that start in the first <paramref name="own"/>
    /// bytes of <paramref name="bytes"/>: the same walk as the handler, in plain C# (the scan's fallback when a chunk
    /// has more matches than its result area holds).
    /// </summary>
    public long Count(ReadOnlySpan<byte> bytes, int own, IDictionary<int, long> counts)
    {
        long found = 0;
        int row = Root;
        int limit = OutputStates * Classes;
        ReadOnlySpan<uint> table = _words.AsSpan(HeaderWords + 256, States * Classes);
        for (int i = 0; i < bytes.Length; i++)
        {
            row = (int)table[row + ClassOf[bytes[i]]];
            if (row < limit)
            {
                int state = row / Classes;
                for (int k = OutputStart[state]; k < OutputStart[state + 1]; k++)
                {
                    int rule = OutputRules[k];
                    if (i - RuleLengths[rule] + 1 < own)
                    {
                        counts[rule] = counts.TryGetValue(rule, out long count) ? count + 1 : 1;
                        found++;
                    }
                }
            }
        }

        return found;
    }

    private static void CheckSize(int states, int classes, long maxWords)
    {
        if ((long)states * classes > maxWords)
        {
            throw TooLarge((long)states * classes, maxWords);
        }
    }

    private static ArgumentException TooLarge(long words, long maxWords) =>
        new($"The rules need an automaton of at least {words:N0} words; a megakernel heap holds {maxWords:N0}. Fix: use fewer or shorter rules, or rules over fewer distinct bytes.");

    /// <summary>The trie as a growing dense table (state × classes; 0 = no child, since the root is no one's child).</summary>
    private sealed class Trie(int classes, int states)
    {
        public int[] Table = new int[(long)classes * Math.Max(states, 2)];

        public int States { get; private set; } = 1;

        public int Child(int state, int c)
        {
            int at = (state * classes) + c;
            if (Table[at] == 0)
            {
                if ((States + 1) * classes > Table.Length)
                {
                    Array.Resize(ref Table, Table.Length * 2);
                }

                Table[at] = States++;
            }

            return Table[at];
        }
    }
}
