using System;
using System.IO;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Vyre.IoUring;

namespace Vyre.Backends.Cuda;

/// <summary>
/// The on-disk cache of kernels compiled at start (<see cref="MegakernelOptions.KernelCacheDirectory"/>). An entry is a
/// <see cref="PtxKernelFile"/> named by a key over the kernel's name, architecture, group size, ILGPU version and the
/// module version ids of the kernel's assembly and of the Vyre.Abstractions build it compiles from
/// (<see cref="PtxKernelFile.DependenciesOf"/>), so a rebuild of either gives a new key. Entries are written to a temporary file and renamed into place; one that
/// does not check out is deleted and rebuilt. A folder others can write to, or owned by someone else, is not used:
/// PTX loaded from it would run with this process's access to its mapped memory.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed class PtxKernelCache
{
    private const long MaxEntryBytes = 256L << 20;

    private readonly string _folder;

    private PtxKernelCache(string folder) => _folder = folder;

    /// <summary>The folder entries go to.</summary>
    public string Folder => _folder;

    /// <summary>The cache in <paramref name="configured"/> (null: the default place; empty: none), or null with the reason in <paramref name="unused"/>.</summary>
    public static PtxKernelCache? Open(string? configured, out string unused)
    {
        string? folder = configured ?? DefaultFolder();
        if (string.IsNullOrEmpty(folder))
        {
            unused = configured is null ? "no HOME, XDG_CACHE_HOME or VYRE_KERNEL_CACHE to put it in" : "turned off";
            return null;
        }

        try
        {
            Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            unused = $"'{folder}' cannot be made: {ex.Message}";
            return null;
        }

        if (IoUringNative.StatPath(folder, out _, out uint mode, out uint owner) != 0)
        {
            unused = $"'{folder}' cannot be read";
            return null;
        }

        if (owner != IoUringNative.EffectiveUserId() || (mode & 0b000_010_010) != 0)
        {
            unused = $"'{folder}' belongs to another user or others may write to it (mode {Convert.ToString(mode & 0x1ff, 8)}); Fix: chmod 700 it, or set KernelCacheDirectory to a folder of your own";
            return null;
        }

        unused = string.Empty;
        return new PtxKernelCache(folder);
    }

    /// <summary>The entry for <paramref name="entry"/> on <paramref name="architecture"/>, or null (none, or rejected and deleted; <paramref name="note"/> says which).</summary>
    public PtxKernelFile? Read(MethodInfo entry, string kernel, string architecture, int groupSize, string ilgpuVersion, string dependencies, out string note)
    {
        string path = PathOf(entry, kernel, architecture, groupSize, ilgpuVersion, dependencies);
        note = string.Empty;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists && info.LinkTarget is null)
            {
                return null;
            }

            // Only a regular file of this user's, written by nobody else, of a sane size: a FIFO would block the read,
            // a link could point anywhere (lstat semantics: the link itself is judged).
            const uint RegularFile = 0x8000, TypeMask = 0xF000;
            bool regular = info.LinkTarget is null && IoUringNative.StatPath(path, out long size, out uint mode, out uint owner) == 0
                && (mode & TypeMask) == RegularFile && owner == IoUringNative.EffectiveUserId() && (mode & 0b000_010_010) == 0 && size <= MaxEntryBytes;
            if (!regular)
            {
                note = $"cache entry {info.Name} refused (not a regular file of this user's, writable by others, or too large); deleted";
                File.Delete(path);
                return null;
            }

            PtxKernelFile? file = PtxKernelFile.Read(File.ReadAllText(path), kernel, architecture, groupSize, ilgpuVersion, dependencies, out string refusal);
            if (file is null)
            {
                note = $"cache entry {info.Name} refused ({refusal}); deleted";
                File.Delete(path);
            }

            return file;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            note = $"cache entry unreadable: {ex.Message}";
            return null;
        }
    }

    /// <summary>Stores <paramref name="file"/> for <paramref name="entry"/>; false (and why) when it could not be written.</summary>
    public bool Write(MethodInfo entry, PtxKernelFile file, out string note)
    {
        string path = PathOf(entry, file.Kernel, file.Architecture, file.GroupSize, file.IlgpuVersion, file.Dependencies);
        string temporary = path + "." + Environment.ProcessId + ".tmp";
        try
        {
            using (var stream = new FileStream(temporary, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
            {
                stream.Write(Encoding.UTF8.GetBytes(file.Serialize()));
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
            note = string.Empty;
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            note = $"cache entry not written: {ex.Message}";
            try
            {
                File.Delete(temporary);
            }
            catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException)
            {
            }

            return false;
        }
    }

    private string PathOf(MethodInfo entry, string kernel, string architecture, int groupSize, string ilgpuVersion, string dependencies)
    {
        // The kernel's own assembly and the build of Vyre.Abstractions it compiles from: a change to either is a new key.
        Assembly root = entry.DeclaringType!.Assembly;
        string key = string.Join('\n', kernel, architecture, groupSize, ilgpuVersion, root.GetName().Name, root.ManifestModule.ModuleVersionId.ToString("N"), dependencies);
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
        return Path.Combine(_folder, hash[..32] + ".ptx");
    }

    private static string? DefaultFolder()
    {
        if (Environment.GetEnvironmentVariable("VYRE_KERNEL_CACHE") is { Length: > 0 } explicitFolder && Path.IsPathFullyQualified(explicitFolder))
        {
            return explicitFolder;
        }

        if (Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg && Path.IsPathFullyQualified(xdg))
        {
            return Path.Combine(xdg, "vyre", "kernels");
        }

        return Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } home ? Path.Combine(home, ".cache", "vyre", "kernels") : null;
    }
}
