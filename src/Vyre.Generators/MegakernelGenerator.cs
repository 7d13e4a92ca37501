using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace Vyre.Generators;

/// <summary>
/// Builds every <c>[Megakernel]</c> class at compile time. Pipeline (each step named for the
/// incrementality tests): handlers → <see cref="TrackingNames.Handlers"/> (specs) →
/// <see cref="TrackingNames.DispatchEntries"/> (the narrow projection a body edit leaves equal) →
/// <see cref="TrackingNames.AllEntries"/> (collected) with <see cref="TrackingNames.Megakernels"/> →
/// <see cref="TrackingNames.MegakernelSpecs"/> (dispatch tree planned) → source.
/// Diagnostics come from <see cref="HandlerAnalyzer"/>; this generator leaves out handlers that break a rule.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed partial class MegakernelGenerator : IIncrementalGenerator
{
    /// <summary>Names of the pipeline steps.</summary>
    public static class TrackingNames
    {
        /// <summary>Parsed handlers.</summary>
        public const string Handlers = nameof(Handlers);

        /// <summary>Valid handlers projected to their dispatch entries.</summary>
        public const string DispatchEntries = nameof(DispatchEntries);

        /// <summary>All dispatch entries, collected and sorted.</summary>
        public const string AllEntries = nameof(AllEntries);

        /// <summary>Parsed megakernel classes.</summary>
        public const string Megakernels = nameof(Megakernels);

        /// <summary>Megakernel specs with their dispatch trees.</summary>
        public const string MegakernelSpecs = nameof(MegakernelSpecs);
    }

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<DispatchEntrySpec> entries = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                HandlerRules.OpcodeHandlerAttributeName,
                static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.MethodDeclarationSyntax,
                static (ctx, ct) => ParseHandler(ctx, ct))
            .WithTrackingName(TrackingNames.Handlers)
            .Where(static h => h is { IsValid: true })
            .Select(static (h, _) => h!.Entry)
            .WithTrackingName(TrackingNames.DispatchEntries);

        IncrementalValueProvider<ImmutableArray<DispatchEntrySpec>> allEntries = entries
            .Collect()
            .Select(static (all, _) => all.OrderBy(e => e.MegakernelFullName, System.StringComparer.Ordinal).ThenBy(e => e.Opcode).ToImmutableArray())
            .WithTrackingName(TrackingNames.AllEntries);

        IncrementalValuesProvider<MegakernelDeclSpec> megakernels = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                HandlerRules.MegakernelAttributeName,
                static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.ClassDeclarationSyntax,
                static (ctx, ct) => ParseMegakernel(ctx, ct))
            .WithTrackingName(TrackingNames.Megakernels)
            .Where(static m => m.IsValid);

        IncrementalValuesProvider<MegakernelSpec> specs = megakernels
            .Combine(allEntries)
            .Select(static (pair, ct) => Plan(pair.Left, pair.Right, ct))
            .WithTrackingName(TrackingNames.MegakernelSpecs);

        context.RegisterSourceOutput(specs, static (output, spec) => Emit(output, spec));
    }
}
