using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using NUnit.Framework;
using Vyre.Tests;

namespace Vyre.Scan.Tests;

/// <summary>The scan tool's results against a plain C# computation of the same things, on real files.</summary>
[TestFixture(Backend.Managed)]
[TestFixture(Backend.IlgpuCpu)]
[TestFixture(Backend.Cuda, Category = "Gpu")]
public sealed class ScanTests(Backend backend)
{
    private const int Chunk = 8192;
    private static readonly byte[][] s_patterns = [Encoding.UTF8.GetBytes("needle"), Encoding.UTF8.GetBytes("aa"), [0x4d, 0x5a]];
    private string _folder = string.Empty;

    [OneTimeSetUp]
    public void CreateFiles()
    {
        if (backend == Backend.Cuda && !MegakernelHost.IsCudaAvailable())
        {
            Assert.Ignore("No CUDA device on this machine: the Cuda scan runs on the GPU machine (see docs/benchmarks.md).");
        }

        if (!Vyre.IoUring.IoUringRing.IsAvailable(out string reason))
        {
            Assert.Ignore("io_uring is unavailable on this machine, so the scan tool cannot run: " + reason);
        }

        _folder = Path.Combine(Path.GetTempPath(), $"vyre-scan-{backend}-{Environment.ProcessId}");
        Directory.CreateDirectory(_folder);
        var random = new Random(5);
        byte[] blob = new byte[100_000];
        random.NextBytes(blob);
        File.WriteAllBytes(Path.Combine(_folder, "random.bin"), blob);
        var text = new StringBuilder();
        for (int i = 0; i < 3000; i++)
        {
            text.Append(i % 7 == 0 ? "needle" : "hay").Append(i % 11 == 0 ? "aaa" : " ");
        }

        // Patterns across every chunk boundary: each boundary falls inside a "needle".
        byte[] straddle = new byte[4 * Chunk];
        Array.Fill(straddle, (byte)'x');
        for (int b = 1; b < 4; b++)
        {
            Encoding.UTF8.GetBytes("needle").CopyTo(straddle, (b * Chunk) - 3);
        }

        File.WriteAllText(Path.Combine(_folder, "text.txt"), text.ToString());
        File.WriteAllBytes(Path.Combine(_folder, "straddle.bin"), straddle);
        File.WriteAllBytes(Path.Combine(_folder, "empty.bin"), []);
        File.WriteAllBytes(Path.Combine(_folder, "mz.exe"), [0x4d, 0x5a, 0x90, 0x00, 0x4d, 0x5a]);
        Directory.CreateDirectory(Path.Combine(_folder, ".hidden"));
        File.WriteAllText(Path.Combine(_folder, ".hidden", "skip.txt"), "needle");
    }

    [OneTimeTearDown]
    public void DeleteFiles()
    {
        if (_folder.Length == 0)
        {
            return;
        }

        Directory.Delete(_folder, recursive: true);
        if (Directory.Exists(_folder + "-odd"))
        {
            Directory.Delete(_folder + "-odd", recursive: true);
        }
    }

    [TestCase(false, HandlerWidth.Lane)]
    [TestCase(true, HandlerWidth.Lane)]
    [TestCase(false, HandlerWidth.Warp)]
    [TestCase(true, HandlerWidth.Warp)]
    public async Task Every_file_matches_the_plain_csharp_computation(bool heapStaging, HandlerWidth width)
    {
        string[] files = FileList.Collect(_folder, hidden: false);
        Assert.That(files.Select(Path.GetFileName), Is.EqualTo(new[] { "empty.bin", "mz.exe", "random.bin", "straddle.bin", "text.txt" }), "hidden folders skipped, ordinal order");
        ScanSummary summary = await ScanEngine.RunAsync(new ScanRequest { Files = files, Patterns = s_patterns, Backend = backend, ChunkBytes = Chunk, Depth = 3, DeviceCopy = heapStaging, Width = width });
        foreach (FileReport report in summary.Files)
        {
            byte[] bytes = File.ReadAllBytes(report.Path);
            string name = Path.GetFileName(report.Path);
            Assert.That(report.Error, Is.Null, name);
            Assert.That(report.Bytes, Is.EqualTo(bytes.Length), name);
            Assert.That(report.ContentHash, Is.EqualTo(PlainContentHash(bytes)), $"{name} hash");
            Assert.That(report.Entropy, Is.EqualTo(PlainEntropy(bytes)).Within(1e-9), $"{name} entropy");
            Assert.That(Counts(report, s_patterns.Length), Is.EqualTo(s_patterns.Select(p => (long)PlainCount(bytes, p)).ToArray()), $"{name} pattern counts");
        }

        Assert.That(summary.Files.Single(f => f.Path.EndsWith("random.bin", StringComparison.Ordinal)).HighEntropy, Is.True, "random bytes are flagged");
        Assert.That(summary.Files.Single(f => f.Path.EndsWith("text.txt", StringComparison.Ordinal)).HighEntropy, Is.False);
        Assert.That(summary.Files.Single(f => f.Path.EndsWith("straddle.bin", StringComparison.Ordinal)).Count(0), Is.EqualTo(3), "matches across chunk boundaries count once");
    }

