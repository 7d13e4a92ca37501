using System;
using System.Collections.Generic;
using System.CommandLine;
using System.IO;
using System.Linq;
using System.Text;
using Spectre.Console;
using Vyre;
using Vyre.IoUring;
using Vyre.Scan;

// vyre-scan: streams a directory through the ChunkStats handler (io_uring → staging buffers → slots) and reports
// which files match which rules, with per-file content hashes and byte entropy. Results go to standard output,
// progress, notes and the summary to standard error; exit codes in docs/scan.md.
var target = new Argument<string>("path") { Description = "File or directory to scan.", DefaultValueFactory = _ => "." };
var backend = new Option<string>("--backend") { Description = "auto, cuda, managed or ilgpu-cpu.", DefaultValueFactory = _ => "auto" };
var patterns = new Option<string[]>("--pattern", "-p") { Description = "A literal to count (repeatable).", AllowMultipleArgumentsPerToken = false };
var rules = new Option<FileInfo?>("--rules") { Description = "A file of literals, one per line ('#' comments, 'hex:' for bytes)." };
var chunk = new Option<int>("--chunk-kib") { Description = "Chunk size in KiB (a multiple of 4).", DefaultValueFactory = _ => ScanRequest.DefaultChunkBytes / 1024 };
var depth = new Option<int?>("--depth") { Description = $"Staging buffers: reads and slots in flight (default {ScanRequest.DefaultCudaDepth} on CUDA, {ScanRequest.DefaultCpuDepth} on the CPU)." };
var reads = new Option<string>("--reads") { Description = "io-uring, auto (io_uring, else pread where io_uring is unavailable) or pread.", DefaultValueFactory = _ => "io-uring" };
var direct = new Option<bool>("--direct") { Description = "Read with O_DIRECT where the file system allows it (for trees larger than memory: the page cache keeps nothing)." };
var buffered = new Option<bool>("--no-direct") { Description = "Read through the page cache (the default)." };
var hidden = new Option<bool>("--hidden") { Description = "Also scan hidden files and folders (names starting with '.')." };
var noIgnore = new Option<bool>("--no-ignore") { Description = "Do not respect .gitignore and .ignore files." };
var globs = new Option<string[]>("--glob", "-g") { Description = "Scan only files matching this gitignore-style glob; '!' before it excludes (repeatable).", AllowMultipleArgumentsPerToken = false };
var json = new Option<bool>("--json") { Description = "Write results as JSON Lines (schema in docs/scan.md)." };
var quiet = new Option<bool>("--quiet", "-q") { Description = "No summary on standard error." };
var matchesOnly = new Option<bool>("--matches-only") { Description = "Only count matches: no content hashes and entropy (faster)." };
var lanes = new Option<int?>("--lanes") { Description = "GPU threads on CUDA (a multiple of the group size) or worker threads on the CPU; default: the backend's." };
var hostReads = new Option<bool>("--no-device-copy") { Description = "On CUDA, let handlers read chunks from host memory across PCIe instead of copying them into device memory first." };
var width = new Option<string>("--width") { Description = "Who walks a chunk: warp (32 GPU threads together), lane (one thread), or auto (warp on CUDA, lane on the CPU).", DefaultValueFactory = _ => "auto" };
var threshold = new Option<double>("--entropy") { Description = "Bits per byte at or above which a file is flagged.", DefaultValueFactory = _ => 7.5 };

