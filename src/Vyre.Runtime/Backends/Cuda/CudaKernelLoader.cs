using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Backends;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace Vyre.Backends.Cuda;

/// <summary>How a kernel was loaded: its origin, the time it took and, in words, what was tried.</summary>
internal sealed record KernelLoad(KernelOrigin Origin, TimeSpan Elapsed, string Detail);

/// <summary>
/// Loads a megakernel entry point on a CUDA accelerator without compiling IL when it can: first the PTX the build
/// step embedded in the entry's assembly (the highest architecture not above the device's: PTX is forward compatible
/// through the driver's JIT), then the on-disk cache, and only then ILGPU's compile from IL, whose PTX is stored in the
/// cache for the next start. Whatever does not check out (wrong ILGPU version or group size, corrupt text, a PTX
/// the driver refuses) is skipped with a note, never trusted.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class CudaKernelLoader
{
    private const int MaxResourceBytes = 256 << 20;

    /// <summary>The version of the ILGPU that runs here; shipped and cached PTX must come from the same one.</summary>
    public static string IlgpuVersion { get; } = typeof(Context).Assembly.GetName().Version!.ToString();

    /// <summary>Tests and the cold-start benchmark only: behave as if the assembly shipped no kernel, to reach the cache and the compile at start.</summary>
    internal static bool IgnoreEmbedded { get; set; }

    /// <summary>Loads <paramref name="entry"/> in groups of <paramref name="groupSize"/>; the caller disposes the kernel.</summary>
    public static (Kernel Kernel, KernelLoad Load) Load(CudaAccelerator accelerator, MethodInfo entry, int groupSize, PtxKernelCache? cache)
    {
        var clock = Stopwatch.StartNew();
        string kernelName = entry.DeclaringType!.FullName + "." + entry.Name;
        var notes = new List<string>();
        CudaArchitecture architecture = accelerator.Architecture;
        string device = architecture.ToString();
        string dependencies = PtxKernelFile.DependenciesOf(entry.DeclaringType.Assembly);
        if (!IgnoreEmbedded && Embedded(entry, kernelName, architecture, groupSize, dependencies, notes) is PtxKernelFile shipped
            && TryLoad(accelerator, entry, groupSize, shipped, "embedded", notes) is Kernel fromAssembly)
        {
            return (fromAssembly, new KernelLoad(KernelOrigin.Embedded, clock.Elapsed, $"embedded {shipped.Architecture} PTX"));
        }

        string cacheNote = string.Empty;
        PtxKernelFile? cached = cache?.Read(entry, kernelName, device, groupSize, IlgpuVersion, dependencies, out cacheNote);
        AddNote(notes, cacheNote);
        if (cached is not null && TryLoad(accelerator, entry, groupSize, cached, "cached", notes) is Kernel fromCache)
        {
            return (fromCache, new KernelLoad(KernelOrigin.Cache, clock.Elapsed, $"cached {device} PTX in {cache!.Folder}" + Joined(notes)));
        }

        CompiledKernel compiled = accelerator.GetBackend().Compile(EntryPointDescription.FromImplicitlyGroupedKernel(entry), new KernelSpecialization(groupSize, null));
        if (cache is not null && compiled is PTXCompiledKernel ptx
            && !cache.Write(entry, new PtxKernelFile(kernelName, device, groupSize, IlgpuVersion, dependencies, ptx.PTXAssembly), out string writeNote))
        {
            AddNote(notes, writeNote);
        }

        Kernel kernel = accelerator.LoadImplicitlyGroupedKernel(compiled, groupSize);
        return (kernel, new KernelLoad(KernelOrigin.CompiledAtStart, clock.Elapsed, "compiled from IL at start" + Joined(notes)));
    }

    /// <summary>
    /// Rebuilds the compiled kernel from shipped PTX, as ILGPU's backend would have returned it (same entry point and
    /// specialisation), without a device. Throws <see cref="InvalidDataException"/> when the PTX has no entry of that name.
    /// </summary>
    public static PTXCompiledKernel FromPtx(Context context, MethodInfo entry, int groupSize, string ptx)
    {
        // Implicitly grouped kernels use no shared memory (ILGPU rejects it), so the specification is (0, none).
        var entryPoint = new EntryPoint(EntryPointDescription.FromImplicitlyGroupedKernel(entry), new SharedMemorySpecification(0, false), new KernelSpecialization(groupSize, null));
        PTXCompiledKernel compiled = NewPtxCompiledKernel(context, entryPoint, null, ptx);
        if (!ptx.Contains(".entry " + compiled.Name + "(", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"The PTX has no entry '{compiled.Name}': it was not compiled from {entry.DeclaringType!.FullName}.{entry.Name}.");
        }

        return compiled;
    }

    /// <summary>The embedded kernels of <paramref name="entry"/>'s assembly by architecture, as the build step named them.</summary>
    public static IReadOnlyList<(CudaArchitecture Architecture, string Resource)> EmbeddedArchitectures(MethodInfo entry, string kernelName)
    {
        string prefix = PtxKernelFile.ResourceName(kernelName, "SM_")[..^".ptx".Length];
        var found = new List<(CudaArchitecture, string)>();
        foreach (string resource in entry.DeclaringType!.Assembly.GetManifestResourceNames())
        {
            if (resource.StartsWith(prefix, StringComparison.Ordinal) && resource.EndsWith(".ptx", StringComparison.Ordinal)
                && int.TryParse(resource.AsSpan(prefix.Length, resource.Length - prefix.Length - ".ptx".Length), out int number) && number is >= 10 and < 1000)
            {
                found.Add((new CudaArchitecture(number / 10, number % 10), resource));
            }
        }

        return found.OrderBy(f => f.Item1).ToList();
    }

    private static PtxKernelFile? Embedded(MethodInfo entry, string kernelName, CudaArchitecture device, int groupSize, string dependencies, List<string> notes)
    {
        IReadOnlyList<(CudaArchitecture Architecture, string Resource)> all = EmbeddedArchitectures(entry, kernelName);
        if (all.Count == 0)
        {
            AddNote(notes, "no kernel embedded in the assembly (built without the Vyre build step?)");
            return null;
        }

        (CudaArchitecture Architecture, string Resource)[] fitting = all.Where(a => a.Architecture.CompareTo(device) <= 0).ToArray();
        if (fitting.Length == 0)
        {
            AddNote(notes, $"the assembly ships {string.Join(", ", all.Select(a => a.Architecture))}, all above the device's {device}");
            return null;
        }

        (CudaArchitecture chosen, string resource) = fitting[^1];
        using Stream stream = entry.DeclaringType!.Assembly.GetManifestResourceStream(resource)!;
        if (stream.Length > MaxResourceBytes)
        {
            AddNote(notes, $"embedded {resource} is {stream.Length} bytes, more than a kernel can be");
            return null;
        }

        using var reader = new StreamReader(stream, System.Text.Encoding.UTF8);
        PtxKernelFile? file = PtxKernelFile.Read(reader.ReadToEnd(), kernelName, chosen.ToString(), groupSize, IlgpuVersion, dependencies, out string refusal);
        AddNote(notes, file is null ? $"embedded {chosen} PTX not used: {refusal}" : string.Empty);
        return file;
    }

    private static Kernel? TryLoad(CudaAccelerator accelerator, MethodInfo entry, int groupSize, PtxKernelFile file, string what, List<string> notes)
    {
        try
        {
            return accelerator.LoadImplicitlyGroupedKernel(FromPtx(accelerator.Context, entry, groupSize, file.Ptx), groupSize);
        }
        catch (Exception ex) when (ex is CudaException or InvalidDataException or MissingMemberException or NotSupportedException)
        {
            AddNote(notes, $"{what} {file.Architecture} PTX not loaded: {ex.Message}");
            return null;
        }
    }

    private static void AddNote(List<string> notes, string note)
    {
        if (note.Length > 0)
        {
            notes.Add(note);
        }
    }

    private static string Joined(List<string> notes) => notes.Count == 0 ? string.Empty : " (" + string.Join("; ", notes) + ")";

    /// <summary>
    /// <c>PTXCompiledKernel</c>'s constructor is internal in ILGPU 1.5.3. The accessor fails with a
    /// <see cref="MissingMethodException"/> if a later ILGPU changes it (a test builds one off the GPU, so CI sees it).
    /// </summary>
    [UnsafeAccessor(UnsafeAccessorKind.Constructor)]
    private static extern PTXCompiledKernel NewPtxCompiledKernel(Context context, EntryPoint entryPoint, CompiledKernel.KernelInfo? info, string ptxAssembly);
}
