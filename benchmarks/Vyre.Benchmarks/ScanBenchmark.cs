using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;

namespace Vyre.Benchmarks;

/// <summary>
/// Issue 11's table: the scan tool (a child process, wall time from start to exit) beside ripgrep on the same corpus in
/// the same run, 8 / 1,000 / 10,000 rules; plus a raw io_uring read of the files. The corpus is the issue's: 16 files of
/// base64 text (12 MiB of random bytes each, lines of 100), in the page cache; rules are random literals of 8 to 12
/// base64 characters, one in ten copied from the corpus.
/// </summary>
internal static class ScanBenchmark
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    /// <param name="tool">How to start vyre-scan (e.g. "dotnet /tmp/v/Vyre.Scan/vyre-scan.dll").</param>
    /// <param name="ripgrep">The rg binary, or null when it is not installed (its rows then say so).</param>
    /// <param name="ruleCounts">Rule counts, one block of rows each.</param>
    /// <param name="runs">Configurations of the tool: backend and extra arguments.</param>
    /// <param name="folder">Where the corpus and rules files go (kept between runs).</param>
    /// <param name="repeats">Runs per row; the fastest is shown.</param>
    public static void Run(string tool, string? ripgrep, int[] ruleCounts, IReadOnlyList<(string Backend, string Extra)> runs, string folder, int repeats)
    {
        string corpus = Path.Combine(folder, "corpus");
        string[] files = CreateCorpus(corpus, 16, 12 << 20);
        long bytes = files.Sum(f => new FileInfo(f).Length);
        StreamingBenchmark.Raw(files, direct: false, 1 << 20, 8);
        double raw = Enumerable.Range(0, 3).Max(_ => bytes / StreamingBenchmark.Raw(files, direct: false, 1 << 20, 8)) / 1e9;
        Console.WriteLine($"\n## Scan: {files.Length} files, {bytes / 1e6:N0} MB of base64 in the page cache; best of {repeats} per row; {DateTime.UtcNow:yyyy-MM-dd}\n");
        Console.WriteLine($"Raw io_uring read of the files (page cache, 1 MiB reads, 8 in flight, one thread, best of 3): {raw:0.00} GB/s.\n");
        Console.WriteLine("| rules | tool | wall s | scan GB/s | matches | start-up (automaton / host / upload ms) | states |");
        Console.WriteLine("| ---: | --- | ---: | ---: | ---: | --- | ---: |");
        foreach (int count in ruleCounts)
        {
            string rules = Path.Combine(folder, $"rules-{count}.txt");
            File.WriteAllLines(rules, Rules(count, files[0]));
            var threadLines = new List<string>();
            foreach ((string backend, string extra) in runs)
            {
                Row? best = null;
                for (int r = 0; r < repeats; r++)
                {
                    Row row = Vyre(tool, backend, extra, rules, corpus);
                    best = best is null || row.Wall < best.Wall ? row : best;
                }

                Console.WriteLine($"| {count:N0} | vyre-scan {backend} {extra} | {best!.Wall:0.000} | {bytes / best.Scan / 1e9:0.00} | {best.Matches:N0} | {best.Setup} | {best.States:N0} |");
                threadLines.Add($"- {count:N0} rules, {backend} {extra}: {best.Threads}");
            }

            foreach (int threads in new[] { Environment.ProcessorCount, 1 })
            {
                if (ripgrep is null)
                {
                    Console.WriteLine($"| {count:N0} | ripgrep -j{threads} | skipped: rg is not installed (pass --rg PATH) | | | | |");
                    continue;
                }

                double wall = double.MaxValue;
                long matches = 0;
                for (int r = 0; r < repeats; r++)
                {
                    (double seconds, string output) = Timed(ripgrep, ["--count-matches", "-F", "-a", "--no-messages", "-j", threads.ToString(), "-f", rules, corpus]);
                    wall = Math.Min(wall, seconds);
                    matches = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Sum(l => long.Parse(l[(l.LastIndexOf(':') + 1)..]));
                }

                Console.WriteLine($"| {count:N0} | ripgrep 13 --count-matches -F -a -j{threads} | {wall:0.000} | {bytes / wall / 1e9:0.00} (wall) | {matches:N0} | | |");
            }

            Console.WriteLine("\nCPU seconds by thread (the fastest run of each row):\n");
            threadLines.ForEach(Console.WriteLine);
            Console.WriteLine();
        }

        Console.WriteLine("\nvyre-scan counts every match of every rule (overlapping ones included); ripgrep counts non-overlapping matches of any rule per file, so the two agree when matches do not overlap.");
    }

    private static Row Vyre(string tool, string backend, string extra, string rules, string corpus)
    {
        string[] command = tool.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        (double wall, string output) = Timed(command[0], [.. command[1..], corpus, "--backend", backend, "--rules", rules, "--json", "-q", "--no-direct", "--no-ignore", .. extra.Split(' ', StringSplitOptions.RemoveEmptyEntries)]);
        string? last = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault(l => l.StartsWith("{\"type\":\"summary\"", StringComparison.Ordinal));
        if (last is null)
        {
            throw new InvalidOperationException($"vyre-scan gave no summary: {output[..Math.Min(output.Length, 2000)]}");
        }

        JsonElement summary = JsonDocument.Parse(last).RootElement;
        return new Row(
            wall,
            summary.GetProperty("elapsed_ms").GetDouble() / 1e3,
            summary.GetProperty("matches").GetInt64(),
            $"{summary.GetProperty("automaton_ms").GetDouble():0} / {summary.GetProperty("start_ms").GetDouble():0} / {summary.GetProperty("upload_ms").GetDouble():0}",
            summary.GetProperty("automaton_states").GetInt32(),
            LastThreads);
    }

    private static (double Seconds, string Output) Timed(string program, IReadOnlyList<string> arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var clock = Stopwatch.StartNew();
        using Process process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        var threads = new Dictionary<int, (string Name, long Ticks)>();
        while (!process.WaitForExit(TimeSpan.FromMilliseconds(5)))
        {
            SampleThreads(process.Id, threads);
            if (clock.Elapsed > TimeSpan.FromMinutes(3))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"{program} did not finish within 3 minutes.");
            }
        }

        double seconds = clock.Elapsed.TotalSeconds;
        LastThreads = string.Join(", ", threads.Values.GroupBy(t => t.Name).Select(g => (g.Key, Seconds: g.Sum(t => t.Ticks) / 100.0)).Where(g => g.Seconds >= 0.01).OrderByDescending(g => g.Seconds).Select(g => $"{g.Key} {g.Seconds:0.00}"));
        if (process.ExitCode is not (0 or 1))
        {
            throw new InvalidOperationException($"{program} exited {process.ExitCode}: {errors.Result}");
        }

        return (seconds, output.Result);
    }

    /// <summary>
    /// <paramref name="count"/> literals of 8 to 12 base64 characters: one in ten copied from the first corpus file (so
    /// both tools find matches to compare), the others random (which almost never occur).
    /// </summary>
    private static IEnumerable<string> Rules(int count, string sample)
    {
        var random = new Random(count);
        string text = File.ReadAllText(sample);
        for (int r = 0; r < count; r++)
        {
            int length = random.Next(8, 13);
            if (r % 10 == 0)
            {
                int at;
                do
                {
                    at = random.Next(text.Length - length);
                }
                while (text.AsSpan(at, length).Contains('\n'));

                yield return text.Substring(at, length);
            }
            else
            {
                yield return new string(Enumerable.Range(0, length).Select(_ => Alphabet[random.Next(64)]).ToArray());
            }
        }
    }

    /// <summary>CPU seconds per thread name of the last timed run (sampled from /proc every 5 ms; threads that lived less are missed).</summary>
    private static string LastThreads { get; set; } = string.Empty;

    private static void SampleThreads(int pid, Dictionary<int, (string Name, long Ticks)> threads)
    {
        try
        {
            foreach (string task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                string stat = File.ReadAllText(Path.Combine(task, "stat"));
                int close = stat.LastIndexOf(')');
                string name = stat[(stat.IndexOf('(') + 1)..close];
                string[] fields = stat[(close + 2)..].Split(' ');
                threads[int.Parse(Path.GetFileName(task))] = (name, long.Parse(fields[11]) + long.Parse(fields[12]));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            // The process or a thread ended while it was read.
        }
    }

    private static string[] CreateCorpus(string folder, int count, int randomBytes)
    {
        Directory.CreateDirectory(folder);
        var random = new Random(3);
        byte[] data = new byte[randomBytes];
        return Enumerable.Range(0, count).Select(i =>
        {
            string path = Path.Combine(folder, $"f{i:D2}.b64");
            if (!File.Exists(path))
            {
                random.NextBytes(data);
                string text = Convert.ToBase64String(data);
                var wrapped = new StringBuilder(text.Length + (text.Length / 100) + 1);
                for (int at = 0; at < text.Length; at += 100)
                {
                    wrapped.Append(text, at, Math.Min(100, text.Length - at)).Append('\n');
                }

                File.WriteAllText(path, wrapped.ToString());
            }

            return path;
        }).ToArray();
    }

    private sealed record Row(double Wall, double Scan, long Matches, string Setup, int States, string Threads);
}
