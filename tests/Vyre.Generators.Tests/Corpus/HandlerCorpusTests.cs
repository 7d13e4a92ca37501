using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using NUnit.Framework;

namespace Vyre.Generators.Tests.Corpus;

/// <summary>
/// The labelled corpus (issue 9): each handler is labelled by what ILGPU does with it, and the labelling is run here
/// on ILGPU's CPU accelerator (the GPU-only labels come from the GPU machine). Every handler ILGPU cannot run must
/// fail the build with an error on its marked line (no false negatives); every handler it runs must build without an
/// error and give the same result on Managed and IlgpuCpu (no false positives).
/// </summary>
[NonParallelizable]
public sealed class HandlerCorpusTests
{
    private string _folder = string.Empty;

    public static CorpusCase[] Cases => HandlerCorpus.All;

    [OneTimeSetUp]
    public void MakeFolder() => _folder = Path.Combine(Path.GetTempPath(), "vyre-corpus-" + Environment.ProcessId);

    [OneTimeTearDown]
    public void RemoveFolder()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Test]
    public void The_corpus_has_at_least_80_handlers_with_unique_names()
    {
        Assert.That(Cases, Has.Length.GreaterThanOrEqualTo(80));
        Assert.That(Cases.Select(c => c.Name), Is.Unique);
        Assert.That(Cases.Where(MustFail).Select(c => c.MarkedLine), Has.None.Null, "every case the build must reject marks the line its error must name");
        Assert.That(Cases.Where(c => !MustFail(c)).Select(c => c.MarkedLine), Has.All.Null, "a case that builds marks no line");
    }

    [TestCaseSource(nameof(Cases))]
    public async Task The_build_verdict_matches_what_ilgpu_does(CorpusCase corpusCase)
    {
        CorpusObservation seen = await CorpusObservation.ObserveAsync(corpusCase, Path.Combine(_folder, corpusCase.Name));
        string errors = string.Join("\n", seen.AnalyzerErrors) + "\n" + seen.BuildStepOutput;
        string probes = $"CPU accelerator: {seen.CpuFailure ?? "compiles"}; PTX: {seen.PtxFailure ?? "compiles"}";
        switch (corpusCase.Verdict)
        {
            case IlgpuVerdict.Runs:
                Assert.That(seen.CpuFailure is null && seen.PtxFailure is null, "the label: ILGPU compiles it for both. " + probes);
                AssertBuildsAndRuns(seen, errors);
                Assert.That(seen.IlgpuCpuFailure, Is.Null);
                Assert.That(seen.IlgpuCpu.ToString(), Is.EqualTo(seen.Managed.ToString()), "the same result on IlgpuCpu as on Managed");
                break;
            default:
                Assert.Fail($"{corpusCase.Verdict} is not a label the corpus knows.");
                break;
            case IlgpuVerdict.Fails:
                Assert.That(seen.CpuFailure is not null && seen.PtxFailure is not null, "the label: ILGPU compiles it for neither. " + probes);
                AssertFailsOnItsLine(corpusCase, seen, errors);
                break;
            case IlgpuVerdict.FailsOnGpu:
                Assert.That(seen.CpuFailure, Is.Null, "the label: ILGPU's CPU accelerator compiles it (only the GPU cannot run it). " + probes);
                AssertFailsOnItsLine(corpusCase, seen, errors);
                break;
            case IlgpuVerdict.RefusedByVyre:
                Assert.That(seen.CpuFailure is null && seen.PtxFailure is null, "the label: ILGPU compiles it for both. " + probes);
                AssertFailsOnItsLine(corpusCase, seen, errors);
                break;
        }
    }

    [TestCaseSource(nameof(GpuFailures))]
    public async Task The_same_judgement_holds_with_the_body_in_a_library(CorpusCase corpusCase)
    {
        // The analyzer sees no source for a library: the build step must find it in the library's IL.
        CorpusCase twin = corpusCase.WithBodyInLibrary();
        CorpusObservation seen = await CorpusObservation.ObserveAsync(twin, Path.Combine(_folder, twin.Name));
        Assert.That(seen.AnalyzerErrors, Is.Empty, "the analyzer leaves a library's helpers to the build step");
        Assert.That(seen.CpuFailure, Is.Null, "ILGPU's CPU accelerator compiles it");
        AssertFailsOnItsLine(twin, seen, seen.BuildStepOutput);
    }

    /// <summary>The cases that run on the CPU accelerator but not on a GPU.</summary>
    public static CorpusCase[] GpuFailures => HandlerCorpus.All.Where(c => c.Verdict == IlgpuVerdict.FailsOnGpu && c.Library.Length == 0).ToArray();

    /// <summary>The cases ILGPU runs.</summary>
    public static CorpusCase[] Runners => HandlerCorpus.All.Where(c => c.Verdict == IlgpuVerdict.Runs).ToArray();

    internal static bool MustFail(CorpusCase c) => c.Verdict is IlgpuVerdict.Fails or IlgpuVerdict.FailsOnGpu or IlgpuVerdict.RefusedByVyre;

    internal static void AssertBuildsAndRuns(CorpusObservation seen, string errors)
    {
        Assert.That(seen.BuildFails, Is.False, "a false positive: the build rejects a handler ILGPU runs:\n" + errors);
        Assert.That(seen.ManagedFailure, Is.Null);
        Assert.That(seen.Managed!.Value.State, Is.EqualTo(SlotState.Done), seen.Managed.ToString());
    }

    internal static void AssertFailsOnItsLine(CorpusCase corpusCase, CorpusObservation seen, string errors)
    {
        Assert.That(seen.BuildFails, Is.True, $"a false negative: the build passes a handler ILGPU cannot run ({seen.CpuFailure})");
        Assert.That(seen.ErrorLines, Does.Contain(corpusCase.MarkedLine), $"the error names line {corpusCase.MarkedLine}:\n{errors}\n{corpusCase.Source}");
    }
}

