using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace Vyre.Scan;

/// <summary>How <see cref="FileList.Collect(string, WalkOptions)"/> walks a directory.</summary>
public sealed class WalkOptions
{
    /// <summary>Also walk hidden files and folders (names starting with '.'); <c>.git</c> is never walked.</summary>
    public bool Hidden { get; init; }

    /// <summary>
    /// Respect <c>.ignore</c> files, and <c>.gitignore</c> files inside a git repository (a folder with <c>.git</c> at or
    /// above the path), as ripgrep does. Default true.
    /// </summary>
    public bool Ignore { get; init; } = true;

    /// <summary>
    /// Gitignore-style globs relative to the path: a file must match one plain glob when there are any, and a file or
    /// folder that matches a '!' glob is skipped; the last glob that matches decides. They override ignore files.
    /// </summary>
    public IReadOnlyList<string> Globs { get; init; } = [];
}

/// <summary>The files a scan reads.</summary>
/// <param name="Files">Regular files, sorted by ordinal path.</param>
/// <param name="Skipped">Entries the walk skipped because they are not regular files, with what they are.</param>
public sealed record FileSelection(string[] Files, IReadOnlyList<string> Skipped);

/// <summary>The files under a path, in a stable order.</summary>
public static class FileList
{
    /// <summary>Regular files under <paramref name="path"/> with the default walk, hidden ones as asked.</summary>
    public static string[] Collect(string path, bool hidden) => Collect(path, new WalkOptions { Hidden = hidden }).Files;

    /// <summary>
    /// Regular files under <paramref name="path"/> (or the path itself, whatever it is: a named file is always read),
    /// sorted by ordinal path; symbolic links are not followed; FIFOs, sockets and devices met on the walk are skipped
    /// and listed in <see cref="FileSelection.Skipped"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The path does not exist.</exception>
    public static FileSelection Collect(string path, WalkOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (Directory.Exists(path))
        {
            string root = Path.GetFullPath(path);
            var globs = new IgnoreRules(options.Globs);
            var files = new List<string>();
            var skipped = new List<string>();
            string? gitRoot = options.Ignore ? GitRoot(root) : null;
            Walk(root, string.Empty, Ancestors(root, gitRoot, options), globs, gitRoot is not null, options, files, skipped);
            files.Sort(StringComparer.Ordinal);
            return new FileSelection([.. files], skipped);
        }

        if (File.Exists(path) || FileKind.Of(path) is not null)
        {
            return new FileSelection([Path.GetFullPath(path)], []);
        }

        throw new ArgumentException($"'{path}' is neither a file nor a directory. Fix: give an existing path.");
    }

    private static void Walk(string directory, string relative, List<(string Prefix, int Strip, IgnoreRules Rules)> ignores, IgnoreRules globs, bool git, WalkOptions options, List<string> files, List<string> skipped)
    {
        int pushed = 0;
        if (options.Ignore && IgnoreRules.ForDirectory(directory, git) is { } rules)
        {
            ignores.Add((string.Empty, relative.Length == 0 ? 0 : relative.Length + 1, rules));
            pushed = 1;
        }

        IEnumerable<FileSystemInfo> entries;
        try
        {
            entries = new DirectoryInfo(directory).EnumerateFileSystemInfos("*", new EnumerationOptions { IgnoreInaccessible = true, AttributesToSkip = 0 }).ToArray();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            skipped.Add($"{directory}: cannot be listed ({e.Message})");
            entries = [];
        }

        foreach (FileSystemInfo entry in entries)
        {
            string name = entry.Name;
            string path = relative.Length == 0 ? name : relative + "/" + name;
            bool isDirectory = entry is DirectoryInfo;
            if (entry.LinkTarget is not null || name == ".git" || (!options.Hidden && name.StartsWith('.')) || Skip(path, isDirectory, ignores, globs))
            {
                continue;
            }

            if (isDirectory)
            {
                Walk(entry.FullName, path, ignores, globs, git, options, files, skipped);
            }
            else if (FileKind.Of(entry.FullName) is { } kind)
            {
                skipped.Add($"{entry.FullName}: a {kind}, not a regular file");
            }
            else
            {
                files.Add(entry.FullName);
            }
        }

        ignores.RemoveRange(ignores.Count - pushed, pushed);
    }

    private static bool Skip(string path, bool directory, List<(string Prefix, int Strip, IgnoreRules Rules)> ignores, IgnoreRules globs)
    {
        if (globs.Match(path, directory) is { } chosen)
        {
            return !chosen;
        }

        if (!directory && globs.HasPositive)
        {
            return true;
        }

        // The deepest ignore file with a rule that matches decides.
        for (int i = ignores.Count - 1; i >= 0; i--)
        {
            (string prefix, int strip, IgnoreRules rules) = ignores[i];
            if (rules.Match(prefix + path[strip..], directory) is { } ignored)
            {
                return ignored;
            }
        }

        return false;
    }

    /// <summary>
    /// The ignore files of the folders above the walk's root, outermost first, as ripgrep reads them: <c>.ignore</c>
    /// everywhere, <c>.gitignore</c> from the repository's root down. Their rules see paths from their own folder.
    /// </summary>
    private static List<(string Prefix, int Strip, IgnoreRules Rules)> Ancestors(string root, string? gitRoot, WalkOptions options)
    {
        var found = new List<(string, int, IgnoreRules)>();
        if (!options.Ignore)
        {
            return found;
        }

        for (DirectoryInfo? at = new DirectoryInfo(root).Parent; at is not null; at = at.Parent)
        {
            bool git = gitRoot is not null && at.FullName.Length >= gitRoot.Length;
            if (IgnoreRules.ForDirectory(at.FullName, git) is { } rules)
            {
                found.Insert(0, (Path.GetRelativePath(at.FullName, root) + "/", 0, rules));
            }
        }

        return found;
    }

    /// <summary>The nearest folder at or above <paramref name="directory"/> holding <c>.git</c>, or null.</summary>
    private static string? GitRoot(string directory)
    {
        for (DirectoryInfo? at = new(directory); at is not null; at = at.Parent)
        {
            if (Directory.Exists(Path.Combine(at.FullName, ".git")) || File.Exists(Path.Combine(at.FullName, ".git")))
            {
                return at.FullName;
            }
        }

        return null;
    }
}
