using System;
using System.Linq;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace Vyre.Scan;

/// <summary>
/// Compiles the scan's walk before the stream starts, on the CPU backends. The walk's methods are
/// <see cref="MethodImplOptions.AggressiveOptimization"/> (see <see cref="ScanKernels.ChunkStats"/>), so the JIT compiles them at
/// their first call, and the first chunk of every worker waited for it: about 25 ms at the head of a 200 ms stream on the
/// H200 machine's 16 cores (measured, docs/benchmarks.md). Run while the host starts, it costs nothing. The warp-wide
/// handler is generic (its group type is the backend's) and is left to its first call: the CPU backends walk a chunk per
/// lane unless <c>--width warp</c> asks otherwise.
/// </summary>
internal static class ScanWarmUp
{
    /// <summary>Compiles every non-generic <see cref="MethodImplOptions.AggressiveOptimization"/> method of <see cref="ScanKernels"/> and its nested types; returns how many.</summary>
    public static int Prepare()
    {
        int prepared = 0;
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly;
        foreach (Type type in new[] { typeof(ScanKernels) }.Concat(typeof(ScanKernels).GetNestedTypes(BindingFlags.Public | BindingFlags.NonPublic)))
        {
            foreach (MethodInfo method in type.GetMethods(all))
            {
                if (!method.ContainsGenericParameters && method.MethodImplementationFlags.HasFlag(MethodImplAttributes.AggressiveOptimization))
                {
                    RuntimeHelpers.PrepareMethod(method.MethodHandle);
                    prepared++;
                }
            }
        }

        return prepared;
    }
}
