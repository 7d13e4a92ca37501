using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using NUnit.Framework;

namespace Vyre.Generators.Tests;

/// <summary>What each named pipeline step does when the consumer edits its source.</summary>
public sealed class IncrementalityTests
{
    private static readonly string[] s_steps =
    [
        MegakernelGenerator.TrackingNames.Handlers,
        MegakernelGenerator.TrackingNames.DispatchEntries,
        MegakernelGenerator.TrackingNames.AllEntries,
        MegakernelGenerator.TrackingNames.Megakernels,
        MegakernelGenerator.TrackingNames.MegakernelSpecs,
    ];

    [Test]
    public void A_comment_leaves_every_step_cached_or_unchanged()
    {
        string source = HandlerSets.All["DenseRange"][0];
        GeneratorDriverRunResult run = Rerun(source, source.Replace("[Megakernel]", "// A comment.\n[Megakernel]"));
        foreach (string step in s_steps)
        {
            Assert.That(Reasons(run, step), Has.All.AnyOf(IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged), step);
        }
    }

    [Test]
    public void A_body_edit_leaves_the_dispatch_step_cached()
    {
        string source = HandlerSets.All["DenseRange"][0];
        GeneratorDriverRunResult run = Rerun(source, source.Replace("slot.SetResult(0, 0x105u);", "slot.SetResult(0, 0x105u + 1u);"));
        Assert.That(Reasons(run, MegakernelGenerator.TrackingNames.Handlers), Does.Contain(IncrementalStepRunReason.Unchanged), "the edited handler was parsed again");
        Assert.That(Reasons(run, MegakernelGenerator.TrackingNames.MegakernelSpecs), Has.All.AnyOf(IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged));
        Assert.That(Reasons(run, MegakernelGenerator.TrackingNames.AllEntries), Has.All.AnyOf(IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged));
    }

    [Test]
    public void A_new_handler_modifies_the_dispatch_step()
    {
        string source = HandlerSets.All["DenseRange"][0];
        string added = HandlerSets.Megakernel("Demo", "Dense", Enumerable.Range(0x100, 65).Select(i => (uint)i));
        GeneratorDriverRunResult run = Rerun(source, added);
        Assert.That(Reasons(run, MegakernelGenerator.TrackingNames.MegakernelSpecs), Does.Contain(IncrementalStepRunReason.Modified));
        Assert.That(run.Results.Single().GeneratedSources.Single(s => s.HintName.EndsWith("Megakernel.g.cs", System.StringComparison.Ordinal)).SourceText.ToString(),
            Does.Contain("0x100u..0x140u (65 entries)"));
    }

    private static GeneratorDriverRunResult Rerun(string before, string after)
    {
        Compilation first = GeneratorHarness.Compile(before);
        GeneratorDriver driver = GeneratorHarness.Driver().RunGenerators(first);
        SyntaxTree old = first.SyntaxTrees.Single();
        Compilation second = first.ReplaceSyntaxTree(old, CSharpSyntaxTree.ParseText(after, (CSharpParseOptions)old.Options, old.FilePath));
        return driver.RunGenerators(second).GetRunResult();
    }

    private static IEnumerable<IncrementalStepRunReason> Reasons(GeneratorDriverRunResult run, string step)
    {
        IReadOnlyDictionary<string, System.Collections.Immutable.ImmutableArray<IncrementalGeneratorRunStep>> steps = run.Results.Single().TrackedSteps;
        Assert.That(steps.ContainsKey(step), $"step {step} ran");
        return steps[step].SelectMany(s => s.Outputs).Select(o => o.Reason).ToArray();
    }
}
