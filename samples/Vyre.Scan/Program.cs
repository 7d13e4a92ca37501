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

// vyre-scan: streams a directory through the ChunkStats handler (io_uring → staging buffers → slots)
// and reports per-file content hashes, byte entropy and literal pattern counts.
var target = new Argument<string>("path") { Description = "File or directory to scan.", DefaultValueFactory = _ => "." };
var backend = new Option<string>("--backend") { Description = "auto, cuda, managed or ilgpu-cpu.", DefaultValueFactory = _ => "auto" };
var patterns = new Option<string[]>("--pattern", "-p") { Description = "A literal to count (repeatable, up to 8 with the rules file).", AllowMultipleArgumentsPerToken = false };
var rules = new Option<FileInfo?>("--rules") { Description = "A file of literals, one per line ('#' comments, 'hex:' for bytes)." };
var chunk = new Option<int>("--chunk-kib") { Description = "Chunk size in KiB (a multiple of 4).", DefaultValueFactory = _ => ScanRequest.DefaultChunkBytes / 1024 };
var depth = new Option<int?>("--depth") { Description = $"Staging buffers: reads and slots in flight (default {ScanRequest.DefaultCudaDepth} on CUDA, {ScanRequest.DefaultCpuDepth} on the CPU)." };
var reads = new Option<string>("--reads") { Description = "io-uring, auto (io_uring, else pread where io_uring is unavailable) or pread.", DefaultValueFactory = _ => "io-uring" };
var buffered = new Option<bool>("--no-direct") { Description = "Read through the page cache instead of O_DIRECT." };
var hidden = new Option<bool>("--hidden") { Description = "Also scan hidden files and folders (names starting with '.')." };
var top = new Option<int>("--top") { Description = "Files listed in the table (largest first; flagged and failed files always).", DefaultValueFactory = _ => 15 };
var threshold = new Option<double>("--entropy") { Description = "Bits per byte at or above which a file is flagged.", DefaultValueFactory = _ => 7.5 };

var root = new RootCommand("Streams files through a Vyre megakernel: content hashes, byte entropy and pattern counts per file.")
{
    target, backend, patterns, rules, chunk, depth, reads, buffered, hidden, top, threshold,
};
root.SetAction(async (parse, cancellationToken) =>
{
    try
    {
        Backend chosen = ParseBackend(parse.GetValue(backend)!);
        List<byte[]> literals = (parse.GetValue(patterns) ?? []).Select(Encoding.UTF8.GetBytes).ToList();
        if (parse.GetValue(rules) is { } rulesFile)
        {
            literals.AddRange(ScanPatterns.ReadRules(rulesFile.FullName));
        }

        if (literals.Count == 0)
        {
            literals = [Encoding.UTF8.GetBytes("TODO"), Encoding.UTF8.GetBytes("PRIVATE KEY")];
        }

        string path = parse.GetValue(target)!;
        string[] files = FileList.Collect(path, parse.GetValue(hidden));
        var notes = new List<string>();
        var request = new ScanRequest
        {
            Files = files,
            Patterns = literals,
            Backend = chosen,
            IoReads = ParseReads(parse.GetValue(reads)!),
            ChunkBytes = parse.GetValue(chunk) * 1024,
            Depth = parse.GetValue(depth),
            Direct = !parse.GetValue(buffered),
            EntropyThreshold = parse.GetValue(threshold),
            Log = notes.Add,
        };
        long total = files.Sum(f => new FileInfo(f).Length);
        ScanSummary summary = null!;
        await AnsiConsole.Progress().AutoClear(true).StartAsync(async context =>
        {
            ProgressTask bar = context.AddTask($"Scanning {files.Length} files", maxValue: Math.Max(total, 1));
            var progress = new Progress<long>(bytes => bar.Increment(bytes));
            summary = await ScanEngine.RunAsync(request, progress, cancellationToken);
            bar.Value = bar.MaxValue;
        });
        Report.Print(summary, literals, parse.GetValue(top), notes);
        return summary.Files.Any(f => f.Error is not null) ? 1 : 0;
    }
    catch (Exception e) when (e is ArgumentException or IOException or Vyre.IoUring.IoUringException or PlatformNotSupportedException or UnauthorizedAccessException)
    {
        AnsiConsole.MarkupLine($"[red]error:[/] {Markup.Escape(e.Message)}");
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
    _ => throw new ArgumentException($"Unknown backend '{name}'. Fix: use auto, cuda, managed or ilgpu-cpu."),
};

static IoReads ParseReads(string name) => name switch
{
    "io-uring" => IoReads.IoUring,
    "auto" => IoReads.IoUringElsePositional,
    "pread" => IoReads.Positional,
    _ => throw new ArgumentException($"Unknown read engine '{name}'. Fix: use io-uring, auto or pread."),
};
