using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using NUnit.Framework;
using Vyre.Tests;

namespace Vyre.Scan.Tests;

/// <summary>The scan tool as a command: which files it walks, what it prints, and its exit codes (on Managed).</summary>
public sealed class ScanToolTests
{
    private string _folder = string.Empty;

    [SetUp]
    public void CreateTree()
    {
        _folder = Path.Combine(Path.GetTempPath(), $"vyre-scan-tool-{Environment.ProcessId}-{TestContext.CurrentContext.Test.Name.GetHashCode():x8}");
        Directory.CreateDirectory(_folder);
        Write(".git/HEAD", "ref: refs/heads/main");
        Write(".gitignore", "*.log\n/build/\nkeep/**/tmp\n!important.log\ndocs/\n");
        Write("a.txt", "secret");
        Write("app.log", "secret");
        Write("important.log", "secret");
        Write("build/out.txt", "secret");
        Write("src/build/gen.txt", "secret");
        Write("keep/x/y/tmp", "secret");
        Write("keep/tmp2", "secret");
        Write("docs/readme.md", "secret");
        Write("src/.ignore", "*.gen\n");
        Write("src/code.gen", "secret");
        Write("src/code.cs", "secret secret");
        Write(".hidden/h.txt", "secret");
    }

    [TearDown]
    public void DeleteTree() => Directory.Delete(_folder, recursive: true);

    [Test]
    public void The_walk_respects_gitignore_and_ignore_files_like_ripgrep()
    {
        Assert.That(Walk(new WalkOptions()), Is.EqualTo(new[] { "a.txt", "important.log", "keep/tmp2", "src/build/gen.txt", "src/code.cs" }),
            "'*.log' at any depth, '!' re-includes, '/build/' only at the root, '**' across folders, 'docs/' a folder, src/.ignore, hidden skipped");
        Assert.That(Walk(new WalkOptions { Ignore = false }), Has.Member("app.log").And.Member("build/out.txt").And.Member("src/code.gen").And.Member("docs/readme.md"), "--no-ignore");
        Assert.That(Walk(new WalkOptions { Hidden = true }), Has.Member(".hidden/h.txt").And.Member(".gitignore").And.No.Member(".git/HEAD"), "--hidden never walks .git");
    }

    [Test]
    public void A_gitignore_outside_a_git_repository_is_not_read_but_an_ignore_file_is()
    {
        Directory.Delete(Path.Combine(_folder, ".git"), recursive: true);
        Assert.That(Walk(new WalkOptions()), Has.Member("app.log").And.No.Member("src/code.gen"));
    }

    [Test]
    public void Ignore_files_above_the_scanned_folder_count_from_their_own_folder()
    {
        string[] files = [.. FileList.Collect(Path.Combine(_folder, "src"), new WalkOptions()).Files.Select(f => Path.GetRelativePath(_folder, f))];
        Assert.That(files, Is.EqualTo(new[] { "src/build/gen.txt", "src/code.cs" }), "'/build/' is anchored to the repository root, so src/build stays");
        Write("src/app.log", "x");
        Assert.That(FileList.Collect(Path.Combine(_folder, "src"), new WalkOptions()).Files.Select(Path.GetFileName), Has.No.Member("app.log"), "the root's '*.log' applies below");
    }

    [Test]
    public void Globs_choose_files_and_exclude_folders()
    {
        Assert.That(Walk(new WalkOptions { Globs = ["*.cs", "*.txt"] }), Is.EqualTo(new[] { "a.txt", "src/build/gen.txt", "src/code.cs" }));
        Assert.That(Walk(new WalkOptions { Globs = ["!src"] }), Is.EqualTo(new[] { "a.txt", "important.log", "keep/tmp2" }));
        Assert.That(Walk(new WalkOptions { Globs = ["*.log"] }), Is.EqualTo(new[] { "app.log", "important.log" }), "globs override ignore files");
    }

