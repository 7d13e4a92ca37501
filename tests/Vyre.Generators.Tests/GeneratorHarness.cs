using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Vyre.Generators.Tests;

/// <summary>Compiles source with the generator and the analyzer, against the real Vyre assemblies.</summary>
internal static class GeneratorHarness
{
    private static readonly MetadataReference[] s_references = LoadReferences();

    public static CSharpCompilation Compile(params string[] sources) => Compile("Consumer", [], sources);

    /// <summary>Compiles <paramref name="sources"/> as assembly <paramref name="name"/>, referencing the Vyre assemblies and <paramref name="libraries"/>.</summary>
    public static CSharpCompilation Compile(string name, IEnumerable<MetadataReference> libraries, params string[] sources) =>
        CSharpCompilation.Create(
            name,
            sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, new CSharpParseOptions(LanguageVersion.Latest), path: $"{(name == "Consumer" ? "Source" : name)}{i}.cs", encoding: System.Text.Encoding.UTF8)),
            s_references.Concat(libraries),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, generalDiagnosticOption: ReportDiagnostic.Error));

    public static GeneratorDriver Driver() =>
        CSharpGeneratorDriver.Create(
            [new MegakernelGenerator().AsSourceGenerator()],
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs the generator; returns the output compilation and the generated files by hint name.</summary>
    public static (Compilation Output, IReadOnlyDictionary<string, string> Files) Generate(params string[] sources) => Generate([], sources);

    /// <summary>Runs the generator on a consumer referencing <paramref name="libraries"/>; returns the output compilation and the generated files by hint name.</summary>
    public static (Compilation Output, IReadOnlyDictionary<string, string> Files) Generate(IEnumerable<MetadataReference> libraries, params string[] sources)
    {
        CSharpCompilation input = Compile("Consumer", libraries, sources);
        Driver().RunGeneratorsAndUpdateCompilation(input, out Compilation output, out _);
        GeneratorDriverRunResult run = Driver().RunGenerators(input).GetRunResult();
        return (output, run.Results.Single().GeneratedSources.ToDictionary(s => s.HintName, s => s.SourceText.ToString()));
    }

    /// <summary>The analyzer's diagnostics for <paramref name="sources"/>.</summary>
    public static ImmutableArray<Diagnostic> Analyze(params string[] sources) => Analyze([], sources);

    /// <summary>The analyzer's diagnostics for a consumer referencing <paramref name="libraries"/>.</summary>
    public static ImmutableArray<Diagnostic> Analyze(IEnumerable<MetadataReference> libraries, params string[] sources)
    {
        CSharpCompilation input = Compile("Consumer", libraries, sources);
        Driver().RunGeneratorsAndUpdateCompilation(input, out Compilation output, out _);
        return output.WithAnalyzers([new HandlerAnalyzer()]).GetAnalyzerDiagnosticsAsync(CancellationToken.None).Result;
    }

    private static MetadataReference[] LoadReferences()
    {
        string runtimeDir = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        IEnumerable<string> framework = Directory.GetFiles(runtimeDir, "*.dll").Where(f => !f.Contains("Native", StringComparison.Ordinal));
        IEnumerable<string> vyre = [typeof(SlotContext).Assembly.Location, typeof(MegakernelHost).Assembly.Location, typeof(ILGPU.Context).Assembly.Location];
        return framework.Concat(vyre).Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToArray();
    }
}
