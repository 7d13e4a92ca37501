using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;
using System.Runtime.InteropServices;
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
    private readonly Dictionary<string, string> _references;

    /// <param name="mainAssemblyPath">The built assembly.</param>
    /// <param name="references">Paths of the assembly's references as MSBuild resolved them (a class library's output folder does not hold its packages).</param>
    public UserAssemblyContext(string mainAssemblyPath, IEnumerable<string> references)
        : base("vyre-build-user", isCollectible: true)
    {
        _resolver = new AssemblyDependencyResolver(mainAssemblyPath);
        _folder = Path.GetDirectoryName(mainAssemblyPath)!;
        _references = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string reference in references)
        {
            // The first of a name wins: copy-local paths (implementations) come before compile references.
            if (reference.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) && File.Exists(reference))
            {
                _references.TryAdd(Path.GetFileNameWithoutExtension(reference), reference);
            }
        }
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
            path = File.Exists(candidate) ? candidate : FromReferences(assemblyName.Name!);
        }

        return path is null ? null : LoadFromAssemblyPath(path);
    }

    /// <summary>
    /// A reference MSBuild resolved, for what neither the deps file nor the folder holds (a class library's packages);
    /// never for the shared framework, whose compile references are reference assemblies without bodies.
    /// </summary>
    private string? FromReferences(string name) =>
        File.Exists(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), name + ".dll")) ? null : _references.GetValueOrDefault(name);

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        string? path = _resolver.ResolveUnmanagedDllToPath(unmanagedDllName);
        return path is null ? IntPtr.Zero : LoadUnmanagedDllFromPath(path);
    }
}