    [TestCase(HandlerWidth.Lane)]
    [TestCase(HandlerWidth.Warp)]
    public async Task Patterns_that_overlap_nest_and_repeat_count_like_plain_csharp(HandlerWidth width)
    {
        // A two-letter alphabet makes matches dense, overlapping and straddling every chunk boundary;
        // the patterns are prefixes, suffixes and repeats of each other (one given twice).
        byte[][] patterns = [.. new[] { "ab", "bab", "abab", "b", "aaaa", "bab", "abbabbab" }.Select(Encoding.UTF8.GetBytes)];
        var random = new Random(11);
        byte[] bytes = new byte[(3 * Chunk) + 517];
        for (int i = 0; i < bytes.Length; i++)
        {
            bytes[i] = (byte)(random.Next(3) == 0 ? 'b' : 'a');
        }

        string path = Path.Combine(_folder, "dense.ab");
        File.WriteAllBytes(path, bytes);
        try
        {
            ScanSummary summary = await ScanEngine.RunAsync(new ScanRequest { Files = [path], Patterns = patterns, Backend = backend, ChunkBytes = Chunk, Depth = 2, Width = width });
            Assert.That(Counts(summary.Files[0], patterns.Length), Is.EqualTo(patterns.Select(p => (long)PlainCount(bytes, p)).ToArray()));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void Bad_patterns_and_paths_say_how_to_fix_them()
    {
        Assert.That(() => ScanPatterns.Validate([new byte[ScanPatterns.MaxLength + 1]]), Throws.ArgumentException.With.Message.Contains("Fix:"));
        Assert.That(() => ScanPatterns.Validate([[]]), Throws.ArgumentException.With.Message.Contains("Fix:"));
        Assert.That(() => ScanPatterns.Validate(Enumerable.Repeat(new byte[] { 1 }, ScanPatterns.MaxPatterns + 1)), Throws.ArgumentException.With.Message.Contains($"at most {ScanPatterns.MaxPatterns:N0}"));
        Assert.That(() => FileList.Collect(Path.Combine(_folder, "nope"), hidden: false), Throws.ArgumentException.With.Message.Contains("Fix:"));
        string rules = Path.Combine(_folder, "rules.bad");
        File.WriteAllText(rules, "# comment\nhex:4g\n");
        Assert.That(() => ScanPatterns.ReadRules(rules).ToList(), Throws.ArgumentException.With.Message.Contains("rules.bad:2"));
        File.Delete(rules);
    }

    [Test]
    public async Task A_fifo_a_device_and_a_proc_file_each_get_a_line_saying_what_they_are_and_the_scan_goes_on()
    {
        string odd = OddFolder(out string good);
        FileSelection selection = FileList.Collect(odd, new WalkOptions());
        Assert.That(selection.Files.Select(Path.GetFileName), Is.EqualTo(new[] { "good.txt" }), "the walk takes regular files only");
        Assert.That(selection.Skipped, Has.Exactly(1).Contains("pipe.fifo").And.Contains("FIFO"), "and says what it skipped");
        ScanSummary summary = await ScanEngine.RunAsync(new ScanRequest { Files = [.. selection.Files, Path.Combine(odd, "pipe.fifo"), "/dev/null", "/proc/self/status"], Patterns = s_patterns, Backend = backend, ChunkBytes = Chunk, Depth = 3 })
            .WaitAsync(TimeSpan.FromSeconds(60));
        Assert.That(summary.Files.Select(f => f.Error ?? "ok"), Is.EqualTo(new[] { "ok", "FIFO", "character device", "procfs" }).Using<string, string>((error, kind) => error.Contains(kind, StringComparison.Ordinal)), "each says what it is");
        byte[] bytes = File.ReadAllBytes(good);
        Assert.That(summary.Files[0].ContentHash, Is.EqualTo(PlainContentHash(bytes)), "the regular file is scanned");
        Assert.That(Counts(summary.Files[0], s_patterns.Length), Is.EqualTo(s_patterns.Select(p => (long)PlainCount(bytes, p)).ToArray()));
    }

    [Test]
    public void The_tool_on_a_folder_holding_a_fifo_skips_it_with_a_line_and_lists_the_matches()
    {
        string odd = OddFolder(out _);
        (int exit, string output) = RunTool([odd, "--backend", BackendName(), "--chunk-kib", "8", "-p", "needle", "-p", "aa"], limited: false);
        Assert.That(exit, Is.Zero, "a skipped FIFO is not a failure: " + output);
        Assert.That(output, Does.Contain("skipped").And.Contain("pipe.fifo: a FIFO, not a regular file"), output);
        Assert.That(output, Does.Contain("good.txt: 3 matches: needle ×1, aa ×2"), "the file's line names its rules: " + output);
        Assert.That(output, Does.Contain("Summary"), "the scan went on to the table: " + output);
        (exit, output) = RunTool([Path.Combine(odd, "pipe.fifo"), "--backend", BackendName()], limited: false);
        Assert.That(exit, Is.EqualTo(1), "a FIFO named on the command line is read, and cannot be: " + output);
        Assert.That(output, Does.Contain("FIFO"), output);
    }

    /// <summary>
    /// With the default locked-memory limit (8 MiB; no CAP_IPC_LOCK) the tool's 256 staging buffers of 64 KiB (16 MiB)
    /// cannot be pinned: it reads with plain io_uring READ instead and says so. As root, it runs the tool without
    /// CAP_IPC_LOCK (setpriv) and with an 8 MiB limit (prlimit).
    /// </summary>
    [Test]
    public void Past_the_locked_memory_limit_the_tool_reads_unpinned_and_says_so()
    {
        (int exit, string output) = RunTool([_folder, "--backend", BackendName()], limited: true);
        Assert.That(exit, Is.Zero, output);
        Assert.That(output, Does.Contain("RLIMIT_MEMLOCK").And.Contain("ulimit -l"), "the note names the limit and the fix: " + output);
        Assert.That(output, Does.Contain("unpinned"), "the table says what read the files: " + output);
    }

    /// <summary>
    /// Ten thousand rules over a four-letter alphabet (lengths 3 to 12, some repeated) on text full of them: the counts
    /// per file and rule equal a plain C# count, with a result area large enough and with one so small that every
    /// chunk is counted again on the CPU; and with the chunks copied into the heap first (StreamOptions.HeapStaging).
    /// </summary>
    [TestCase(1 << 20, false, HandlerWidth.Lane)]
    [TestCase(2, false, HandlerWidth.Lane)]
    [TestCase(1 << 20, true, HandlerWidth.Lane)]
    [TestCase(1 << 20, false, HandlerWidth.Warp)]
    [TestCase(2, false, HandlerWidth.Warp)]
    [TestCase(1 << 20, true, HandlerWidth.Warp)]
    public async Task Ten_thousand_rules_count_like_plain_csharp(int capacity, bool heapStaging, HandlerWidth width)
    {
        var random = new Random(17);
        byte[] text = new byte[(3 * Chunk) + 1234];
        for (int i = 0; i < text.Length; i++)
        {
            text[i] = (byte)"abcd"[random.Next(4)];
        }

        var rules = new List<byte[]>();
        while (rules.Count < 10_000)
        {
            // Half the rules are taken from the text (so they match, across chunk boundaries too), half are random.
            int length = random.Next(3, 13);
            if (rules.Count % 2 == 0)
            {
                int at = random.Next(text.Length - length);
                rules.Add(text.AsSpan(at, length).ToArray());
            }
            else
            {
                rules.Add([.. Enumerable.Range(0, length).Select(_ => (byte)"abcde"[random.Next(5)])]);
            }
        }

        rules.Add(rules[10]);
        string path = Path.Combine(_folder, $"rules-{capacity}-{heapStaging}-{width}.txt");
        File.WriteAllBytes(path, text);
        try
        {
            ScanSummary summary = await ScanEngine.RunAsync(new ScanRequest { Files = [path], Patterns = rules, Backend = backend, ChunkBytes = Chunk, Depth = 3, MatchCapacity = capacity, DeviceCopy = heapStaging, Width = width });
            Dictionary<int, long> expected = PlainCounts(text, rules);
            Assert.That(summary.Files[0].Error, Is.Null);
            Assert.That(summary.Files[0].Matches, Is.EquivalentTo(expected), "every rule's count, and no others");
            Assert.That(expected[10], Is.EqualTo(expected[rules.Count - 1]).And.Positive, "a repeated rule counts for each of its numbers");
            Assert.That(summary.Recounted, capacity == 2 ? Is.EqualTo(4) : Is.Zero, "chunks counted again on the CPU");
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static long[] Counts(FileReport report, int patterns) => [.. Enumerable.Range(0, patterns).Select(report.Count)];

    /// <summary>Matches per rule by looking up every substring of each rule length in a table of the rules.</summary>
    private static Dictionary<int, long> PlainCounts(byte[] bytes, IReadOnlyList<byte[]> rules)
    {
        var byText = new Dictionary<string, List<int>>();
        for (int r = 0; r < rules.Count; r++)
        {
            string key = Convert.ToHexString(rules[r]);
            if (!byText.TryGetValue(key, out List<int>? numbers))
            {
                byText[key] = numbers = [];
            }

            numbers.Add(r);
        }

        var counts = new Dictionary<int, long>();
        int[] lengths = [.. rules.Select(r => r.Length).Distinct()];
        for (int i = 0; i < bytes.Length; i++)
        {
            foreach (int length in lengths)
            {
                if (i + length <= bytes.Length && byText.TryGetValue(Convert.ToHexString(bytes, i, length), out List<int>? numbers))
                {
                    foreach (int r in numbers)
                    {
                        counts[r] = counts.GetValueOrDefault(r) + 1;
                    }
                }
            }
        }

        return counts;
    }

    private string OddFolder(out string good)
    {
        string odd = _folder + "-odd";
        Directory.CreateDirectory(odd);
        good = Path.Combine(odd, "good.txt");
        File.WriteAllText(good, "a needle in the hay, aaa");
        string fifo = Path.Combine(odd, "pipe.fifo");
        if (!File.Exists(fifo))
        {
            using Process mkfifo = Process.Start("mkfifo", [fifo]);
            mkfifo.WaitForExit();
            Assert.That(mkfifo.ExitCode, Is.Zero, "mkfifo");
        }

        return odd;
    }

    private string BackendName() => backend switch
    {
        Backend.Managed => "managed",
        Backend.IlgpuCpu => "ilgpu-cpu",
        _ => "cuda",
    };

    /// <summary>Runs vyre-scan (bounded: 3 minutes); <paramref name="limited"/>: without CAP_IPC_LOCK and with an 8 MiB RLIMIT_MEMLOCK.</summary>
    private static (int Exit, string Output) RunTool(string[] arguments, bool limited)
    {
        string tool = Path.Combine(AppContext.BaseDirectory, "vyre-scan");
        var command = new List<string>();
        if (limited && HasIpcLock())
        {
            if (!File.Exists("/usr/bin/setpriv") || !File.Exists("/usr/bin/prlimit"))
            {
                Assert.Ignore("Dropping CAP_IPC_LOCK needs setpriv and prlimit (util-linux); CI also runs this test as an unprivileged user.");
            }

            command.AddRange(["/usr/bin/setpriv", "--bounding-set=-ipc_lock", "--", "/usr/bin/prlimit", "--memlock=8388608:8388608", "--"]);
        }
        else if (limited && LockedMemoryLimit() >= 16 << 20)
        {
            Assert.Ignore($"RLIMIT_MEMLOCK is {LockedMemoryLimit()} bytes here, enough to pin the tool's buffers; the test needs 8 MiB (the default) or less.");
        }

        command.Add(tool);
        command.AddRange(arguments);
        return ChildProcess.Run(command, TimeSpan.FromMinutes(3), environment: new Dictionary<string, string> { ["NO_COLOR"] = "1", ["COLUMNS"] = "200" });
    }

    private static bool HasIpcLock()
    {
        string? line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("CapEff:", StringComparison.Ordinal));
        return line is not null && (Convert.ToUInt64(line["CapEff:".Length..].Trim(), 16) & (1ul << 14)) != 0;
    }

    private static long LockedMemoryLimit()
    {
        // The soft limit in KiB, as the shell reports it ("unlimited" reads as no limit).
        using Process shell = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", "ulimit -l"]) { RedirectStandardOutput = true })!;
        string text = shell.StandardOutput.ReadToEnd().Trim();
        shell.WaitForExit();
        return long.TryParse(text, out long kib) ? kib * 1024 : long.MaxValue;
    }

    // Plain C#: chunk FNV-1a 32 hashes folded with FNV-1a 64, as documented in the README.
    private static ulong PlainContentHash(byte[] bytes)
    {
        var chunkHashes = new List<uint>();
        for (int at = 0; at < Math.Max(bytes.Length, 1); at += Chunk)
        {
            uint h = 2166136261;
            for (int i = at; i < Math.Min(at + Chunk, bytes.Length); i++)
            {
                h = (h ^ bytes[i]) * 16777619;
            }

            chunkHashes.Add(h);
        }

        ulong hash = 14695981039346656037;
        foreach (byte b in chunkHashes.SelectMany(BitConverter.GetBytes))
        {
            hash = (hash ^ b) * 1099511628211;
        }

        return hash;
    }

    private static double PlainEntropy(byte[] bytes)
    {
        return bytes.GroupBy(b => b).Select(g => (double)g.Count() / bytes.Length).Sum(p => -p * Math.Log2(p));
    }

    private static int PlainCount(byte[] bytes, byte[] pattern)
    {
        int count = 0;
        for (int i = 0; i + pattern.Length <= bytes.Length; i++)
        {
            if (bytes.AsSpan(i, pattern.Length).SequenceEqual(pattern))
            {
                count++;
            }
        }

        return count;
    }
}
