using System;
using System.Diagnostics;
using System.Reflection;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using Vyre.Backends.Cuda;

namespace Vyre.Build;

/// <summary>What compiling one kernel entry point for one architecture gave: PTX, or the exception ILGPU threw.</summary>
internal sealed record KernelVerdict(string Architecture, MethodInfo Kernel, TimeSpan Elapsed, string? Ptx, Exception? Error);

/// <summary>
/// Compiles a generated kernel entry point for a CUDA architecture with ILGPU's PTX backend, which needs no GPU, the
/// way the runtime loads it (<c>Accelerator.LoadImplicitlyGroupedKernel(method, groupSize)</c>: an implicitly grouped
/// entry point and a group-size specialisation). ILGPU is the judge: whatever it cannot compile fails here.
/// </summary>
internal static class KernelJudge
{
    /// <param name="kernel">The generated entry point (<c>PersistentKernel</c> or <c>OnceKernel</c>).</param>
    /// <param name="architecture">The CUDA architecture to compile for.</param>
    /// <param name="groupSize">The workgroup size the runtime launches with (a specialisation of the kernel).</param>
    /// <param name="lineInformation">
    /// Whether ILGPU reads the PDB, so its errors name files and lines. Off for the PTX that ships (the runtime's own
    /// compile has no line information, and the shipped kernel must be the one the runtime would make); on to locate a failure.
    /// </param>
    public static KernelVerdict Compile(MethodInfo kernel, CudaArchitecture architecture, int groupSize, bool lineInformation)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            // A fresh context per compile: after a failed compile an ILGPU context can be broken (FACTS.md).
            using Context context = Context.Create(builder =>
            {
                CudaCompileSettings.Apply(builder);

                if (lineInformation)
                {
                    WithLineInformation(builder);
                }
            });
            using var backend = new PTXBackend(context, new CudaCapabilityContext(architecture), architecture, LowestInstructionSet(architecture), nvvmAPI: null);
            var compiled = (PTXCompiledKernel)backend.Compile(EntryPointDescription.FromImplicitlyGroupedKernel(kernel), new KernelSpecialization(groupSize, null));
            string? defect = PtxDefects.Find(compiled.PTXAssembly);
            return defect is null
                ? new KernelVerdict(architecture.ToString(), kernel, clock.Elapsed, compiled.PTXAssembly, null)
                : new KernelVerdict(architecture.ToString(), kernel, clock.Elapsed, null, new PtxDefectException(defect));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return new KernelVerdict(architecture.ToString(), kernel, clock.Elapsed, null, ex);
        }
    }

    /// <summary>The CUDA architecture named <paramref name="name"/> (<c>SM_90</c>, case-insensitive); an <see cref="ArgumentException"/> names the known ones.</summary>
    public static CudaArchitecture ParseArchitecture(string name)
    {
        FieldInfo? field = typeof(CudaArchitecture).GetField(name.Trim().ToUpperInvariant(), BindingFlags.Public | BindingFlags.Static);
        if (field?.GetValue(null) is CudaArchitecture architecture)
        {
            return architecture;
        }

        throw new ArgumentException($"'{name}' is not a CUDA architecture ILGPU {typeof(Context).Assembly.GetName().Version} knows. Fix: use names such as SM_80, SM_89, SM_90 in VyreCudaArchitectures.");
    }

    /// <summary>The lowest PTX instruction set ILGPU has for <paramref name="architecture"/>: the oldest driver that can load the PTX.</summary>
    private static CudaInstructionSet LowestInstructionSet(CudaArchitecture architecture)
    {
        for (int major = 9; major <= 13; major++)
        {
            for (int minor = 0; minor <= 9; minor++)
            {
                if (CudaAccelerator.TryGetInstructionSet(architecture, CudaDriverVersion.FromMajorMinor(major, minor), out _, out CudaInstructionSet instructionSet))
                {
                    return instructionSet;
                }
            }
        }

        throw new ArgumentException($"ILGPU has no PTX instruction set for {architecture}. Fix: choose another architecture.");
    }

    /// <summary>
    /// Turns on ILGPU's reading of PDBs, so its errors name the file and line of each frame. ILGPU 1.5.3's
    /// <c>Context.Builder.DebugSymbols(mode)</c> checks the mode but never stores it, so the property is set directly.
    /// </summary>
    private static Context.Builder WithLineInformation(Context.Builder builder)
    {
        typeof(ContextProperties).GetProperty(nameof(ContextProperties.DebugSymbolsMode))!.SetValue(builder, DebugSymbolsMode.Basic);
        return builder;
    }
}
