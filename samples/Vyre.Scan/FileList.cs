using System;
using System.IO;
using System.Linq;

namespace Vyre.Scan;

/// <summary>The files under a path, in a stable order.</summary>
public static class FileList
{
    /// <summary>
    /// Regular files under <paramref name="path"/> (or the file itself), sorted by ordinal path; symbolic
    /// links are not followed; hidden names (starting with '.') are skipped unless <paramref name="hidden"/>.
    /// </summary>
    public static string[] Collect(string path, bool hidden)
    {
        if (File.Exists(path))
        {
            return [Path.GetFullPath(path)];
        }

        if (!Directory.Exists(path))
        {
            throw new ArgumentException($"'{path}' is neither a file nor a directory. Fix: give an existing path.");
        }

        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            IgnoreInaccessible = true,
            AttributesToSkip = FileAttributes.ReparsePoint | (hidden ? 0 : FileAttributes.Hidden),
        };
        return Directory.EnumerateFiles(Path.GetFullPath(path), "*", options)
            .Where(f => hidden || !Path.GetRelativePath(path, f).Split(Path.DirectorySeparatorChar).Any(part => part.StartsWith('.')))
            .Order(StringComparer.Ordinal)
            .ToArray();
    }
}
