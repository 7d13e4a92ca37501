using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Spectre.Console;

namespace Vyre.Scan;

/// <summary>The tool's text output: results on standard output, problems and the summary on standard error.</summary>
internal static class TextReport
{
    /// <summary>
    /// One line per file that matched a rule or is flagged: <c>path: N matches: rule ×count, ...</c> (rules in rule order)
    /// and <c>path: high entropy (x bits/byte)</c>. Paths relative to the working directory when below it.
    /// </summary>
    public static void Write(Stream stdout, ScanSummary summary, RuleNames rules)
    {
        using var writer = new StreamWriter(stdout, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
        foreach (FileReport file in summary.Files.Where(f => f.Error is null))
        {
            string path = Shown(file.Path);
            if (file.Matches.Count > 0)
            {
                long total = file.Matches.Values.Sum();
                writer.Write($"{path}: {total} {(total == 1 ? "match" : "matches")}: ");
                writer.WriteLine(string.Join(", ", file.Matches.OrderBy(m => m.Key).Select(m => $"{rules[m.Key]} ×{m.Value}")));
            }

            if (file.HighEntropy)
            {
                writer.WriteLine($"{path}: high entropy ({file.Entropy:0.00} bits/byte)");
            }
        }
    }

    /// <summary>Files that could not be read and entries the walk skipped, one line each.</summary>
    /// <remarks>Plain lines, never wrapped, so they can be searched.</remarks>
    public static void WriteProblems(TextWriter errors, ScanSummary summary, IReadOnlyList<string> skipped)
    {
        foreach (FileReport file in summary.Files.Where(f => f.Error is not null))
        {
            errors.WriteLine($"{Shown(file.Path)}: not read: {file.Error}");
        }

        foreach (string entry in skipped)
        {
            errors.WriteLine($"skipped {entry}");
        }
    }

    /// <summary>The summary table and the runtime's notes.</summary>
    public static void WriteSummary(IAnsiConsole errors, ScanSummary summary, RuleNames rules, int skipped, IReadOnlyList<string> notes)
    {
        double seconds = Math.Max(summary.Elapsed.TotalSeconds, 1e-9);
        long bytes = summary.Files.Sum(f => f.Bytes);
        long matches = summary.Files.Sum(f => f.Matches.Values.Sum());
        int matchedRules = summary.Files.SelectMany(f => f.Matches.Keys).Distinct().Count();
        var totals = new Table().Title("[bold]Summary[/]").AddColumns("what", "value");
        totals.AddRow("backend", Markup.Escape(summary.Backend));
        totals.AddRow("files", $"{summary.Files.Count:N0} ({summary.Stats.DirectFiles:N0} O_DIRECT, {summary.Stats.BufferedFiles:N0} page cache; {Markup.Escape(summary.Stats.ReadEngine)}); {summary.Files.Count(f => f.Error is not null):N0} not read, {skipped:N0} skipped");
        totals.AddRow("bytes", $"{bytes:N0}");
        totals.AddRow("chunks", $"{summary.Stats.Chunks:N0} ({summary.Stats.ReadFaults:N0} read faults, {summary.Recounted:N0} recounted on the CPU)");
        totals.AddRow("rules", $"{rules.Count:N0} ({matchedRules:N0} matched; automaton of {summary.Setup.States:N0} states × {summary.Setup.Classes} byte classes)");
        totals.AddRow("matches", $"{matches:N0} in {summary.Files.Count(f => f.Matches.Count > 0):N0} files");
        totals.AddRow("high-entropy files", $"{summary.Files.Count(f => f.HighEntropy):N0}");
        totals.AddRow("time", $"{summary.Elapsed.TotalMilliseconds:N1} ms scanning; before it {summary.Setup.Automaton.TotalMilliseconds:N0} ms automaton, {summary.Setup.Start.TotalMilliseconds:N0} ms host start, {summary.Setup.Upload.TotalMilliseconds:N0} ms upload");
        totals.AddRow("throughput", $"{bytes / seconds / 1e6:N1} MB/s, {summary.Files.Count / seconds:N0} files/s");
        errors.Write(totals);
        foreach (string note in notes.Distinct().Take(10))
        {
            errors.MarkupLine($"[grey]{Markup.Escape(note)}[/]");
        }
    }

    /// <summary>A path relative to the working directory when it is below it, else as given.</summary>
    public static string Shown(string path)
    {
        string relative = Path.GetRelativePath(Environment.CurrentDirectory, path);
        return relative.StartsWith("..", StringComparison.Ordinal) ? path : relative;
    }
}
