using System.IO;
using System.Runtime.CompilerServices;

namespace Vyre.Generators.Tests;

/// <summary>Folders of the source tree the tests read (baselines, docs), found from this file's own path.</summary>
internal static class TestPaths
{
    public static string TestSources { get; } = Folder();

    public static string RepositoryRoot { get; } = Path.GetFullPath(Path.Combine(TestSources, "..", ".."));

    private static string Folder([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