var root = new RootCommand("Scans files for many literal rules at once on a Vyre megakernel (GPU, else CPU): which files match which rules, content hashes and byte entropy.")
{
    target, backend, patterns, rules, chunk, depth, reads, direct, buffered, hidden, noIgnore, globs, json, quiet, matchesOnly, hostReads, lanes, width, threshold,
};
root.SetAction(async (parse, cancellationToken) =>
{
    IAnsiConsole errors = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
    try
    {
        Backend chosen = ParseBackend(parse.GetValue(backend)!);
        if (chosen == Backend.Cuda && !MegakernelHost.IsCudaAvailable())
        {
            throw new ArgumentException("--backend cuda: this machine has no usable NVIDIA GPU (no CUDA driver or device found). Fix: use --backend auto or --backend managed.");
        }

        List<byte[]> literals = (parse.GetValue(patterns) ?? []).Select(Encoding.UTF8.GetBytes).ToList();
        if (parse.GetValue(rules) is { } rulesFile)
        {
            if (!rulesFile.Exists)
            {
                throw new ArgumentException($"--rules {rulesFile.FullName}: no such file. Fix: give the path of a rules file.");
            }

            literals.AddRange(ScanPatterns.ReadRules(rulesFile.FullName));
        }

        if (literals.Count == 0)
        {
            literals = [Encoding.UTF8.GetBytes("TODO"), Encoding.UTF8.GetBytes("PRIVATE KEY")];
        }

        if (parse.GetValue(direct) && parse.GetValue(buffered))
        {
            throw new ArgumentException("--direct and --no-direct together. Fix: give one of them (--no-direct is the default).");
        }

        string path = parse.GetValue(target)!;
        FileSelection selection = FileList.Collect(path, new WalkOptions
        {
            Hidden = parse.GetValue(hidden),
            Ignore = !parse.GetValue(noIgnore),
            Globs = parse.GetValue(globs) ?? [],
        });
        var notes = new List<string>();
        var request = new ScanRequest
        {
            Files = selection.Files,
            Patterns = literals,
            Backend = chosen,
            IoReads = ParseReads(parse.GetValue(reads)!),
            ChunkBytes = parse.GetValue(chunk) * 1024,
            Depth = parse.GetValue(depth),
            Direct = parse.GetValue(direct),
            EntropyThreshold = parse.GetValue(threshold),
            Stats = !parse.GetValue(matchesOnly),
            DeviceCopy = parse.GetValue(hostReads) ? false : null,
            Lanes = parse.GetValue(lanes),
            Width = ParseWidth(parse.GetValue(width)!),
            Log = notes.Add,
        };
        ScanSummary summary = null!;
        if (Console.IsErrorRedirected || parse.GetValue(quiet))
        {
            summary = await ScanEngine.RunAsync(request, null, cancellationToken);
        }
        else
        {
            long total = selection.Files.Sum(f => new FileInfo(f).Length);
            await errors.Progress().AutoClear(true).StartAsync(async context =>
            {
                ProgressTask bar = context.AddTask($"Scanning {selection.Files.Length} files", maxValue: Math.Max(total, 1));
                summary = await ScanEngine.RunAsync(request, new Progress<long>(bytes => bar.Increment(bytes)), cancellationToken);
                bar.Value = bar.MaxValue;
            });
        }

        var rulesOut = new RuleNames(literals);
        using (Stream stdout = Console.OpenStandardOutput())
        {
            if (parse.GetValue(json))
            {
                JsonReport.Write(stdout, summary, rulesOut, selection.Skipped);
            }
            else
            {
                TextReport.Write(stdout, summary, rulesOut);
            }
        }

        TextReport.WriteProblems(Console.Error, summary, selection.Skipped);
        if (!parse.GetValue(quiet))
        {
            TextReport.WriteSummary(errors, summary, rulesOut, selection.Skipped.Count, notes);
        }

        return summary.Files.Any(f => f.Error is not null) ? 1 : 0;
    }
    catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
    {
        errors.MarkupLine("[yellow]vyre-scan: cancelled.[/]");
        return 130;
    }
    catch (Exception e) when (e is ArgumentException or IOException or IoUringException or PlatformNotSupportedException or UnauthorizedAccessException or InvalidOperationException)
    {
        errors.MarkupLine($"[red]vyre-scan: error:[/] {Markup.Escape(e.Message)}");
        return 2;
    }
    catch (Exception e)
    {
        // Not the user's input: still one line in the tool's words, no stack trace.
        errors.MarkupLine($"[red]vyre-scan: internal error:[/] {Markup.Escape(e.Message)} Fix: rerun with --backend managed; if it persists, report it with this line.");
        return 2;
    }
});
return await root.Parse(args).InvokeAsync();

static Backend ParseBackend(string name) => name switch
{
    "auto" => Backend.Auto,
    "cuda" => Backend.Cuda,
    "managed" => Backend.Managed,
    "ilgpu-cpu" => Backend.IlgpuCpu,
    _ => throw new ArgumentException($"--backend {name}: unknown backend. Fix: use auto, cuda, managed or ilgpu-cpu."),
};

static IoReads ParseReads(string name) => name switch
{
    "io-uring" => IoReads.IoUring,
    "auto" => IoReads.IoUringElsePositional,
    "pread" => IoReads.Positional,
    _ => throw new ArgumentException($"--reads {name}: unknown read engine. Fix: use io-uring, auto or pread."),
};

static HandlerWidth? ParseWidth(string name) => name switch
{
    "auto" => null,
    "warp" => HandlerWidth.Warp,
    "lane" => HandlerWidth.Lane,
    _ => throw new ArgumentException($"--width {name}: unknown width. Fix: use auto, warp or lane."),
};
