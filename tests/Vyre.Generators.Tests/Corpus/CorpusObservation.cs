using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Emit;
using NUnit.Framework;
using Vyre.Build;

namespace Vyre.Generators.Tests.Corpus;

/// <summary>
/// What happened to one corpus handler. The labelling run: the handler alone (the case's Probe.Run) compiled by ILGPU
/// for its CPU accelerator and by its PTX backend for sm_90. The build: the analyzer's errors and the build step's
/// verdict on the real megakernel. The product: the megakernel started on Managed and IlgpuCpu (and CUDA on the GPU
/// machine) and the handler run once.
/// </summary>
internal sealed partial record CorpusObservation(
    IReadOnlyList<Diagnostic> AnalyzerErrors,
    int BuildStepExit,
    string BuildStepOutput,
    string? CpuFailure,
    string? PtxFailure,
    SlotResult? Managed,
    string? ManagedFailure,
    SlotResult? IlgpuCpu,
    string? IlgpuCpuFailure,
    SlotResult? Cuda,
    string? CudaFailure)
{
    /// <summary>The lines the build's errors name in the case's source (analyzer first, else the build step).</summary>
    public IReadOnlyList<int> ErrorLines => AnalyzerErrors.Count > 0
        ? AnalyzerErrors.Select(d => d.Location.GetLineSpan().StartLinePosition.Line + 1).ToList()
        : BuildStepError().Matches(BuildStepOutput).Select(m => int.Parse(m.Groups["line"].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();

    /// <summary>Whether the build fails: an analyzer error stops compilation; otherwise the build step decides.</summary>
    public bool BuildFails => AnalyzerErrors.Count > 0 || BuildStepExit != 0;

    /// <summary>Builds and judges <paramref name="corpusCase"/> in <paramref name="folder"/>, and runs it on the CPU backends (and on CUDA when <paramref name="onCuda"/>).</summary>
    public static async Task<CorpusObservation> ObserveAsync(CorpusCase corpusCase, string folder, bool onCuda = false)
    {
        Directory.CreateDirectory(folder);
        var loader = new CaseLoadContext(corpusCase.Name);
        MetadataReference[] libraries = [];
        var references = new List<string> { typeof(SlotContext).Assembly.Location, typeof(MegakernelHost).Assembly.Location };
        if (corpusCase.LibrarySource is { } librarySource)
        {
            string library = Emit(GeneratorHarness.Compile("CorpusLib", [], librarySource), folder, corpusCase.Name);
            libraries = [MetadataReference.CreateFromFile(library)];
            references.Add(library);
            loader.Add(library);
        }

        Diagnostic[] analyzer = GeneratorHarness.Analyze(libraries, corpusCase.Source).Where(d => d.Severity == DiagnosticSeverity.Error).ToArray();
        (Compilation output, _) = GeneratorHarness.Generate(libraries, corpusCase.Source);
        string dll = Emit(output, folder, corpusCase.Name);
        int exit = 0;
        var report = new StringWriter();
        if (analyzer.Length == 0)
        {
            // The build step runs only on an assembly that compiled: an analyzer error stops the build first.
            exit = Vyre.Build.Program.Judge(dll, [CudaArchitecture.SM_90], output: null, references, Vyre.Build.SourcePathMap.None, embed: false, report);
        }

        Assembly consumer = loader.Add(dll);
        MethodInfo probe = consumer.GetType("Corpus.Probe")!.GetMethod("Run")!;
        string? cpuFailure = ProbeOnCpuAccelerator(probe);
        KernelVerdict ptx = KernelJudge.Compile(probe, CudaArchitecture.SM_90, 128, lineInformation: false);
        string? ptxFailure = ptx.Error is null ? null : Innermost(ptx.Error);
        if (analyzer.Length > 0)
        {
            // The generator leaves a rejected handler out of the dispatcher: there is nothing to start.
            const string Rejected = "rejected by the analyzer";
            return new CorpusObservation(analyzer, exit, report.ToString(), cpuFailure, ptxFailure, null, Rejected, null, Rejected, null, Rejected);
        }

        (SlotResult? managed, string? managedFailure) = await RunAsync(consumer, BackendOptions(Backend.Managed, KernelMode.Persistent, folder), corpusCase);
        (SlotResult? cpu, string? ilgpuCpuFailure) = await RunAsync(consumer, BackendOptions(Backend.IlgpuCpu, KernelMode.Once, folder), corpusCase);
        (SlotResult? cuda, string? cudaFailure) = onCuda
            ? await RunAsync(consumer, BackendOptions(Backend.Cuda, KernelMode.Persistent, folder), corpusCase)
            : (null, "not run on CUDA");
        return new CorpusObservation(analyzer, exit, report.ToString(), cpuFailure, ptxFailure, managed, managedFailure, cpu, ilgpuCpuFailure, cuda, cudaFailure);
    }

    /// <summary>Emits <paramref name="compilation"/> and its portable PDB into <paramref name="folder"/>; returns the assembly's path.</summary>
    private static string Emit(Compilation compilation, string folder, string caseName)
    {
        string dll = Path.Combine(folder, compilation.AssemblyName + ".dll");
        string pdb = Path.ChangeExtension(dll, ".pdb");
        using FileStream image = File.Create(dll);
        using FileStream symbols = File.Create(pdb);
        EmitResult emitted = compilation.Emit(image, symbols, options: new EmitOptions(debugInformationFormat: DebugInformationFormat.PortablePdb, pdbFilePath: pdb));
        Assert.That(emitted.Success, $"{caseName} ({compilation.AssemblyName}) is not valid C#: {string.Join("; ", emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error))}");
        return dll;
    }

    private static MegakernelOptions BackendOptions(Backend backend, KernelMode mode, string folder) =>
        new() { Backend = backend, Mode = mode, SlotCount = 64, KernelCacheDirectory = Path.Combine(folder, "kernel-cache") };

    /// <summary>The label, from ILGPU itself: compiles the handler alone (the case's Probe.Run) for ILGPU's CPU accelerator; null, or why not.</summary>
    private static string? ProbeOnCpuAccelerator(MethodInfo run)
    {
        var probe = (Action<Index1D, Vyre.Internals.MegakernelBuffers>)Delegate.CreateDelegate(typeof(Action<Index1D, Vyre.Internals.MegakernelBuffers>), run);
        using var context = Context.Create(builder => builder.CPU());
        using CPUAccelerator accelerator = context.CreateCPUAccelerator(0);
        try
        {
            accelerator.LoadAutoGroupedStreamKernel(probe);
            return null;
        }
        catch (Exception ex) when (ex is not AssertionException)
        {
            return Innermost(ex);
        }
    }

    private static string Innermost(Exception ex)
    {
        while (ex.InnerException is not null)
        {
            ex = ex.InnerException;
        }

        return $"{ex.GetType().Name}: {ex.Message}";
    }

    /// <summary>Starts the case's megakernel as <paramref name="options"/> say and runs the handler once; a start ILGPU refuses is the failure's message.</summary>
    private static async Task<(SlotResult? Result, string? Failure)> RunAsync(Assembly consumer, MegakernelOptions options, CorpusCase corpusCase)
    {
        MethodInfo? start = consumer.GetType("Corpus.K")?.GetMethod("StartAsync", BindingFlags.Public | BindingFlags.Static);
        if (start is null)
        {
            return (null, "the generator made no megakernel");
        }

        MegakernelHost host;
        try
        {
            host = await (Task<MegakernelHost>)start.Invoke(null, [options, CancellationToken.None])!;
        }
        catch (Exception ex) when (ex is not AssertionException)
        {
            return (null, Innermost(ex));
        }

        await using (host)
        {
            return (host.Submit(0x100, corpusCase.A, corpusCase.B), null);
        }
    }

    /// <summary>One case's assemblies, loaded together so the consumer finds its library by name.</summary>
    private sealed class CaseLoadContext(string name) : AssemblyLoadContext(name)
    {
        private readonly Dictionary<string, Assembly> _loaded = new(StringComparer.Ordinal);

        public Assembly Add(string path)
        {
            Assembly assembly = LoadFromStream(new MemoryStream(File.ReadAllBytes(path)), new MemoryStream(File.ReadAllBytes(Path.ChangeExtension(path, ".pdb"))));
            _loaded[assembly.GetName().Name!] = assembly;
            return assembly;
        }

        protected override Assembly? Load(AssemblyName assemblyName) =>
            _loaded.TryGetValue(assemblyName.Name ?? string.Empty, out Assembly? found) ? found : null;
    }

    [GeneratedRegex(@"Source0\.cs\((?<line>\d+),\d+\): error VYR120")]
    private static partial Regex BuildStepError();
}