    [Test]
    public void Json_lines_follow_the_documented_schema()
    {
        (int exit, string output) = Tool(_folder, "--json", "-q", "-p", "secret", "-p", "nothing");
        Assert.That(exit, Is.Zero, output);
        JsonElement[] lines = [.. output.Split('\n').Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement)];
        Assert.That(lines[0].GetProperty("type").GetString(), Is.EqualTo("begin"));
        Assert.That(lines[0].GetProperty("schema").GetInt32(), Is.EqualTo(1));
        Assert.That(lines[0].GetProperty("rules").EnumerateArray().Select(r => r.GetString()), Is.EqualTo(new[] { "secret", "nothing" }));
        JsonElement code = lines.Single(l => l.GetProperty("type").GetString() == "file" && l.GetProperty("path").GetString()!.EndsWith("code.cs", StringComparison.Ordinal));
        Assert.That(code.GetProperty("bytes").GetInt64(), Is.EqualTo(13));
        Assert.That(code.GetProperty("content_hash").GetString(), Has.Length.EqualTo(16));
        Assert.That(code.GetProperty("error").ValueKind, Is.EqualTo(JsonValueKind.Null));
        JsonElement match = code.GetProperty("matches").EnumerateArray().Single();
        Assert.That((match.GetProperty("rule").GetInt32(), match.GetProperty("count").GetInt64()), Is.EqualTo((0, 2L)));
        JsonElement summary = lines[^1];
        Assert.That(summary.GetProperty("type").GetString(), Is.EqualTo("summary"));
        Assert.That(summary.GetProperty("files").GetInt32(), Is.EqualTo(5));
        Assert.That(summary.GetProperty("matches").GetInt64(), Is.EqualTo(6));
    }

    [Test]
    public void Text_results_go_to_standard_output_and_notes_to_standard_error()
    {
        (int exit, string output) = Tool(_folder, "-p", "secret", "-p", "absent");
        Assert.That(exit, Is.Zero, output);
        string[] lines = output.Split('\n');
        Assert.That(lines[0], Is.EqualTo("a.txt: 1 match: secret ×1"), "stdout comes first in the runner's output; paths relative to the working folder");
        Assert.That(output, Does.Contain("src/code.cs: 2 matches: secret ×2"));
        Assert.That(output, Does.Contain("Summary"));
    }

    [TestCase("--backend", "tpu", "unknown backend")]
    [TestCase("--chunk-kib", "3", "multiple of 4096")]
    [TestCase("--rules", "/nonexistent/rules.txt", "no such file")]
    [TestCase("--pattern", "", "Fix:")]
    [TestCase("--direct", "--no-direct", "--direct and --no-direct together")]
    [TestCase("--depth", "16385", "1 to 16384 chunks in flight")]
    [TestCase("--depth", "0", "1 to 16384 chunks in flight")]
    public void Bad_input_exits_2_with_the_tools_own_words(string option, string value, string expected)
    {
        (int exit, string output) = Tool(_folder, option, value);
        Assert.That(exit, Is.EqualTo(2), output);
        Assert.That(output, Does.Contain("vyre-scan: error:").And.Contain(expected).And.Contain("Fix:"), output);
        Assert.That(output, Does.Not.Contain("   at ").And.Not.Contain("Exception"), "no stack trace, no API names");
    }

    /// <summary>Through the page cache unless asked (docs/scan.md: O_DIRECT read cached files at a quarter of the speed).</summary>
    [Test]
    public void Files_are_read_through_the_page_cache_unless_direct_is_asked_for()
    {
        (int exit, string output) = Tool(_folder, "-p", "secret");
        Assert.That(exit, Is.Zero, output);
        (int direct, int cached) = ReadModes(output);
        Assert.That((direct, cached > 0), Is.EqualTo((0, true)), output);

        (exit, output) = Tool(_folder, "-p", "secret", "--direct");
        Assert.That(exit, Is.Zero, output);
        (int directAsked, int cachedAsked) = ReadModes(output);
        Assert.That(directAsked + cachedAsked, Is.EqualTo(direct + cached), "every file read either way");
        Assume.That(directAsked, Is.GreaterThan(0), "this folder's file system takes O_DIRECT (a tmpfs refuses it, and the files are then read buffered)");
    }

    [Test]
    public void Asking_for_cuda_without_a_gpu_says_so_in_the_tools_words()
    {
        if (MegakernelHost.IsCudaAvailable())
        {
            Assert.Ignore("This machine has a GPU: --backend cuda works here.");
        }

        (int exit, string output) = Tool(_folder, "--backend", "cuda");
        Assert.That(exit, Is.EqualTo(2), output);
        Assert.That(output, Does.Contain("--backend cuda: this machine has no usable NVIDIA GPU").And.Contain("Fix:"), output);
    }

    [Test]
    public void An_unreadable_file_exits_1_and_the_others_are_still_reported()
    {
        if (Environment.UserName == "root" || IsRootUid())
        {
            // Root reads a mode-000 file anyway; a FIFO named on the command line cannot be scanned by anyone.
            string fifo = Path.Combine(_folder, "named.fifo");
            using System.Diagnostics.Process mkfifo = System.Diagnostics.Process.Start("mkfifo", [fifo]);
            mkfifo.WaitForExit();
            (int code, string text) = Tool(fifo, "-p", "secret");
            Assert.That(code, Is.EqualTo(1), text);
            Assert.That(text, Does.Contain("not read").And.Contain("FIFO"), text);
            return;
        }

        File.SetUnixFileMode(Path.Combine(_folder, "a.txt"), UnixFileMode.None);
        (int exit, string output) = Tool(_folder, "-p", "secret");
        Assert.That(exit, Is.EqualTo(1), output);
        Assert.That(output, Does.Contain("a.txt: not read").And.Contain("src/code.cs: 2 matches"), output);
    }

    private static bool IsRootUid() => File.ReadLines("/proc/self/status").Any(l => l.StartsWith("Uid:\t0", StringComparison.Ordinal));

    private string[] Walk(WalkOptions options) =>
        [.. FileList.Collect(_folder, options).Files.Select(f => Path.GetRelativePath(_folder, f))];

    private void Write(string relative, string text)
    {
        string path = Path.Combine(_folder, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    [Test]
    public void An_interrupt_during_a_scan_exits_130_with_one_line_and_no_results()
    {
        if (!Vyre.IoUring.IoUringRing.IsAvailable(out string reason))
        {
            Assert.Ignore("io_uring is unavailable on this machine, so the scan tool cannot run: " + reason);
        }

        // A sparse 16 GiB file takes no disk, and one CPU worker takes many seconds over it: the signal lands mid-scan.
        string big = Path.Combine(_folder, "big.bin");
        using (FileStream file = File.Create(big))
        {
            file.SetLength(16L << 30);
        }

        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "vyre-scan")) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in new[] { big, "--backend", "managed", "--lanes", "1", "--no-direct", "--json", "-q" })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["NO_COLOR"] = "1";
        using Process tool = Process.Start(start)!;
        Task<string> output = tool.StandardOutput.ReadToEndAsync();
        Task<string> errors = tool.StandardError.ReadToEndAsync();
        try
        {
            Assert.That(tool.WaitForExit(TimeSpan.FromSeconds(3)), Is.False, "the scan is still running after 3 s");
            // SIGTERM, which takes the same path as Ctrl-C's SIGINT: a child of a background job (as a CI run may be) starts
            // with SIGINT ignored (POSIX), and a process cannot undo that.
            using (Process signal = Process.Start("kill", ["-TERM", tool.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                signal.WaitForExit();
            }

            Assert.That(tool.WaitForExit(TimeSpan.FromSeconds(30)), Is.True, "the scan stops within 30 s of the signal");
        }
        finally
        {
            if (!tool.HasExited)
            {
                tool.Kill(entireProcessTree: true);
            }
        }

        Assert.That(tool.ExitCode, Is.EqualTo(130));
        Assert.That(errors.Result.Trim(), Is.EqualTo("vyre-scan: cancelled."), "one line in the tool's words: the cancellation was handled, not the default signal death (which also reads 130)");
        Assert.That(output.Result, Is.Empty, "no partial results on standard output");
    }

    /// <summary>The summary's "(N O_DIRECT, M page cache" counts.</summary>
    private static (int Direct, int Cached) ReadModes(string output)
    {
        System.Text.RegularExpressions.Match counts = System.Text.RegularExpressions.Regex.Match(output, @"\(([\d,]+) O_DIRECT, ([\d,]+) page cache");
        Assert.That(counts.Success, output);
        return (int.Parse(counts.Groups[1].Value.Replace(",", string.Empty)), int.Parse(counts.Groups[2].Value.Replace(",", string.Empty)));
    }

    private (int Exit, string Output) Tool(string path, params string[] arguments)
    {
        if (!Vyre.IoUring.IoUringRing.IsAvailable(out string reason))
        {
            Assert.Ignore("io_uring is unavailable on this machine, so the scan tool cannot run: " + reason);
        }

        string[] backend = arguments.Contains("--backend") ? [] : ["--backend", "managed"];
        return ChildProcess.Run([Path.Combine(AppContext.BaseDirectory, "vyre-scan"), path, .. backend, .. arguments],
            TimeSpan.FromMinutes(2), _folder, new Dictionary<string, string> { ["NO_COLOR"] = "1", ["COLUMNS"] = "200" });
    }
}
