using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Mono.Cecil;
using Mono.Cecil.Cil;

namespace Vyre.Build;

/// <summary>
/// Puts the compiled kernels into the user's assembly as managed resources (<see cref="Vyre.Backends.Cuda.PtxKernelFile"/>),
/// rewriting the intermediate assembly and its PDB with Mono.Cecil before MSBuild copies them to the output folder.
/// Written to a folder of their own first and moved over the originals only when both are complete; an assembly
/// whose rewrite failed is deleted, so the next build compiles it again rather than shipping it half-done.
/// </summary>
internal static class KernelEmbedder
{
    /// <summary>
    /// Embeds <paramref name="kernels"/> (resource name, file text) into <paramref name="assemblyPath"/>, replacing
    /// any kernels a previous run embedded. Returns why nothing was embedded, or null when it was.
    /// </summary>
    /// <param name="assemblyPath">The intermediate assembly (its PDB beside it, or embedded).</param>
    /// <param name="kernels">Resource names and <see cref="Vyre.Backends.Cuda.PtxKernelFile"/> texts.</param>
    /// <param name="workFolder">Where the rewritten assembly and PDB are written before they replace the originals.</param>
    /// <param name="references">The assembly's references as MSBuild resolved them: Cecil resolves the types of constants and attribute arguments through them.</param>
    public static string? Embed(string assemblyPath, IReadOnlyList<(string Name, string Text)> kernels, string workFolder, IEnumerable<string> references)
    {
        string pdbPath = Path.ChangeExtension(assemblyPath, ".pdb");
        string staged = Path.Combine(workFolder, Path.GetFileName(assemblyPath));
        string stagedPdb = Path.ChangeExtension(staged, ".pdb");
        Directory.CreateDirectory(workFolder);
        bool separatePdb;
        using var resolver = new DefaultAssemblyResolver();
        foreach (string folder in references.Select(Path.GetDirectoryName).Append(Path.GetDirectoryName(Path.GetFullPath(assemblyPath))).Distinct(StringComparer.Ordinal).OfType<string>())
        {
            resolver.AddSearchDirectory(folder);
        }

        var read = new ReaderParameters
        {
            AssemblyResolver = resolver,
            InMemory = true,
            ReadSymbols = true,
            SymbolReaderProvider = new DefaultSymbolReaderProvider(throwIfNoSymbol: false),
        };
        using (ModuleDefinition module = ModuleDefinition.ReadModule(assemblyPath, read))
        {
            if (module.Assembly.Name.HasPublicKey)
            {
                // Mono.Cecil cannot strong-name sign on .NET; an unsigned rewrite of a signed assembly would not load.
                return "the assembly is strong-name signed, which the build step cannot re-sign: its kernels are compiled when the host starts (and cached)";
            }

            foreach (Resource old in module.Resources.Where(r => r.Name.StartsWith(Vyre.Backends.Cuda.PtxKernelFile.ResourcePrefix, StringComparison.Ordinal)).ToList())
            {
                module.Resources.Remove(old);
            }

            foreach ((string name, string text) in kernels)
            {
                module.Resources.Add(new EmbeddedResource(name, ManifestResourceAttributes.Private, System.Text.Encoding.UTF8.GetBytes(text)));
            }

            separatePdb = module.HasSymbols && module.SymbolReader is not EmbeddedPortablePdbReader;
            // The same file names in a folder of their own: the assembly's debug directory names its PDB, and a
            // debugger looks for that name beside the assembly. Cecil writes the PDB beside the path it is given.
            module.Write(staged, new WriterParameters { WriteSymbols = module.HasSymbols, DeterministicMvid = true });
        }

        try
        {
            if (separatePdb)
            {
                File.Move(stagedPdb, pdbPath, overwrite: true);
            }

            File.Move(staged, assemblyPath, overwrite: true);
            return null;
        }
        catch
        {
            File.Delete(assemblyPath);
            throw;
        }
    }
}
