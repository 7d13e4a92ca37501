using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using NUnit.Framework;
using Vyre.Tests;

namespace Vyre.Generators.Tests;

/// <summary>
/// Every generated file of every handler set must equal its checked-in baseline, and the set of files
/// must match. Run with VYRE_UPDATE_BASELINES=1 to rewrite the baselines after a deliberate change.
/// The template digest is blanked: it covers the module version ids of the referenced Vyre assemblies, which differ
/// from build to build (IncrementalityTests checks what changes it).
/// </summary>
public sealed class BaselineTests
{
    private static bool Update => Environment.GetEnvironmentVariable("VYRE_UPDATE_BASELINES") == "1";

    public static IEnumerable<string> Sets => HandlerSets.All.Keys;

    [TestCaseSource(nameof(Sets))]
    public void Generated_files_match_their_baselines(string set)
    {
        (Compilation output, IReadOnlyDictionary<string, string> files) = GeneratorHarness.Generate(HandlerSets.All[set]);
        Assert.That(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning), Is.Empty, "generated code compiles without warnings");
        string folder = RepositoryPaths.Under("tests", "Vyre.Generators.Tests", "Baselines", set);
        if (Update)
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }

            Directory.CreateDirectory(folder);
            foreach ((string hint, string text) in files)
            {
                File.WriteAllText(Path.Combine(folder, hint), WithoutDigest(text));
            }

            Assert.Pass($"Baselines of {set} rewritten.");
        }

        Assert.That(Directory.Exists(folder), $"No baselines for {set}. Fix: run the tests once with VYRE_UPDATE_BASELINES=1 and commit tests/Vyre.Generators.Tests/Baselines.");
        string[] expected = Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;
        Assert.That(files.Keys.Order(StringComparer.Ordinal), Is.EqualTo(expected), "the set of generated files");
        foreach ((string hint, string text) in files)
        {
            Assert.That(WithoutDigest(text), Is.EqualTo(File.ReadAllText(Path.Combine(folder, hint))), $"{set}/{hint} differs from its baseline. Fix: if the change is meant, run with VYRE_UPDATE_BASELINES=1.");
        }
    }

    private static string WithoutDigest(string generated) =>
        System.Text.RegularExpressions.Regex.Replace(generated, "public const string Digest = \"[0-9a-f]{64}\";", "public const string Digest = \"(blanked in baselines)\";");

    [Test]
    public void Dense_ranges_become_jump_tables_and_sparse_sets_a_binary_search()
    {
        string dense = GeneratorHarness.Generate(HandlerSets.All["DenseRange"]).Files["Demo.Dense.Megakernel.g.cs"];
        Assert.That(dense, Does.Contain("jump table 0x100u..0x13Fu (64 entries)"));
        string sparse = GeneratorHarness.Generate(HandlerSets.All["SparseSet"]).Files["Demo.Sparse.Megakernel.g.cs"];
        Assert.That(sparse, Does.Not.Contain("jump table 0x10u"));
        Assert.That(sparse, Does.Contain("opcode < 0x"));
    }

    [Test]
    public void The_kernels_dispatch_runs_an_aggressively_inlined_handler_in_place_and_any_other_on_a_copy()
    {
        string mixed = GeneratorHarness.Generate(HandlerSets.All["InPlace"]).Files["Demo.Mixed.Megakernel.g.cs"];
        string inKernel = mixed[mixed.IndexOf("DispatchInKernel(", StringComparison.Ordinal)..mixed.IndexOf("public bool HasGroupHandlers", StringComparison.Ordinal)];
        Assert.That(inKernel, Does.Contain("return global::Demo.Mixed.Op102(ref slot);"), "marked AggressiveInlining: in place");
        Assert.That(inKernel, Does.Contain("spill = slot; global::Vyre.SlotStatus status = global::Demo.Mixed.Op100(ref spill); slot = spill; return status;"));
        Assert.That(inKernel, Does.Contain("global::Demo.Mixed.Op101(ref spill)"));
        Assert.That(inKernel, Does.Contain("global::Vyre.Internals.BuiltinOps.Nop(ref slot)"), "the small built-ins are inlined");
        Assert.That(inKernel, Does.Contain("global::Vyre.Internals.BuiltinOps.Memcpy(ref spill)"), "a built-in with a loop is a call");
        Assert.That(inKernel, Does.Contain("ref global::Vyre.SlotContext spill, out int ordinal)"), "the copy is the caller's");
        Assert.That(inKernel, Does.Not.Contain("global::Vyre.SlotContext spill;"), "a local copy is cleared by ILGPU on every slot");
        string cpu = mixed[..mixed.IndexOf("DispatchInKernel(", StringComparison.Ordinal)];
        Assert.That(cpu, Does.Not.Contain("spill"), "the Managed workers' Dispatch copies nothing");
    }

    [Test]
    public void The_kernels_dispatch_runs_in_place_exactly_the_built_ins_that_are_aggressively_inlined()
    {
        // The planner's list of in-place built-ins and BuiltinOps' attributes state one fact twice: a built-in run in place
        // that ILGPU does not inline would put every slot's context back in local memory.
        string mixed = GeneratorHarness.Generate(HandlerSets.All["InPlace"]).Files["Demo.Mixed.Megakernel.g.cs"];
        string inKernel = mixed[mixed.IndexOf("DispatchInKernel(", StringComparison.Ordinal)..mixed.IndexOf("public bool HasGroupHandlers", StringComparison.Ordinal)];
        System.Reflection.MethodInfo[] builtins = typeof(Vyre.Internals.BuiltinOps).GetMethods(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static);
        Assert.That(builtins, Has.Length.EqualTo(7));
        foreach (System.Reflection.MethodInfo builtin in builtins)
        {
            bool inlined = (builtin.MethodImplementationFlags & System.Reflection.MethodImplAttributes.AggressiveInlining) != 0;
            string call = "global::Vyre.Internals.BuiltinOps." + builtin.Name + (inlined ? "(ref slot)" : "(ref spill)");
            Assert.That(inKernel, Does.Contain(call), builtin.Name);
        }
    }
}
