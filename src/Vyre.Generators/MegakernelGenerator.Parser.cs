using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Reflection;
using System.Threading;
using Microsoft.CodeAnalysis;

namespace Vyre.Generators;

/// <summary>Parse and plan: symbols to specs (no symbol outlives these methods), specs to a dispatch tree.</summary>
public sealed partial class MegakernelGenerator
{
    private static HandlerSpec? ParseHandler(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        if (context.TargetSymbol is not IMethodSymbol method || method.ContainingType is null)
        {
            return null;
        }

        if (!HandlerRules.TryGetOpcode(method, out uint opcode, out _))
        {
            return null;
        }

        var violations = new List<RuleViolation>();
        var reached = new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default);
        HandlerRules.CheckDeclaration(method, violations);
        cancellationToken.ThrowIfCancellationRequested();
        Compilation compilation = context.SemanticModel.Compilation;
        SemanticModel Model(SyntaxTree tree) => tree == context.SemanticModel.SyntaxTree ? context.SemanticModel : compilation.GetSemanticModel(tree);
        foreach (SyntaxReference reference in method.DeclaringSyntaxReferences)
        {
            SyntaxNode syntax = reference.GetSyntax(cancellationToken);
            if (Model(syntax.SyntaxTree).GetOperation(syntax, cancellationToken) is { } body)
            {
                HandlerRules.CheckBody(body, method, Model, violations, reached);
            }
        }

        bool valid = violations.All(v => v.Descriptor.DefaultSeverity != DiagnosticSeverity.Error);
        bool inPlace = (method.MethodImplementationFlags & MethodImplAttributes.AggressiveInlining) != 0;
        var entry = new DispatchEntrySpec(FullName(method.ContainingType), opcode, method.Name, CodeDigest.Of(reached, compilation, cancellationToken), HandlerRules.IsWarpWide(method), inPlace);
        return new HandlerSpec(entry, valid);
    }

    private static MegakernelDeclSpec ParseMegakernel(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var type = (INamedTypeSymbol)context.TargetSymbol;
        var violations = new List<RuleViolation>();
        HandlerRules.CheckMegakernelClass(type, violations);
        cancellationToken.ThrowIfCancellationRequested();
        string ns = type.ContainingNamespace.IsGlobalNamespace ? string.Empty : type.ContainingNamespace.ToDisplayString();
        string accessibility = type.DeclaredAccessibility == Accessibility.Public ? "public" : "internal";
        bool runtime = context.SemanticModel.Compilation.GetTypeByMetadataName("Vyre.MegakernelHost") is not null;
        return new MegakernelDeclSpec(ns, type.Name, accessibility, violations.Count == 0, runtime);
    }

    private static MegakernelSpec Plan(MegakernelDeclSpec declaration, ImmutableArray<DispatchEntrySpec> all, CancellationToken cancellationToken)
    {
        string fullName = declaration.Namespace.Length == 0 ? declaration.Name : declaration.Namespace + "." + declaration.Name;

        // Duplicates (VYR201) and system-range opcodes (VYR202) are reported by the analyzer; leave
        // them out here so the emitted code stays compilable and the build fails on the diagnostic alone.
        List<DispatchEntrySpec> mine = all
            .Where(e => e.MegakernelFullName == fullName && !Opcodes.IsSystem(e.Opcode))
            .GroupBy(e => e.Opcode)
            .Where(g => g.Count() == 1)
            .Select(g => g.First())
            .ToList();
        cancellationToken.ThrowIfCancellationRequested();
        DispatchTargetSpec[] targets = DispatchPlanner.Targets(mine, fullName);
        return new MegakernelSpec(declaration, new EquatableArray<DispatchTargetSpec>(targets), DispatchPlanner.Plan(targets));
    }

    private static string FullName(INamedTypeSymbol type) =>
        type.ContainingNamespace.IsGlobalNamespace ? type.Name : type.ContainingNamespace.ToDisplayString() + "." + type.Name;
}
