using System;
using System.IO;
using System.Linq;
using System.Reflection;

namespace Vyre.Tests;

/// <summary>
/// The repository the tests were built from, as MSBuild knew it (an assembly attribute written by
/// Directory.Build.targets). Not the compiler's caller path: a CI build maps source paths to <c>/_/</c>.
/// </summary>
internal static class RepositoryPaths
{
    public static string Root { get; } = Find();

    /// <summary>A path under the repository root.</summary>
    public static string Under(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string Find()
    {
        string? root = typeof(RepositoryPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "VyreRepositoryRoot")?.Value;
        if (root is null || !File.Exists(Path.Combine(root, "Vyre.sln")))
        {
            throw new InvalidOperationException($"The test assembly names no repository root holding Vyre.sln (found '{root}'). Fix: build the tests from the repository, which writes the VyreRepositoryRoot attribute (Directory.Build.targets).");
        }

        return Path.GetFullPath(root);
    }
}
