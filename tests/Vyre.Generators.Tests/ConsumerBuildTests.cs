using System;
using System.IO;
using NUnit.Framework;
using Vyre.Tests;

namespace Vyre.Generators.Tests;

/// <summary>
/// A real consumer project built with <c>dotnet build</c>: a malformed handler fails the build with a
/// VYR error on the handler's line; the corrected handler builds with no warning at all.
/// </summary>
[NonParallelizable]
public sealed class ConsumerBuildTests
{
    private static readonly TimeSpan s_buildTimeout = TimeSpan.FromMinutes(4);

    private string _folder = string.Empty;

    [OneTimeSetUp]
    public void CreateProject()
    {
        _folder = Path.Combine(Path.GetTempPath(), "vyre-consumer-" + Environment.ProcessId);
        Directory.CreateDirectory(_folder);
        string src = RepositoryPaths.Under("src");
        File.WriteAllText(Path.Combine(_folder, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <ProjectReference Include="{src}/Vyre.Runtime/Vyre.Runtime.csproj" />
                <ProjectReference Include="{src}/Vyre.Abstractions/Vyre.Abstractions.csproj" />
                <ProjectReference Include="{src}/Vyre.Generators/Vyre.Generators.csproj" OutputItemType="Analyzer" ReferenceOutputAssembly="false" />
              </ItemGroup>
            </Project>
            """);
    }

    [OneTimeTearDown]
    public void DeleteProject() => Directory.Delete(_folder, recursive: true);

    [Test]
    public void A_malformed_handler_fails_the_build_on_its_line_and_the_fix_builds_clean()
    {
        WriteKernel("System.Console.WriteLine(slot.Arg(0));");
        (int exit, string output) = Build();
        Assert.That(exit, Is.Not.Zero, "the build fails");
        Assert.That(output, Does.Contain("Kernel.cs(9,9): error VYR109"), output);

        WriteKernel("slot.SetResult(0, slot.Arg(0) + 1u);");
        (exit, output) = Build();
        Assert.That(exit, Is.Zero, output);
        Assert.That(output, Does.Contain("0 Warning(s)"), output);
    }

    private void WriteKernel(string statement) => File.WriteAllText(Path.Combine(_folder, "Kernel.cs"), $$"""
        using Vyre;
        namespace Consumer;
        [Megakernel]
        public static partial class Kernel
        {
            [OpcodeHandler(0x100)]
            public static SlotStatus Step(ref SlotContext slot)
            {
                {{statement}}
                return SlotStatus.Done;
            }
        }
        """);

    private (int Exit, string Output) Build() =>
        ChildProcess.Dotnet(_folder, s_buildTimeout, "build", "-c", "Release", "-nologo", "-v", "q", "-p:UseSharedCompilation=false");
}
