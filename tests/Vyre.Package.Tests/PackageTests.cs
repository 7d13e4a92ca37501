using System;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text.RegularExpressions;
using NUnit.Framework;
using Vyre.Tests;

namespace Vyre.Package.Tests;

/// <summary>
/// The package as a user meets it: <c>dotnet pack</c> into a folder feed, then the README's install steps and
/// first handler, verbatim, in a fresh <c>dotnet new console</c> that references nothing but the one package.
/// </summary>
[NonParallelizable]
public sealed partial class PackageTests
{
    private static readonly TimeSpan s_stepTimeout = TimeSpan.FromMinutes(5);

    private string _work = string.Empty;
    private string _feed = string.Empty;
    private string _version = string.Empty;

    [OneTimeSetUp]
    public void Pack()
    {
        _work = Path.Combine(Path.GetTempPath(), "vyre-package-" + Environment.ProcessId);
        _feed = Path.Combine(_work, "feed");
        Directory.CreateDirectory(_feed);

        // A version of its own, so the machine's package cache can never hand back an older build of the same number.
        _version = "0.0.0-test." + DateTime.UtcNow.ToString("yyyyMMddHHmmssfff", System.Globalization.CultureInfo.InvariantCulture);
        Run(RepositoryPaths.Root, "pack", "src/Vyre.Runtime/Vyre.Runtime.csproj", "-c", "Release", "-o", _feed, "-p:PackageVersion=" + _version);
    }

    [OneTimeTearDown]
    public void Clean()
    {
        if (Directory.Exists(_work))
        {
            Directory.Delete(_work, recursive: true);
        }
    }

    [Test]
    public void The_package_holds_runtime_abstractions_generator_readme_and_metadata()
    {
        using ZipArchive package = ZipFile.OpenRead(Path.Combine(_feed, $"Vyre.{_version}.nupkg"));
        string[] entries = package.Entries.Select(e => e.FullName).ToArray();
        Assert.That(entries, Is.SupersetOf(new[]
        {
            "lib/net10.0/Vyre.Runtime.dll",
            "lib/net10.0/Vyre.Runtime.xml",
            "lib/net10.0/Vyre.Abstractions.dll",
            "lib/net10.0/Vyre.Abstractions.xml",
            "analyzers/dotnet/cs/Vyre.Generators.dll",
            "build/Vyre.targets",
            "tools/net10.0/Vyre.Build.dll",
            "tools/net10.0/Vyre.Build.runtimeconfig.json",
            "tools/net10.0/ILGPU.dll",
            "README.md",
        }));

        using var nuspecReader = new StreamReader(package.Entries.Single(e => e.FullName == "Vyre.nuspec").Open());
        string nuspec = nuspecReader.ReadToEnd();
        Assert.That(nuspec, Does.Contain("<license type=\"expression\">MIT</license>"));
        Assert.That(nuspec, Does.Contain("<readme>README.md</readme>"));
        Assert.That(nuspec, Does.Contain("<repository type=\"git\""));
        Assert.That(nuspec, Does.Contain("<dependency id=\"ILGPU\""));
        Assert.That(nuspec, Does.Contain("<dependency id=\"Microsoft.Extensions.Logging.Abstractions\""), "the ILogger contract");
        Assert.That(nuspec, Does.Not.Contain("Vyre.Abstractions\" version"), "the abstractions ship inside, not as a dependency");

        using ZipArchive symbols = ZipFile.OpenRead(Path.Combine(_feed, $"Vyre.{_version}.snupkg"));
        Assert.That(symbols.Entries.Select(e => e.FullName), Is.SupersetOf(new[] { "lib/net10.0/Vyre.Runtime.pdb", "lib/net10.0/Vyre.Abstractions.pdb" }));
    }

    [Test]
    public void The_readme_first_handler_builds_and_runs_from_a_fresh_console_project()
    {
        string readme = File.ReadAllText(RepositoryPaths.Under("README.md"));
        Match block = FirstHandlerBlock().Match(readme);
        Assert.That(block.Success, "README.md has the first-handler block between its markers");

        string app = NewConsumer("console", "HelloVyre");
        File.WriteAllText(Path.Combine(app, "Program.cs"), block.Groups["code"].Value);

        string csproj = File.ReadAllText(Path.Combine(app, "HelloVyre.csproj"));
        Assert.That(Regex.Matches(csproj, "<PackageReference ").Count, Is.EqualTo(1), "one package reference: " + csproj);

        string output = Run(app, "run", "-c", "Release");
        Assert.That(output, Does.Contain("12 squared on Managed: 144").Or.Contain("12 squared on Cuda: 144"), output);
    }

    [Test]
    public void A_handler_the_gpu_cannot_run_fails_the_consumer_build_with_a_located_error()
    {
        string app = NewConsumer("console", "Broken");
        File.WriteAllText(Path.Combine(app, "Program.cs"), """
            using Vyre;

            Console.WriteLine(Kernel.Opcodes.Print);

            [Megakernel]
            public static partial class Kernel
            {
                [OpcodeHandler(0x100)]
                public static SlotStatus Print(ref SlotContext slot)
                {
                    System.Console.WriteLine(slot.Arg(0));
                    return SlotStatus.Done;
                }
            }
            """);
        (int exit, string output) = TryRun(app, "build", "-c", "Release");
        Assert.That(exit, Is.Not.Zero, output);
        Assert.That(output, Does.Contain("Program.cs(11,9): error VYR109"), output);
    }

