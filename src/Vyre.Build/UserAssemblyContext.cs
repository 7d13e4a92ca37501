using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;
using System.Runtime.Loader;

namespace Vyre.Build;

/// <summary>
/// Loads the user's built assembly and its dependencies from its output folder (deps.json first, then the folder),
/// except ILGPU, which must be the tool's own copy: the kernel's signature mentions ILGPU types (<c>Index1D</c>,
/// <c>ArrayView</c>) and ILGPU recognises them by type identity, so two copies would not match. Collectible, so the
/// user's assembly is not held after the step.
/// </summary>
internal sealed class UserAssemblyContext : AssemblyLoadContext
{
    private static readonly HashSet<string> s_shared = new(StringComparer.OrdinalIgnoreCase) { "ILGPU", "ILGPU.Algorithms" };
    private readonly AssemblyDependencyResolver _resolver;
    private readonly string _folder;

    public UserAssemblyContext(string mainAssemblyPath)
        : base("vyre-build-user", isCollectible: true)
    {
        _resolver = new AssemblyDependencyResolver(mainAssemblyPath);
        _folder = Path.GetDirectoryName(mainAssemblyPath)!;
    }

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        if (s_shared.Contains(assemblyName.Name!))
        {
            return null; // The default context: the tool's ILGPU.
        }

        string? path = _resolver.ResolveAssemblyToPath(assemblyName);
        if (path is null)
        {
            string candidate = Path.Combine(_folder, assemblyName.Name + ".dll");
            path = File.Exists(candidate) ? candidate : null;
        }

        return path is null ? null : LoadFromAssemblyPath(path);
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        string? path = _resolver.ResolveUnmanagedDllToPath(unmanagedDllName);
        return path is null ? IntPtr.Zero : LoadUnmanagedDllFromPath(path);
    }
}
