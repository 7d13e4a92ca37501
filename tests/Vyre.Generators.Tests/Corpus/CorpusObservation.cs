using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
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
/// verdict on the real megakernel. The product: the megakernel started on Managed and IlgpuCpu and the handler run once.
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
    string? IlgpuCpuFailure)
{
    /// <summary>The lines the build's errors name in the case's source (analyzer first, else the build step).</summary>
    public IReadOnlyList<int> ErrorLines => AnalyzerErrors.Count > 0
        ? AnalyzerErrors.Select(d => d.Location.GetLineSpan().StartLinePosition.Line + 1).ToList()
        : BuildStepError().Matches(BuildStepOutput).Select(m => int.Parse(m.Groups["line"].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();

    /// <summary>Whether the build fails: an analyzer error stops compilation; otherwise the build step decides.</summary>
    public bool BuildFails => AnalyzerErrors.Count > 0 || BuildStepExit != 0;

    public static async Task<CorpusObservation> ObserveAsync(CorpusCase corpusCase, string folder)
    {
        Diagnostic[] analyzer = GeneratorHarness.Analyze(corpusCase.Source).Where(d => d.Severity == DiagnosticSeverity.Error).ToArray();
        (Compilation output, _) = GeneratorHarness.Generate(corpusCase.Source);
        Directory.CreateDirectory(folder);
        string dll = Path.Combine(folder, "Consumer.dll");
        string pdb = Path.Combine(folder, "Consumer.pdb");
        using (FileStream image = File.Create(dll))
        using (FileStream symbols = File.Create(pdb))
        {
            EmitResult emitted = output.Emit(image, symbols, options: new EmitOptions(debugInformationFormat: Microsoft.CodeAnalysis.Emit.DebugInformationFormat.PortablePdb, pdbFilePath: pdb));
            Assert.That(emitted.Success, $"{corpusCase.Name} is not valid C#: {string.Join("; ", emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error))}");
        }

        int exit = 0;
        var report = new StringWriter();
        if (analyzer.Length == 0)
        {
            // The build step runs only on an assembly that compiled: an analyzer error stops the build first.
            exit = Vyre.Build.Program.Judge(dll, [CudaArchitecture.SM_90], output: null, [typeof(SlotContext).Assembly.Location, typeof(MegakernelHost).Assembly.Location], Vyre.Build.SourcePathMap.None, embed: false, report);
        }

        Assembly consumer = Assembly.Load(File.ReadAllBytes(dll), File.ReadAllBytes(pdb));
        MethodInfo probe = consumer.GetType("Corpus.Probe")!.GetMethod("Run")!;
        string? cpuFailure = ProbeOnCpuAccelerator(probe);
        KernelVerdict ptx = KernelJudge.Compile(probe, CudaArchitecture.SM_90, 128, lineInformation: false);
        string? ptxFailure = ptx.Error is null ? null : Innermost(ptx.Error);
        if (analyzer.Length > 0)
        {
            // The generator leaves a rejected handler out of the dispatcher: there is nothing to start.
            return new CorpusObservation(analyzer, exit, report.ToString(), cpuFailure, ptxFailure, null, "rejected by the analyzer", null, "rejected by the analyzer");
        }

        (SlotResult? managed, string? managedFailure) = await RunAsync(consumer, Backend.Managed, KernelMode.Persistent, corpusCase);
        (SlotResult? cpu, string? ilgpuCpuFailure) = await RunAsync(consumer, Backend.IlgpuCpu, KernelMode.Once, corpusCase);
        return new CorpusObservation(analyzer, exit, report.ToString(), cpuFailure, ptxFailure, managed, managedFailure, cpu, ilgpuCpuFailure);
    }

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

    /// <summary>Starts the case's megakernel on <paramref name="backend"/> and runs the handler once; a start ILGPU refuses is the failure's message.</summary>
    private static async Task<(SlotResult? Result, string? Failure)> RunAsync(Assembly consumer, Backend backend, KernelMode mode, CorpusCase corpusCase)
    {
        MethodInfo? start = consumer.GetType("Corpus.K")?.GetMethod("StartAsync", BindingFlags.Public | BindingFlags.Static);
        if (start is null)
        {
            return (null, "the generator made no megakernel");
        }

        MegakernelHost host;
        try
        {
            var options = new MegakernelOptions { Backend = backend, Mode = mode, SlotCount = 64, Log = _ => { } };
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

    [GeneratedRegex(@"Source0\.cs\((?<line>\d+),\d+\): error VYR120")]
    private static partial Regex BuildStepError();
}
