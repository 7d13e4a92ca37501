using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Vyre.Generators;

namespace Vyre.Build;

/// <summary>
/// The calls a GPU cannot run although ILGPU's PTX backend compiles them (<see cref="GpuRefusedMembers"/>), found in the
/// IL of the handlers and of every method of the user's own assemblies they reach: the analyzer sees only source, so a
/// helper in another assembly of the user's is judged here.
/// </summary>
internal static class RefusedCalls
{
    private const int MaxDepth = 8;

    /// <summary>One MSBuild error line per handler that reaches a refused member, located on the handler's line that leads there.</summary>
    public static IEnumerable<string> Find(Type megakernel, PdbLocator pdb, SourcePathMap pathMap)
    {
        foreach (MethodInfo handler in megakernel.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
            .Where(h => h.GetCustomAttributesData().Any(a => a.AttributeType.FullName == "Vyre.OpcodeHandlerAttribute")))
        {
            // Breadth first from the handler; each reached method remembers the handler's call it came through.
            var seen = new HashSet<MethodBase> { handler };
            var queue = new Queue<(MethodBase Method, int RootOffset, string Via, int Depth)>();
            queue.Enqueue((handler, -1, string.Empty, 0));
            string? found = null;
            while (found is null && queue.Count > 0)
            {
                (MethodBase method, int rootOffset, string via, int depth) = queue.Dequeue();
                foreach ((int offset, MethodBase callee) in PdbLocator.CallSitesWithTargets(method))
                {
                    int root = rootOffset < 0 ? offset : rootOffset;
                    string type = callee.DeclaringType?.FullName ?? string.Empty;
                    if (GpuRefusedMembers.IsRefused(type, callee.Name, callee.GetParameters().Length))
                    {
                        string where = (method.Module == megakernel.Module ? pdb.Locate(method, offset) : pdb.Locate(handler, root)) is string line
                            ? pathMap.Unmap(line)
                            : megakernel.Assembly.GetName().Name + ".dll";
                        found = $"{where}: error VYR120: '{megakernel.Name}.{handler.Name}' calls {Short(type)}.{callee.Name}{via}, which ILGPU compiles but a GPU cannot run "
                            + "(no PTX without ILGPU.Algorithms, the driver's JIT refuses it, or it gives a wrong value on CUDA). "
                            + "Fix: use the float form or an integer replacement (docs/diagnostics/VYR120.md lists them).";
                        break;
                    }

                    if (depth < MaxDepth && callee.GetMethodBody() is not null
                        && !GpuRefusedMembers.IsPlatformAssembly(callee.Module.Assembly.GetName().Name ?? string.Empty) && seen.Add(callee))
                    {
                        queue.Enqueue((callee, root, $"{via} via {Short(type)}.{callee.Name}", depth + 1));
                    }
                }
            }

            if (found is not null)
            {
                yield return found;
            }
        }
    }

    private static string Short(string type) => type[(type.LastIndexOfAny(['.', '+']) + 1)..];
}
