using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Threading.Tasks;
using ILGPU.Runtime.Cuda;
using Vyre.Backends.Cuda;

namespace Vyre.Build;

/// <summary>
/// <c>Vyre.Build ASSEMBLY [--arch SM_90[,SM_80...]] [--out FOLDER] [--references FILE] [--path-map MAP] [--embed]</c>: loads a built assembly (its
/// dependencies from its output folder, else from FILE, one reference path per line, as MSBuild resolved them), compiles every
/// <c>[Megakernel]</c>'s kernels with ILGPU for each architecture, writes the PTX to FOLDER (when given), and prints
/// every failure as an MSBuild error <c>File.cs(line,col): error VYR120: ...</c> located on the handler's line.
/// Exit code 0: all compiled; 1: a kernel did not compile (errors printed); 2: the step itself could not run.
/// </summary>
internal static class Program
{
    private const string Usage = "Usage: Vyre.Build ASSEMBLY [--arch SM_90[,SM_80...]] [--out FOLDER] [--references FILE] [--path-map FROM=TO[,FROM=TO...]] [--embed]";

    public static int Main(string[] args)
    {
        try
        {
            (string assembly, IReadOnlyList<CudaArchitecture> architectures, string? output, string? references, SourcePathMap pathMap, bool embed) = Parse(args);
            return Judge(assembly, architectures, output, references is null ? [] : File.ReadAllLines(references), pathMap, embed, Console.Out);
        }
        catch (ArgumentException ex)
        {
            Console.Out.WriteLine($"Vyre.Build : error VYR901: {ex.Message} {Usage}");
            return 2;
        }
        catch (Exception ex) when (ex is IOException or BadImageFormatException or UnauthorizedAccessException or ReflectionTypeLoadException)
        {
            Console.Out.WriteLine($"Vyre.Build : error VYR901: the build step could not read the assembly: {ex.Message} Fix: build the project again; set VyreCompileKernels=false to skip this step.");
            return 2;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Console.Out.WriteLine($"Vyre.Build : error VYR901: the build step failed: {ex.GetType().Name}: {ex.Message.ReplaceLineEndings(" ")} Fix: build again; if it persists, report it with the project (set VyreCompileKernels=false to skip this step meanwhile).");
            return 2;
        }
    }

    /// <summary>Compiles every megakernel of <paramref name="assemblyPath"/>; returns the exit code.</summary>
    internal static int Judge(string assemblyPath, IReadOnlyList<CudaArchitecture> architectures, string? output, IEnumerable<string> references, SourcePathMap pathMap, bool embed, TextWriter report)
    {
        string path = Path.GetFullPath(assemblyPath);
        if (!File.Exists(path))
        {
            throw new ArgumentException($"'{path}' does not exist.");
        }

        var context = new UserAssemblyContext(path, references);
        int errors = 0;
        var shipped = new List<(string Name, string Text)>();
        int megakernelCount;
        try
        {
            Assembly user = context.LoadFromAssemblyPath(path);
            using var pdb = new PdbLocator(path);
            Type[] megakernels = Megakernels(user);
            megakernelCount = megakernels.Length;
            if (output is not null)
            {
                Directory.CreateDirectory(output);
            }

            // Every kernel of every megakernel for every architecture, compiled in parallel (a fresh ILGPU context each);
            // then reported in a fixed order, so the output and the embedded resources do not depend on timing.
            var jobs = new List<(Type Megakernel, string Name, MethodInfo Kernel, CudaArchitecture Architecture, int GroupSize)>();
            foreach (Type megakernel in megakernels)
            {
                int groupSize = WorkgroupSize(megakernel);
                foreach (string name in new[] { "PersistentKernel", "OnceKernel" })
                {
                    MethodInfo kernel = megakernel.GetMethod(name, BindingFlags.Public | BindingFlags.Static)
                        ?? throw new ArgumentException($"{megakernel.FullName} has no generated {name}: was it built with the Vyre generator?");
                    jobs.AddRange(architectures.Select(architecture => (megakernel, name, kernel, architecture, groupSize)));
                }
            }

            var verdicts = new KernelVerdict[jobs.Count];
            Parallel.For(0, jobs.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
                verdicts[i] = KernelJudge.Compile(jobs[i].Kernel, jobs[i].Architecture, jobs[i].GroupSize, lineInformation: false));

            var reported = new HashSet<Type>();
            foreach (Type megakernel in megakernels)
            {
                foreach (string refused in RefusedCalls.Find(megakernel, pdb, pathMap))
                {
                    // The PTX may compile, but the kernel must not ship: one report per handler, and no compile error repeats it.
                    report.WriteLine(refused);
                    errors++;
                    reported.Add(megakernel);
                }
            }

            for (int i = 0; i < jobs.Count; i++)
            {
                (Type megakernel, string name, MethodInfo kernel, CudaArchitecture architecture, int groupSize) = jobs[i];
                KernelVerdict verdict = verdicts[i];
                if (verdict.Error is not null)
                {
                    errors++;
                    if (reported.Add(megakernel))
                    {
                        // One report per megakernel: its other kernels reach the same handlers. Compiled again with ILGPU reading the PDB, to locate it.
                        KernelVerdict located = KernelJudge.Compile(kernel, architecture, groupSize, lineInformation: true);
                        report.WriteLine(Describe(located.Error is null ? verdict : located, megakernel, pdb, pathMap));
                    }

                    continue;
                }

                report.WriteLine($"Vyre.Build: {megakernel.FullName}.{name} for {architecture}: {verdict.Elapsed.TotalSeconds:0.00} s, {verdict.Ptx!.Length:N0} characters of PTX.");
                var file = new PtxKernelFile($"{megakernel.FullName}.{name}", architecture.ToString(), groupSize, IlgpuVersion, PtxKernelFile.DependenciesOf(megakernel.Assembly), verdict.Ptx!);
                string text = file.Serialize();
                shipped.Add((PtxKernelFile.ResourceName(file.Kernel, file.Architecture), text));
                if (output is not null)
                {
                    File.WriteAllText(Path.Combine(output, $"{file.Kernel}.{file.Architecture.ToLowerInvariant()}.ptx"), text);
                }
            }
        }
        finally
        {
            context.Unload();
        }

        string embedded = "";
        if (embed && errors == 0 && shipped.Count > 0)
        {
            string? refusal = KernelEmbedder.Embed(path, shipped, Path.Combine(output ?? Path.GetDirectoryName(path)!, "embedded"), references);
            embedded = refusal is null ? $", {shipped.Count} kernel(s) embedded" : $"; kernels not embedded: {refusal}";
        }

        report.WriteLine($"Vyre.Build: {megakernelCount} megakernel(s) in {Path.GetFileName(path)}, {architectures.Count} architecture(s), {errors} error(s){embedded}.");
        return errors == 0 ? 0 : 1;
    }

