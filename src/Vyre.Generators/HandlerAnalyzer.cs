using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Vyre.Generators;

/// <summary>
/// Reports every VYR diagnostic on the syntax that causes it. Diagnostics come from this analyzer, not
/// the generator, so '#pragma warning disable VYRnnn' and .editorconfig severities apply as usual.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class HandlerAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        DiagnosticDescriptors.NotStatic,
        DiagnosticDescriptors.NotInMegakernel,
        DiagnosticDescriptors.BadMegakernelClass,
        DiagnosticDescriptors.WrongSignature,
        DiagnosticDescriptors.Generic,
        DiagnosticDescriptors.Async,
        DiagnosticDescriptors.RefReturn,
        DiagnosticDescriptors.GenericMegakernel,
        DiagnosticDescriptors.WrongGroupSignature,
        DiagnosticDescriptors.ReferenceTypeVariable,
        DiagnosticDescriptors.HeapAllocation,
        DiagnosticDescriptors.ManagedValue,
        DiagnosticDescriptors.Exceptions,
        DiagnosticDescriptors.Delegates,
        DiagnosticDescriptors.VirtualCall,
        DiagnosticDescriptors.Recursion,
        DiagnosticDescriptors.StaticMutableField,
        DiagnosticDescriptors.UnsupportedCall,
        DiagnosticDescriptors.GroupOperation,
        DiagnosticDescriptors.GroupInLaneHandler,
        DiagnosticDescriptors.LaneOnlyInGroupHandler,
        DiagnosticDescriptors.SlotContextCopy,
        DiagnosticDescriptors.DuplicateOpcode,
        DiagnosticDescriptors.SystemOpcode,
        DiagnosticDescriptors.TenantWindowOpcode);

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterSymbolAction(AnalyzeType, SymbolKind.NamedType);
        context.RegisterSymbolAction(AnalyzeMethod, SymbolKind.Method);
        context.RegisterCompilationStartAction(start =>
        {
            // Handlers that share a helper walk it each; report each helper violation once.
            var reported = new ConcurrentDictionary<(string Id, Location Location), byte>();
            start.RegisterOperationBlockAction(block => AnalyzeBody(block, reported));
        });
    }

    private static void AnalyzeType(SymbolAnalysisContext context)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        if (!HandlerRules.HasAttribute(type, HandlerRules.MegakernelAttributeName))
        {
            return;
        }

        var found = new List<RuleViolation>();
        HandlerRules.CheckMegakernelClass(type, found);
        HandlerRules.CheckDuplicates(type, found);
        Report(found, context.ReportDiagnostic);
    }

    private static void AnalyzeMethod(SymbolAnalysisContext context)
    {
        var method = (IMethodSymbol)context.Symbol;
        if (!HandlerRules.HasAttribute(method, HandlerRules.OpcodeHandlerAttributeName))
        {
            return;
        }

        var found = new List<RuleViolation>();
        HandlerRules.CheckDeclaration(method, found);
        Report(found, context.ReportDiagnostic);
    }

    private static void AnalyzeBody(OperationBlockAnalysisContext context, ConcurrentDictionary<(string Id, Location Location), byte> reported)
    {
        if (context.OwningSymbol is not IMethodSymbol method || !HandlerRules.HasAttribute(method, HandlerRules.OpcodeHandlerAttributeName))
        {
            return;
        }

        var found = new List<RuleViolation>();
        foreach (IOperation block in context.OperationBlocks)
        {
            if (block.Kind == OperationKind.Attribute)
            {
                continue;
            }

            // Recursion through other methods needs their bodies, which live in other trees.
#pragma warning disable RS1030
            HandlerRules.CheckBody(block, method, tree => context.Compilation.GetSemanticModel(tree), found);
#pragma warning restore RS1030
        }

        foreach (RuleViolation violation in found)
        {
            if (reported.TryAdd((violation.Descriptor.Id, violation.Location), 0))
            {
                context.ReportDiagnostic(violation.ToDiagnostic());
            }
        }
    }

    private static void Report(List<RuleViolation> found, System.Action<Diagnostic> report)
    {
        foreach (RuleViolation violation in found)
        {
            report(violation.ToDiagnostic());
        }
    }
}
