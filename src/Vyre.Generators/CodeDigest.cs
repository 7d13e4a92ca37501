using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;

namespace Vyre.Generators;

/// <summary>
/// The digest of what a handler runs: the tokens (no trivia, so comments and layout do not count) of the handler and
/// of every source method the rule walk reached from it, and, for each library assembly it calls into, the
/// assembly's identity and module version id (a rebuilt helper library changes it).
/// </summary>
internal static class CodeDigest
{
    public static string Of(HashSet<IMethodSymbol> reached, Compilation compilation, CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        var libraries = new SortedSet<string>(System.StringComparer.Ordinal);
        foreach (IMethodSymbol method in reached.OrderBy(m => m.ToDisplayString(), System.StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (method.DeclaringSyntaxReferences.IsEmpty)
            {
                libraries.Add(Library(method.ContainingAssembly, compilation));
                continue;
            }

            text.Append(method.ToDisplayString()).Append('\n');
            foreach (SyntaxReference reference in method.DeclaringSyntaxReferences)
            {
                foreach (SyntaxToken token in reference.GetSyntax(cancellationToken).DescendantTokens())
                {
                    text.Append(token.Text).Append(' ');
                }
            }

            text.Append('\n');
        }

        foreach (string library in libraries)
        {
            text.Append(library).Append('\n');
        }

        return ProgramIr.Sha256(Encoding.UTF8.GetBytes(text.ToString()));
    }

    private static string Library(IAssemblySymbol? assembly, Compilation compilation)
    {
        if (assembly is null)
        {
            return "?";
        }

        string mvid = compilation.GetMetadataReference(assembly) is PortableExecutableReference reference
            && reference.GetMetadata() is AssemblyMetadata metadata && metadata.GetModules().Length > 0
            ? metadata.GetModules()[0].GetModuleVersionId().ToString("N")
            : "?";
        return assembly.Identity.GetDisplayName() + " " + mvid;
    }
}