/// <summary>
/// The corpus on the GPU machine: every handler ILGPU runs gives the same result on CUDA as on Managed, and every
/// handler labelled <see cref="IlgpuVerdict.FailsOnGpu"/> does fail there (started through its library twin, which
/// the analyzer lets through): CUDA refuses to load it or it gives another result than Managed.
/// </summary>
[NonParallelizable]
[Category("Gpu")]
public sealed class HandlerCorpusCudaTests
{
    private string _folder = string.Empty;

    [OneTimeSetUp]
    public void MakeFolder()
    {
        if (!MegakernelHost.IsCudaAvailable())
        {
            Assert.Ignore("No CUDA device on this machine: the corpus is labelled on CUDA on the GPU machine (docs/build-step.md gives its last run).");
        }

        _folder = Path.Combine(Path.GetTempPath(), "vyre-corpus-cuda-" + Environment.ProcessId);
    }

    [OneTimeTearDown]
    public void RemoveFolder()
    {
        if (_folder.Length > 0 && Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [TestCaseSource(typeof(HandlerCorpusTests), nameof(HandlerCorpusTests.Runners))]
    public async Task Runs_on_cuda_with_the_managed_result(CorpusCase corpusCase)
    {
        CorpusObservation seen = await CorpusObservation.ObserveAsync(corpusCase, Path.Combine(_folder, corpusCase.Name), onCuda: true);
        HandlerCorpusTests.AssertBuildsAndRuns(seen, seen.BuildStepOutput);
        Assert.That(seen.CudaFailure, Is.Null, "CUDA starts it");
        Assert.That(seen.Cuda.ToString(), Is.EqualTo(seen.Managed.ToString()), "the same result on CUDA as on Managed");
    }

    [TestCaseSource(typeof(HandlerCorpusTests), nameof(HandlerCorpusTests.GpuFailures))]
    public async Task Fails_on_cuda(CorpusCase corpusCase)
    {
        CorpusCase twin = corpusCase.WithBodyInLibrary();
        CorpusObservation seen = await CorpusObservation.ObserveAsync(twin, Path.Combine(_folder, twin.Name), onCuda: true);
        Assert.That(seen.ManagedFailure, Is.Null);
        TestContext.Out.WriteLine($"{corpusCase.Name}: Managed {seen.Managed}; CUDA {seen.CudaFailure ?? seen.Cuda.ToString()}");
        Assert.That(seen.CudaFailure is not null || seen.Cuda.ToString() != seen.Managed.ToString(), $"the label FailsOnGpu: CUDA ran it and gave the Managed result {seen.Managed}");
    }
}