    /// <summary>The canonical MSBuild error line for a failed compile, on the handler's line where it can be found.</summary>
    internal static string Describe(KernelVerdict verdict, Type megakernel, PdbLocator pdb, SourcePathMap pathMap)
    {
        CompileErrorLocation location = CompileErrorLocation.From(verdict.Error!, megakernel, pdb);
        string where = location.SourceLocation is string source ? pathMap.Unmap(source) : megakernel.Assembly.GetName().Name + ".dll";
        Exception cause = verdict.Error!;
        while (cause.InnerException is not null)
        {
            cause = cause.InnerException;
        }

        string handler = location.Handler ?? megakernel.Name;
        return $"{where}: error VYR120: ILGPU cannot compile '{handler}' for {verdict.Architecture}: {cause.Message.ReplaceLineEndings(" ")}{location.ViaFrames}. Fix: keep the handler to what ILGPU compiles for a GPU (docs/diagnostics/VYR120.md lists the usual causes and their replacements).";
    }

    private static string IlgpuVersion { get; } = typeof(ILGPU.Context).Assembly.GetName().Version!.ToString();

    private static Type[] Megakernels(Assembly user)
    {
        Type[] types;
        try
        {
            types = user.GetTypes();
        }
        catch (ReflectionTypeLoadException partial)
        {
            types = partial.Types.Where(t => t is not null).ToArray()!;
        }

        return types.Where(t => t.GetCustomAttributesData().Any(a => a.AttributeType.FullName == "Vyre.MegakernelAttribute"))
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .ToArray();
    }

    /// <summary>The workgroup size the generator planned (<c>X.Template.Program.WorkgroupSize</c>): the runtime loads the kernel with it.</summary>
    private static int WorkgroupSize(Type megakernel)
    {
        object? program = megakernel.GetNestedType("Template")?.GetProperty("Program")?.GetValue(null);
        return program?.GetType().GetProperty("WorkgroupSize")?.GetValue(program) as int?
            ?? throw new ArgumentException($"{megakernel.FullName} has no generated Template: was it built with the Vyre generator?");
    }

    private static (string Assembly, IReadOnlyList<CudaArchitecture> Architectures, string? Output, string? References, SourcePathMap PathMap, bool Embed) Parse(string[] args)
    {
        string? assembly = null;
        string? output = null;
        string? references = null;
        SourcePathMap pathMap = SourcePathMap.None;
        bool embed = false;
        var architectures = new List<CudaArchitecture>();
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--arch" when i + 1 < args.Length:
                    architectures.AddRange(args[++i].Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(KernelJudge.ParseArchitecture));
                    break;
                case "--out" when i + 1 < args.Length:
                    output = args[++i];
                    break;
                case "--references" when i + 1 < args.Length:
                    references = args[++i];
                    break;
                case "--embed":
                    embed = true;
                    break;
                case "--path-map" when i + 1 < args.Length:
                    pathMap = SourcePathMap.Parse(args[++i]);
                    break;
                default:
                    if (assembly is not null || args[i].StartsWith("--", StringComparison.Ordinal))
                    {
                        throw new ArgumentException($"'{args[i]}' is not an argument the build step takes.");
                    }

                    assembly = args[i];
                    break;
            }
        }

        if (assembly is null)
        {
            throw new ArgumentException("No assembly was given.");
        }

        if (architectures.Count == 0)
        {
            architectures.Add(CudaArchitecture.SM_90);
        }

        return (assembly, architectures, output, references, pathMap, embed);
    }
}
