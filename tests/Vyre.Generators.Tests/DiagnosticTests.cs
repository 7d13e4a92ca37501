using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using NUnit.Framework;
using Vyre.Tests;

namespace Vyre.Generators.Tests;

/// <summary>Every VYR case fires on its marked syntax, and its corrected twin builds clean.</summary>
public sealed class DiagnosticTests
{
    private static IEnumerable<DiagnosticCases.Case> Cases => DiagnosticCases.All();

    [TestCaseSource(nameof(Cases))]
    public void Fires_on_the_offending_syntax(DiagnosticCases.Case test)
    {
        (string source, TextSpan expected) = Unmark(test.Bad);
        ImmutableArray<Diagnostic> found = GeneratorHarness.Analyze(source);
        Diagnostic[] matching = found.Where(d => d.Id == test.Id).ToArray();
        Assert.That(matching, Has.Length.EqualTo(1), $"one {test.Id}; found: {string.Join("; ", found)}");
        Assert.That(matching[0].Location.SourceSpan, Is.EqualTo(expected), $"{test.Id} located on '{source.Substring(expected.Start, expected.Length)}'");
        Assert.That(matching[0].GetMessage(), Does.Contain("Fix:"), "the message says how to fix it");
    }

    [TestCaseSource(nameof(Cases))]
    public void Does_not_fire_on_the_corrected_source(DiagnosticCases.Case test)
    {
        ImmutableArray<Diagnostic> found = GeneratorHarness.Analyze(test.Good);
        Assert.That(found, Is.Empty, "no VYR diagnostic on the corrected source");
        (Compilation output, _) = GeneratorHarness.Generate(test.Good);
        Assert.That(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning), Is.Empty, "the corrected source and its generated code compile clean");
    }

    [Test]
    public void Every_descriptor_has_a_case_and_a_docs_page()
    {
        string[] ids = new HandlerAnalyzer().SupportedDiagnostics.Select(d => d.Id).ToArray();
        Assert.That(ids, Has.Length.GreaterThanOrEqualTo(15));
        Assert.That(DiagnosticCases.All().Select(c => c.Id).Distinct(), Is.EquivalentTo(ids), "one case per id");
        foreach (string id in ids)
        {
            Assert.That(System.IO.File.Exists(RepositoryPaths.Under("docs", "diagnostics", id + ".md")), $"docs/diagnostics/{id}.md");
        }
    }

    [Test]
    public void Errors_are_not_configurable_and_every_help_link_is_absolute()
    {
        foreach (DiagnosticDescriptor descriptor in new HandlerAnalyzer().SupportedDiagnostics)
        {
            Assert.That(descriptor.HelpLinkUri, Is.EqualTo("https://github.com/vyre-dotnet/vyre/blob/main/docs/diagnostics/" + descriptor.Id + ".md"));
            Assert.That(descriptor.CustomTags.Contains(WellKnownDiagnosticTags.NotConfigurable), Is.EqualTo(descriptor.DefaultSeverity == DiagnosticSeverity.Error), descriptor.Id);
        }
    }

    [Test]
    public void Pragma_disables_the_tenant_window_warning()
    {
        string source = DiagnosticCases.All().Single(c => c.Id == "VYR203").Bad.Replace("[|", string.Empty).Replace("|]", string.Empty);
        string suppressed = "#pragma warning disable VYR203\n" + source;
        Assert.That(GeneratorHarness.Analyze(suppressed).Where(d => !d.IsSuppressed && d.Id == "VYR203"), Is.Empty);
    }

    [Test]
    public void A_helper_shared_by_two_handlers_is_reported_once()
    {
        string source = "using Vyre;\nnamespace App;\n[Megakernel]\npublic static partial class K\n{\n"
            + "    [OpcodeHandler(0x100)] public static SlotStatus A(ref SlotContext slot) => Helper(ref slot);\n"
            + "    [OpcodeHandler(0x101)] public static SlotStatus B(ref SlotContext slot) => Helper(ref slot);\n"
            + "    private static SlotStatus Helper(ref SlotContext slot) { System.Console.WriteLine(1); return SlotStatus.Done; }\n}\n";
        Assert.That(GeneratorHarness.Analyze(source).Count(d => d.Id == "VYR109"), Is.EqualTo(1));
    }

    [Test]
    public void A_malformed_handler_is_left_out_of_the_generated_dispatcher()
    {
        string source = DiagnosticCases.All().Single(c => c.Name == "unsupported library call").Bad.Replace("[|", string.Empty).Replace("|]", string.Empty);
        (_, IReadOnlyDictionary<string, string> files) = GeneratorHarness.Generate(source);
        Assert.That(files["App.K.Megakernel.g.cs"], Does.Not.Contain("Op(ref"), "the generator never hands a malformed handler to ILGPU");
    }

    private static (string Source, TextSpan Span) Unmark(string marked)
    {
        int start = marked.IndexOf("[|", System.StringComparison.Ordinal);
        int end = marked.IndexOf("|]", System.StringComparison.Ordinal);
        Assert.That(start >= 0 && end > start, "the case marks its expected span with [| |]");
        string source = marked.Remove(end, 2).Remove(start, 2);
        return (source, new TextSpan(start, end - start - 2));
    }
}
