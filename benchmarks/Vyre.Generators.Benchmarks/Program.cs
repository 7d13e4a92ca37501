using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Vyre.Generators;

// Times the megakernel generator and analyzer on one [Megakernel] class of N handlers, beside the
// C# compiler binding the same source without them (the baseline every build pays anyway).
// Usage: Vyre.Generators.Benchmarks [--handlers 256] [--runs 30]
int handlers = Option("--handlers", 256);
int runs = Option("--runs", 30);
Console.WriteLine($"# Vyre generator benchmark, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, {Environment.OSVersion}");

string source = Source(handlers, salt: 0);
CSharpCompilation compilation = Compile(source);
var clock = Stopwatch.StartNew();
GeneratorDriver cold = NewDriver().RunGenerators(compilation);
double coldMs = clock.Elapsed.TotalMilliseconds;
int files = cold.GetRunResult().GeneratedTrees.Length;

double parse = Median(runs, () => Compile(source).SyntaxTrees.Count());
int fresh = 0;
double bind = Median(runs, () => compilation.WithAssemblyName("Bind" + fresh++).GetDiagnostics().Length);
double full = Median(runs, () => NewDriver().RunGenerators(compilation.WithAssemblyName("Gen" + fresh++)).GetRunResult().GeneratedTrees.Length);
GeneratorDriver warm = NewDriver().RunGenerators(compilation);
int edits = 0;
double incremental = Median(runs, () =>
{
    edits++;
    SyntaxTree old = compilation.SyntaxTrees.Single();
    Compilation edited = compilation.ReplaceSyntaxTree(old, CSharpSyntaxTree.ParseText(Source(handlers, edits), (CSharpParseOptions)old.Options, old.FilePath));
    return warm.RunGenerators(edited).GetRunResult().GeneratedTrees.Length;
});
double analyzer = Median(runs, () => compilation.WithAssemblyName("Analyze" + fresh++).WithAnalyzers([new HandlerAnalyzer()]).GetAnalyzerDiagnosticsAsync(CancellationToken.None).Result.Length);

Console.WriteLine($"\n## Generator, {handlers} handlers in one megakernel ({files} files generated; median of {runs} runs)\n");
Console.WriteLine("| step | ms |");
Console.WriteLine("| --- | ---: |");
Console.WriteLine($"| C# parses the source | {parse:0.0} |");
Console.WriteLine($"| baseline: C# binds the parsed source, no generator (GetDiagnostics) | {bind:0.0} |");
Console.WriteLine($"| generator, full run on a fresh driver and compilation | {full:0.0} |");
Console.WriteLine($"| generator, incremental run after one handler body edit | {incremental:0.0} |");
Console.WriteLine($"| analyzer, every VYR rule over all handlers (bind + analyze) | {analyzer:0.0} |");
Console.WriteLine($"| generator, first run in the process (includes JIT) | {coldMs:0.0} |");

static double Median(int runs, Func<int> work)
{
    work();
    var times = new double[runs];
    int sink = 0;
    for (int i = 0; i < runs; i++)
    {
        long start = Stopwatch.GetTimestamp();
        sink += work();
        times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    Array.Sort(times);
    return sink >= 0 ? times[runs / 2] : double.NaN;
}

static GeneratorDriver NewDriver() =>
    CSharpGeneratorDriver.Create([new MegakernelGenerator().AsSourceGenerator()], driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: false));

static CSharpCompilation Compile(string source) =>
    CSharpCompilation.Create(
        "Consumer",
        [CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest), "Kernel.cs")],
        References.All,
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

// Handlers that do real arithmetic on their arguments; salt changes one body, as an edit would.
static string Source(int count, int salt)
{
    var text = new StringBuilder("using Vyre;\nnamespace Bench;\n[Megakernel]\npublic static partial class Wide\n{\n");
    for (int i = 0; i < count; i++)
    {
        uint opcode = 0x100u + (uint)(i < count / 2 ? i : i * 7);
        int constant = i == 0 ? salt : i;
        text.Append($"    [OpcodeHandler(0x{opcode:X})]\n    public static SlotStatus H{i}(ref SlotContext slot)\n    {{\n")
            .Append($"        uint x = slot.Arg(0) * {constant + 3}u + slot.Arg(1);\n")
            .Append("        for (int k = 0; k < 4; k++) { x = uint.RotateLeft(x, 5) ^ (uint)k; }\n")
            .Append("        slot.SetResult(0, x);\n        return SlotStatus.Done;\n    }\n");
    }

    return text.Append("}\n").ToString();
}

int Option(string name, int fallback)
{
    int at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], System.Globalization.CultureInfo.InvariantCulture) : fallback;
}

/// <summary>Metadata references loaded once, as a compiler server keeps them between builds.</summary>
internal static class References
{
    public static readonly MetadataReference[] All = Load();

    private static MetadataReference[] Load()
    {
        string runtime = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        IEnumerable<string> paths = Directory.GetFiles(runtime, "System*.dll").Append(Path.Combine(runtime, "netstandard.dll"))
            .Concat([typeof(Vyre.SlotContext).Assembly.Location, typeof(Vyre.MegakernelHost).Assembly.Location, typeof(ILGPU.Context).Assembly.Location]);
        return paths.Where(File.Exists).Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToArray();
    }
}
