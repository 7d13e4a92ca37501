using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Spectre.Console;

namespace Vyre.Scan;

/// <summary>The tables the tool prints.</summary>
internal static class Report
{
    public static void Print(ScanSummary summary, IReadOnlyList<byte[]> patterns, int top, IReadOnlyList<string> notes)
    {
        string[] names = patterns.Select(p => Encoding.UTF8.GetString(p)).ToArray();
        var files = new Table().Title("[bold]Files[/]").AddColumns("file", "bytes", "content hash", "entropy");
        foreach (string name in names)
        {
            files.AddColumn(new TableColumn(Markup.Escape($"'{name}'")).RightAligned());
        }

        IEnumerable<FileReport> shown = summary.Files.Where(f => f.HighEntropy || f.Error is not null)
            .Concat(summary.Files.OrderByDescending(f => f.Bytes).Take(top))
            .Distinct()
            .Take(Math.Max(top, 1) + summary.Files.Count(f => f.HighEntropy || f.Error is not null));
        foreach (FileReport file in shown)
        {
            string entropy = file.Error is not null ? "[red]error[/]" : file.HighEntropy ? $"[yellow]{file.Entropy:0.00} high[/]" : $"{file.Entropy:0.00}";
            var row = new List<string>
            {
                Markup.Escape(Shorten(file.Path)),
                $"{file.Bytes:N0}",
                file.Error is null ? $"{file.ContentHash:x16}" : Markup.Escape(file.Error),
                entropy,
            };
            row.AddRange(file.PatternCounts.Select(c => c == 0 ? "[grey]0[/]" : $"[bold]{c:N0}[/]"));
            files.AddRow(row.ToArray());
        }

        AnsiConsole.Write(files);
        double seconds = Math.Max(summary.Elapsed.TotalSeconds, 1e-9);
        long bytes = summary.Files.Sum(f => f.Bytes);
        var totals = new Table().Title("[bold]Summary[/]").AddColumns("what", "value");
        totals.AddRow("backend", Markup.Escape(summary.Backend));
        totals.AddRow("files", $"{summary.Files.Count:N0} ({summary.Stats.DirectFiles:N0} O_DIRECT, {summary.Stats.BufferedFiles:N0} page cache; {Markup.Escape(summary.Stats.ReadEngine)})");
        totals.AddRow("bytes", $"{bytes:N0}");
        totals.AddRow("chunks", $"{summary.Stats.Chunks:N0} ({summary.Stats.ReadFaults:N0} read faults)");
        totals.AddRow("high-entropy files", $"{summary.Files.Count(f => f.HighEntropy):N0}");
        for (int p = 0; p < names.Length; p++)
        {
            totals.AddRow(Markup.Escape($"'{names[p]}' matches"), $"{summary.Files.Sum(f => f.PatternCounts[p]):N0} in {summary.Files.Count(f => f.PatternCounts[p] > 0):N0} files");
        }

        totals.AddRow("time", $"{summary.Elapsed.TotalMilliseconds:N1} ms");
        totals.AddRow("throughput", $"{bytes / seconds / 1e6:N1} MB/s, {summary.Files.Count / seconds:N0} files/s");
        AnsiConsole.Write(totals);
        foreach (string note in notes.Distinct().Take(10))
        {
            AnsiConsole.MarkupLine($"[grey]{Markup.Escape(note)}[/]");
        }
    }

    private static string Shorten(string path)
    {
        string relative = System.IO.Path.GetRelativePath(Environment.CurrentDirectory, path);
        return relative.Length <= 60 ? relative : "…" + relative[^59..];
    }
}