    [Test]
    public void A_handler_the_analyzer_passes_but_ilgpu_cannot_compile_fails_the_build_step_on_its_line()
    {
        // An explicit-layout union is a plain struct to the analyzer, but ILGPU rejects its layout: only the build step knows.
        string app = NewConsumer("console", "Union");
        File.WriteAllText(Path.Combine(app, "Program.cs"), """
            using System.Runtime.InteropServices;
            using Vyre;

            Console.WriteLine(Kernel.Opcodes.Bits);

            [Megakernel]
            public static partial class Kernel
            {
                [OpcodeHandler(0x100)]
                public static SlotStatus Bits(ref SlotContext slot)
                {
                    FloatBits bits = default;
                    bits.Value = slot.ArgSingle(0);
                    slot.SetResult(0, bits.Word);
                    return SlotStatus.Done;
                }
            }

            [StructLayout(LayoutKind.Explicit)]
            public struct FloatBits
            {
                [FieldOffset(0)]
                public float Value;

                [FieldOffset(0)]
                public uint Word;
            }
            """);

        // As a CI build writes it (ContinuousIntegrationBuild maps source paths to /_/): the error still names the file on disk.
        (int exit, string output) = TryRun(app, "build", "-c", "Release", $"-p:PathMap={app}/=/_/");
        Assert.That(exit, Is.Not.Zero, output);
        Assert.That(output, Does.Contain(Path.Combine(app, "Program.cs") + "(12,9): error VYR120: ILGPU cannot compile 'Kernel.Bits'"), output);
        Assert.That(output, Does.Not.Match(@"error VYR1(?!20)\d\d"), "no analyzer error: only the build step knows");

        string fixedSource = File.ReadAllText(Path.Combine(app, "Program.cs"))
            .Replace("FloatBits bits = default;", "float value = slot.ArgSingle(0);", StringComparison.Ordinal)
            .Replace("bits.Value = slot.ArgSingle(0);", string.Empty, StringComparison.Ordinal)
            .Replace("slot.SetResult(0, bits.Word);", "slot.SetResult(0, ILGPU.Interop.FloatAsInt(value));", StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(app, "Program.cs"), fixedSource);
        (exit, output) = TryRun(app, "build", "-c", "Release");
        Assert.That(exit, Is.Zero, output);
    }

    [Test]
    public void A_megakernel_in_a_class_library_builds_with_the_build_step()
    {
        // A library's output folder does not hold its packages: the build step finds them through MSBuild's references.
        string library = NewConsumer("classlib", "KernelLibrary");
        File.WriteAllText(Path.Combine(library, "Class1.cs"), """
            using Vyre;

            namespace KernelLibrary;

            [Megakernel]
            public static partial class Kernels
            {
                [OpcodeHandler(0x100)]
                public static SlotStatus Twice(ref SlotContext slot)
                {
                    slot.SetResult(0, slot.Arg(0) * 2);
                    return SlotStatus.Done;
                }
            }
            """);
        (int exit, string output) = TryRun(library, "build", "-c", "Release");
        Assert.That(exit, Is.Zero, output);
        string kernels = Path.Combine(library, "obj", "Release", "net10.0", "vyre");
        Assert.That(Directory.GetFiles(kernels, "*.ptx").Select(Path.GetFileName), Is.EquivalentTo(new[] { "KernelLibrary.Kernels.PersistentKernel.sm_90.ptx", "KernelLibrary.Kernels.OnceKernel.sm_90.ptx" }), output);

        // The kernels ship inside the library the build produced, so an app referencing it compiles nothing at start.
        using var pe = new System.Reflection.PortableExecutable.PEReader(File.OpenRead(Path.Combine(library, "bin", "Release", "net10.0", "KernelLibrary.dll")));
        System.Reflection.Metadata.MetadataReader metadata = System.Reflection.Metadata.PEReaderExtensions.GetMetadataReader(pe);
        Assert.That(metadata.ManifestResources.Select(r => metadata.GetString(metadata.GetManifestResource(r).Name)), Is.EquivalentTo(new[]
        {
            "Vyre.Kernels/KernelLibrary.Kernels.PersistentKernel.sm_90.ptx",
            "Vyre.Kernels/KernelLibrary.Kernels.OnceKernel.sm_90.ptx",
        }));
    }

    [GeneratedRegex(@"<!-- first-handler[^>]*-->\s*```csharp\n(?<code>.*?)```\s*<!-- /first-handler -->", RegexOptions.Singleline)]
    private static partial Regex FirstHandlerBlock();

    /// <summary>A fresh <c>dotnet new <paramref name="template"/></c> project that references the packed Vyre, as the README's install steps make it.</summary>
    private string NewConsumer(string template, string name)
    {
        string folder = Path.Combine(_work, name);
        Run(_work, "new", template, "-o", folder);
        Run(folder, "add", "package", "Vyre", "--version", _version, "--source", _feed);
        return folder;
    }

    private static string Run(string folder, params string[] arguments)
    {
        (int exit, string output) = TryRun(folder, arguments);
        Assert.That(exit, Is.Zero, $"dotnet {string.Join(' ', arguments)} failed:\n{output}");
        return output;
    }

    private static (int Exit, string Output) TryRun(string folder, params string[] arguments) => ChildProcess.Dotnet(folder, s_stepTimeout, arguments);
}
