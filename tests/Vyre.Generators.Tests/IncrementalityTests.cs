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
    public void A_body_edit_reaches_the_template_digest_and_leaves_the_dispatch_tree_alone()
    {
        string source = HandlerSets.All["DenseRange"][0];
        GeneratorDriverRunResult run = Rerun(source, source.Replace("slot.SetResult(0, 0x105u);", "slot.SetResult(0, 0x105u + 1u);"));
        Assert.That(Reasons(run, MegakernelGenerator.TrackingNames.MegakernelSpecs), Does.Contain(IncrementalStepRunReason.Modified), "the digest covers handler bodies");
        Assert.That(run.Results.Single().GeneratedSources.Single(s => s.HintName.EndsWith("Megakernel.g.cs", System.StringComparison.Ordinal)).SourceText.ToString(),
            Is.EqualTo(Generated(source, "Megakernel.g.cs")), "the dispatcher is the same code");
    }

    private const string WithHelper = """
        using Vyre;

        namespace Digests;

        [Megakernel]
        public static partial class K
        {
            [OpcodeHandler(0x100)]
            public static SlotStatus H(ref SlotContext slot)
            {
                slot.SetResult(0, Helper.Mix(slot.Arg(0)));
                return SlotStatus.Done;
            }
        }

        public static class Helper
        {
            public static uint Mix(uint x) => x ^ 7u;
        }
        """;

    [TestCase("slot.SetResult(0, Helper.Mix(slot.Arg(0)));", "slot.SetResult(0, Helper.Mix(slot.Arg(0))); // a comment", false, TestName = "A comment in a handler leaves the digest")]
    [TestCase("{\n        slot.SetResult", "{\n\n            slot.SetResult", false, TestName = "A blank line and indentation leave the digest")]
    [TestCase("Helper.Mix(slot.Arg(0))", "Helper.Mix(slot.Arg(1))", true, TestName = "A handler body edit changes the digest")]
    [TestCase("x ^ 7u", "x ^ 8u", true, TestName = "An edit in a helper the handler reaches changes the digest")]
    public void The_template_digest_covers_the_code_a_handler_reaches(string before, string after, bool changes)
    {
        string edited = WithHelper.Replace(before, after, System.StringComparison.Ordinal);
        Assert.That(edited, Is.Not.EqualTo(WithHelper), "the edit applies");
        string digest = Digest(Generated(WithHelper, "Template.g.cs"));
        string editedDigest = Digest(Generated(edited, "Template.g.cs"));
        Assert.That(editedDigest == digest, Is.EqualTo(!changes), $"{digest} vs {editedDigest}");
    }

    private static string Generated(string source, string suffix) =>
        GeneratorHarness.Generate(source).Files.Single(f => f.Key.EndsWith(suffix, System.StringComparison.Ordinal)).Value;

    private static string Digest(string template) =>
        System.Text.RegularExpressions.Regex.Match(template, "public const string Digest = \"(?<d>[0-9a-f]{64})\";").Groups["d"].Value;

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
