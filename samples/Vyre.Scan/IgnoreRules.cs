using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Text.RegularExpressions;

namespace Vyre.Scan;

/// <summary>
/// Gitignore-style rules of one directory (its <c>.gitignore</c>, then its <c>.ignore</c>, which wins), or the tool's
/// <c>--glob</c> list: '#' comments, '!' negation, a trailing '/' for directories only, a '/' at the start or in the
/// middle anchors a rule to the directory, '*', '?', '[...]' and '**'. The last rule that matches decides.
/// </summary>
public sealed class IgnoreRules
{
    private readonly List<Rule> _rules = [];

    /// <summary>Rules from the lines of <paramref name="lines"/>.</summary>
    public IgnoreRules(IEnumerable<string> lines)
    {
        foreach (string raw in lines)
        {
            if (Parse(raw) is { } rule)
            {
                _rules.Add(rule);
            }
        }
    }

    /// <summary>Whether there are rules at all.</summary>
    public bool IsEmpty => _rules.Count == 0;

    /// <summary>Whether any rule is a plain (not negated) one.</summary>
    public bool HasPositive => _rules.Exists(r => !r.Negated);

    /// <summary>The rules of the ignore files in <paramref name="directory"/>; <paramref name="git"/> says whether .gitignore counts.</summary>
    public static IgnoreRules? ForDirectory(string directory, bool git)
    {
        var lines = new List<string>();
        foreach (string name in git ? new[] { ".gitignore", ".ignore" } : [".ignore"])
        {
            string path = Path.Combine(directory, name);
            if (File.Exists(path))
            {
                try
                {
                    lines.AddRange(File.ReadLines(path));
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // An unreadable ignore file ignores nothing, as in git.
                }
            }
        }

        var rules = new IgnoreRules(lines);
        return rules.IsEmpty ? null : rules;
    }

    /// <summary>
    /// What the last matching rule says of <paramref name="relative"/> (a path below the rules' directory, '/'
    /// separated): true = ignored (or, for globs, chosen), false = negated, null = no rule matches.
    /// </summary>
    public bool? Match(string relative, bool directory)
    {
        string name = relative[(relative.LastIndexOf('/') + 1)..];
        for (int i = _rules.Count - 1; i >= 0; i--)
        {
            Rule rule = _rules[i];
            if (rule.DirectoryOnly && !directory)
            {
                continue;
            }

            if (rule.Pattern.IsMatch(rule.Anchored ? relative : name))
            {
                return !rule.Negated;
            }
        }

        return null;
    }

    private static Rule? Parse(string raw)
    {
        string line = raw.TrimEnd('\r');
        if (line.Length == 0 || line[0] == '#')
        {
            return null;
        }

        // Trailing spaces go unless escaped with a backslash.
        int end = line.Length;
        while (end > 0 && line[end - 1] == ' ' && (end < 2 || line[end - 2] != '\\'))
        {
            end--;
        }

        line = line[..end];
        bool negated = line.StartsWith('!');
        if (negated)
        {
            line = line[1..];
        }
        else if (line.StartsWith("\\!", StringComparison.Ordinal) || line.StartsWith("\\#", StringComparison.Ordinal))
        {
            line = line[1..];
        }

        bool directoryOnly = line.EndsWith('/');
        line = line.TrimEnd('/');
        if (line.Length == 0)
        {
            return null;
        }

        bool anchored = line.Contains('/');
        line = line.TrimStart('/');
        return new Rule(new Regex("^" + ToRegex(line) + "$", RegexOptions.CultureInvariant | RegexOptions.Singleline), negated, directoryOnly, anchored);
    }

    private static string ToRegex(string glob)
    {
        var pattern = new StringBuilder();
        for (int i = 0; i < glob.Length; i++)
        {
            char c = glob[i];
            if (c == '*' && i + 1 < glob.Length && glob[i + 1] == '*')
            {
                bool atStart = i == 0 || glob[i - 1] == '/';
                bool atEnd = i + 2 == glob.Length || glob[i + 2] == '/';
                if (atStart && atEnd)
                {
                    if (i + 2 == glob.Length)
                    {
                        pattern.Append(".*");
                        i++;
                    }
                    else
                    {
                        // "**/" matches zero or more whole directories.
                        pattern.Append("(?:.*/)?");
                        i += 2;
                    }

                    continue;
                }

                pattern.Append("[^/]*");
                i++;
                continue;
            }

            switch (c)
            {
                case '*':
                    pattern.Append("[^/]*");
                    break;
                case '?':
                    pattern.Append("[^/]");
                    break;
                case '\\' when i + 1 < glob.Length:
                    pattern.Append(Regex.Escape(glob[++i].ToString()));
                    break;
                case '[':
                    int close = glob.IndexOf(']', i + 2);
                    if (close < 0)
                    {
                        pattern.Append("\\[");
                        break;
                    }

                    string set = glob[(i + 1)..close];
                    bool not = set.StartsWith('!') || set.StartsWith('^');
                    pattern.Append('[').Append(not ? "^" : string.Empty).Append(set[(not ? 1 : 0)..].Replace("\\", "\\\\", StringComparison.Ordinal).Replace("[", "\\[", StringComparison.Ordinal)).Append(']');
                    i = close;
                    break;
                default:
                    pattern.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }

        return pattern.ToString();
    }

    private sealed record Rule(Regex Pattern, bool Negated, bool DirectoryOnly, bool Anchored);
}
