using System;
using System.Globalization;
using System.IO;
using System.Reflection;
using System.Runtime.Loader;
using System.Security.Cryptography;
using System.Text;

namespace Vyre.Backends.Cuda;

/// <summary>
/// One compiled kernel as Vyre stores it: a header line, a PTX comment that says what the PTX is for and its
/// SHA-256, then the PTX ILGPU wrote. The build step embeds one per kernel and architecture in the user's assembly
/// (resource <c>Vyre.Kernels/TYPE.KERNEL.sm_NN.ptx</c>); the runtime's on-disk cache stores the same format. A
/// file is used only when every field matches what is about to be loaded and the digest matches the text, so a
/// truncated, corrupt or foreign entry is rejected (and, for the cache, rebuilt). <see cref="Dependencies"/> names the
/// build of Vyre.Abstractions the kernel was compiled from (<see cref="DependenciesOf"/>): a kernel embedded before it
/// changed is stale, and is compiled again at start instead of run.
/// This file is compiled into both the runtime and the build tool (src/Vyre.Build links it): one format, one reader.
/// </summary>
internal sealed record PtxKernelFile(string Kernel, string Architecture, int GroupSize, string IlgpuVersion, string Dependencies, string Ptx)
{
    /// <summary>The prefix of every embedded kernel's resource name.</summary>
    public const string ResourcePrefix = "Vyre.Kernels/";

    private const string Magic = "// vyre-ptx 1 ";

    /// <summary>The resource name of <paramref name="kernel"/> ("Namespace.Type.PersistentKernel") for <paramref name="architecture"/> ("SM_90").</summary>
    public static string ResourceName(string kernel, string architecture) =>
        ResourcePrefix + kernel + "." + architecture.ToLowerInvariant() + ".ptx";

    /// <summary>The file's text: header line, then the PTX.</summary>
    public string Serialize() =>
        string.Create(CultureInfo.InvariantCulture, $"{Magic}kernel={Kernel} arch={Architecture} group={GroupSize} ilgpu={IlgpuVersion} deps={Dependencies} sha256={Digest(Ptx)}\n{Ptx}");

    /// <summary>
    /// Reads <paramref name="text"/> and checks it is the kernel wanted; on any mismatch returns null and says why in
    /// <paramref name="refusal"/>.
    /// </summary>
    public static PtxKernelFile? Read(string text, string kernel, string architecture, int groupSize, string ilgpuVersion, string dependencies, out string refusal)
    {
        int newline = text.IndexOf('\n', StringComparison.Ordinal);
        if (!text.StartsWith(Magic, StringComparison.Ordinal) || newline < 0)
        {
            refusal = "not a Vyre kernel file (no header line)";
            return null;
        }

        string? Field(string name)
        {
            foreach (string part in text[Magic.Length..newline].Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (part.StartsWith(name + "=", StringComparison.Ordinal))
                {
                    return part[(name.Length + 1)..];
                }
            }

            return null;
        }

        string ptx = text[(newline + 1)..];
        (string Name, string? Found, string Wanted)[] checks =
        [
            ("kernel", Field("kernel"), kernel),
            ("arch", Field("arch"), architecture),
            ("group", Field("group"), groupSize.ToString(CultureInfo.InvariantCulture)),
            ("ilgpu", Field("ilgpu"), ilgpuVersion),
            ("deps", Field("deps"), dependencies),
            ("sha256", Field("sha256"), Digest(ptx)),
        ];
        foreach ((string name, string? found, string wanted) in checks)
        {
            if (!string.Equals(found, wanted, StringComparison.Ordinal))
            {
                refusal = name switch
                {
                    "sha256" => "its text does not match its digest (truncated or corrupt)",
                    "deps" => $"deps is '{found}', not '{wanted}': it was compiled against another build of Vyre.Abstractions (it changed after the build step ran; rebuild to ship a current kernel)",
                    _ => $"{name} is '{found}', not '{wanted}'",
                };
                return null;
            }
        }

        refusal = string.Empty;
        return new PtxKernelFile(kernel, architecture, groupSize, ilgpuVersion, dependencies, ptx);
    }

    /// <summary>
    /// The build of Vyre.Abstractions (its module version id) that a kernel of <paramref name="root"/> is compiled from,
    /// as <paramref name="root"/>'s load context resolves it: the device loop, the slot protocol and the VIR0
    /// interpreter are in every kernel from there, and a change inside it leaves the user's assembly as it was. The
    /// build step writes it; the runtime compares it with what it resolves. "none" when it cannot be resolved.
    /// </summary>
    /// <remarks>
    /// Only that assembly, not every reference: a walk of the whole closure told framework assemblies apart by folder,
    /// which a self-contained or single-file app does not keep, and loaded every library of the app at each start.
    /// Handler code from other libraries is covered by the build step's inputs (docs/build-step.md), not by this check.
    /// </remarks>
    public static string DependenciesOf(Assembly root)
    {
        AssemblyLoadContext context = AssemblyLoadContext.GetLoadContext(root) ?? AssemblyLoadContext.Default;
        try
        {
            return context.LoadFromAssemblyName(new AssemblyName(AbstractionsAssembly)).ManifestModule.ModuleVersionId.ToString("N");
        }
        catch (Exception ex) when (ex is FileNotFoundException or FileLoadException or BadImageFormatException)
        {
            return "none";
        }
    }

    /// <summary>The assembly whose build <see cref="DependenciesOf"/> names.</summary>
    private const string AbstractionsAssembly = "Vyre.Abstractions";

    private static string Digest(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
