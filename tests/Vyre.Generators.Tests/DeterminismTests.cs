using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using NUnit.Framework;

namespace Vyre.Generators.Tests;

/// <summary>Output independent of the culture; specs hold values only, never compiler objects.</summary>
public sealed class DeterminismTests
{
    private static readonly Type[] s_forbidden = [typeof(ISymbol), typeof(Compilation), typeof(SyntaxNode), typeof(SyntaxTree), typeof(SemanticModel), typeof(Location), typeof(AttributeData)];

    [TestCase("tr-TR")]
    [TestCase("ar-SA")]
    [TestCase("de-DE")]
    public void Output_is_the_same_under_a_non_invariant_culture(string culture)
    {
        foreach (string set in HandlerSets.All.Keys)
        {
            IReadOnlyDictionary<string, string> invariant = GenerateUnder(CultureInfo.InvariantCulture, set);
            IReadOnlyDictionary<string, string> local = GenerateUnder(new CultureInfo(culture), set);
            Assert.That(local, Is.EqualTo(invariant), $"{set} under {culture}");
        }
    }

    [Test]
    public void No_compiler_object_is_reachable_from_any_spec()
    {
        Type[] specs = typeof(MegakernelGenerator).Assembly.GetTypes().Where(t => t.Name.EndsWith("Spec", StringComparison.Ordinal)).ToArray();
        Assert.That(specs, Has.Length.GreaterThanOrEqualTo(5), "the spec records were found");
        var seen = new HashSet<Type>();
        foreach (Type spec in specs)
        {
            Visit(spec, spec.Name, seen);
        }
    }

    private static void Visit(Type type, string path, HashSet<Type> seen)
    {
        Assert.That(s_forbidden.Any(f => f.IsAssignableFrom(type)), Is.False, $"{path} is a {type.Name}, which keeps a compilation alive");
        if (type.IsPrimitive || type.IsEnum || type == typeof(string) || !seen.Add(type))
        {
            return;
        }

        IEnumerable<Type> inner = type.IsArray ? [type.GetElementType()!] : type.GetGenericArguments();
        foreach (Type t in inner)
        {
            Visit(t, path + "<" + t.Name + ">", seen);
        }

        if (type.Namespace?.StartsWith("System", StringComparison.Ordinal) == true)
        {
            return;
        }

        foreach (FieldInfo field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        {
            Visit(field.FieldType, path + "." + field.Name, seen);
        }
    }

    private static IReadOnlyDictionary<string, string> GenerateUnder(CultureInfo culture, string set)
    {
        (CultureInfo culture0, CultureInfo ui0) = (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);
        try
        {
            CultureInfo.CurrentCulture = culture;
            CultureInfo.CurrentUICulture = culture;
            return GeneratorHarness.Generate(HandlerSets.All[set]).Files;
        }
        finally
        {
            (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture) = (culture0, ui0);
        }
    }
}
