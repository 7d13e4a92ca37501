using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Threading.Tasks;
using ILGPU;
using ILGPU.Backends.PTX;
using NUnit.Framework;
using Vyre.Backends.Cuda;

namespace Vyre.Runtime.Tests;

/// <summary>
/// The kernel the build step ships in the assembly, the file format that carries it, and the on-disk cache of kernels
/// compiled at start. Everything but the loads runs without a GPU; <see cref="CudaShippedKernelTests"/> loads them.
/// </summary>
[TestFixture]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ShippedKernelTests
{
    private string _folder = string.Empty;

    internal static int GroupSize => TestKernels.Definition.Template.WorkgroupSize;

    internal static MethodInfo Entry(string kernel) => typeof(TestKernels).GetMethod(kernel, BindingFlags.Public | BindingFlags.Static)!;

    internal static string NameOf(string kernel) => typeof(TestKernels).FullName + "." + kernel;

    [SetUp]
    public void MakeFolder()
    {
        _folder = Path.Combine(Path.GetTempPath(), "vyre-kernel-cache-" + Guid.NewGuid().ToString("N"));
    }

    [TearDown]
    public void RemoveFolder()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [TestCase("PersistentKernel")]
    [TestCase("OnceKernel")]
    public void The_build_step_embedded_the_kernel_and_it_is_rebuilt_from_its_ptx_without_a_device(string kernel)
    {
        MethodInfo entry = Entry(kernel);
        var shipped = CudaKernelLoader.EmbeddedArchitectures(entry, NameOf(kernel));
        Assert.That(shipped.Select(s => s.Architecture.ToString()), Does.Contain("SM_90"), "the default VyreCudaArchitectures ships sm_90");

        string resource = shipped.Single(s => s.Architecture.ToString() == "SM_90").Resource;
        using var reader = new StreamReader(typeof(TestKernels).Assembly.GetManifestResourceStream(resource)!);
        string text = reader.ReadToEnd();
        string dependencies = PtxKernelFile.DependenciesOf(typeof(TestKernels).Assembly);
        PtxKernelFile? file = PtxKernelFile.Read(text, NameOf(kernel), "SM_90", GroupSize, CudaKernelLoader.IlgpuVersion, dependencies, out string refusal);
        Assert.That(file, Is.Not.Null, refusal + " (the build step's view of the referenced assemblies must be the one loaded here)");
        Assert.That(PtxKernelFile.Read(text, NameOf(kernel), "SM_90", GroupSize, CudaKernelLoader.IlgpuVersion, (dependencies[0] == '0' ? "1" : "0") + dependencies[1..], out refusal), Is.Null);
        Assert.That(refusal, Does.Contain("another build of Vyre.Abstractions"), "a kernel embedded before Vyre.Abstractions changed is stale");
        Assert.That(file!.Ptx, Does.Contain(".visible .entry Kernel_" + kernel + "("));

        // No device: the compiled kernel is rebuilt from text alone (this also proves ILGPU's internal constructor is still there).
        using Context context = Context.Create(_ => { });
        PTXCompiledKernel compiled = CudaKernelLoader.FromPtx(context, entry, GroupSize, file.Ptx);
        Assert.That(compiled.PTXAssembly, Is.SameAs(file.Ptx));
        Assert.That(() => CudaKernelLoader.FromPtx(context, Entry(kernel == "OnceKernel" ? "PersistentKernel" : "OnceKernel"), GroupSize, file.Ptx),
            Throws.TypeOf<InvalidDataException>(), "the other kernel's PTX has no entry of this name");
    }

    [Test]
    public void The_rewritten_assembly_keeps_a_pdb_that_maps_its_lines()
    {
        // This assembly was rewritten by the build step to embed its kernels; its PDB must still match it.
        var frame = new System.Diagnostics.StackFrame(0, needFileInfo: true);
        Assert.That(Path.GetFileName(frame.GetFileName()), Is.EqualTo("ShippedKernelTests.cs"));
        Assert.That(frame.GetFileLineNumber(), Is.GreaterThan(0));
        Assert.That(typeof(TestKernels).Assembly.GetManifestResourceNames(), Has.Some.StartsWith(PtxKernelFile.ResourcePrefix), "and it was rewritten");
    }

    [Test]
    public void A_kernel_file_that_was_cut_short_edited_or_made_for_something_else_is_refused_with_the_reason()
    {
        string text = new PtxKernelFile("K.PersistentKernel", "SM_90", 128, "1.5.3.0", "d1", ".version 7.8\n.target sm_90\n.entry Kernel(){}\n").Serialize();
        string? Refusal(string candidate, string kernel = "K.PersistentKernel", string architecture = "SM_90", int group = 128, string ilgpu = "1.5.3.0", string deps = "d1")
        {
            PtxKernelFile? file = PtxKernelFile.Read(candidate, kernel, architecture, group, ilgpu, deps, out string refusal);
            return file is null ? refusal : null;
        }

        Assert.That(Refusal(text), Is.Null, "the file as written");
        Assert.That(Refusal(text[..^5]), Does.Contain("truncated or corrupt"));
        Assert.That(Refusal(text.Replace("sm_90{", "sm_80{", StringComparison.Ordinal).Replace("Kernel()", "Kernel( )", StringComparison.Ordinal)), Does.Contain("truncated or corrupt"));
        Assert.That(Refusal(text, kernel: "K.OnceKernel"), Does.Contain("kernel is 'K.PersistentKernel'"));
        Assert.That(Refusal(text, architecture: "SM_80"), Does.Contain("arch"));
        Assert.That(Refusal(text, group: 256), Does.Contain("group"));
        Assert.That(Refusal(text, ilgpu: "1.6.0.0"), Does.Contain("ilgpu"));
        Assert.That(Refusal(text, deps: "d2"), Does.Contain("deps is 'd1', not 'd2'"));
        Assert.That(Refusal(".version 7.8\n"), Does.Contain("no header"));
        Assert.That(Refusal(string.Empty), Does.Contain("no header"));
    }

    [Test]
    public void The_cache_returns_what_it_stored_and_deletes_an_entry_that_does_not_check_out()
    {
        MethodInfo entry = Entry("PersistentKernel");
        PtxKernelCache cache = PtxKernelCache.Open(_folder, out string unused)!;
        Assert.That(cache, Is.Not.Null, unused);
        Assert.That(File.GetUnixFileMode(_folder), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute));

        var file = new PtxKernelFile(NameOf("PersistentKernel"), "SM_89", GroupSize, CudaKernelLoader.IlgpuVersion, "d1", ".version 7.8\n.target sm_89\n");
        Assert.That(cache.Read(entry, file.Kernel, "SM_89", GroupSize, file.IlgpuVersion, file.Dependencies, out _), Is.Null, "nothing stored yet");
        Assert.That(cache.Write(entry, file, out string note), Is.True, note);
        Assert.That(cache.Read(entry, file.Kernel, "SM_89", GroupSize, file.IlgpuVersion, file.Dependencies, out _), Is.EqualTo(file));
        Assert.That(cache.Read(entry, file.Kernel, "SM_90", GroupSize, file.IlgpuVersion, file.Dependencies, out _), Is.Null, "another architecture is another key");

        string stored = Directory.GetFiles(_folder).Single();
        Assert.That(File.GetUnixFileMode(stored), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
        File.WriteAllText(stored, File.ReadAllText(stored)[..^3]);
        Assert.That(cache.Read(entry, file.Kernel, "SM_89", GroupSize, file.IlgpuVersion, file.Dependencies, out note), Is.Null);
        Assert.That(note, Does.Contain("truncated or corrupt"));
        Assert.That(File.Exists(stored), Is.False, "the bad entry is deleted, so the next start rebuilds it");
    }

    [Test]
    public void A_cache_entry_that_is_a_fifo_or_a_link_is_refused_without_blocking_and_removed()
    {
        MethodInfo entry = Entry("PersistentKernel");
        PtxKernelCache cache = PtxKernelCache.Open(_folder, out string unused)!;
        Assert.That(cache, Is.Not.Null, unused);
        var file = new PtxKernelFile(NameOf("PersistentKernel"), "SM_89", GroupSize, CudaKernelLoader.IlgpuVersion, "d1", ".version 7.8\n");
        Assert.That(cache.Write(entry, file, out string note), Is.True, note);
        string stored = Directory.GetFiles(_folder).Single();

        File.Delete(stored);
        File.CreateSymbolicLink(stored, "/etc/hostname");
        Assert.That(cache.Read(entry, file.Kernel, "SM_89", GroupSize, file.IlgpuVersion, file.Dependencies, out note), Is.Null);
        Assert.That(note, Does.Contain("refused"));
        Assert.That(File.Exists(stored) || new FileInfo(stored).LinkTarget is not null, Is.False, "the link is removed");

        using (System.Diagnostics.Process mkfifo = System.Diagnostics.Process.Start("mkfifo", [stored]))
        {
            mkfifo.WaitForExit();
        }

        Task<PtxKernelFile?> read = Task.Run(() => cache.Read(entry, file.Kernel, "SM_89", GroupSize, file.IlgpuVersion, file.Dependencies, out _));
        Assert.That(read.Wait(TimeSpan.FromSeconds(10)), Is.True, "a FIFO is never opened, so the read cannot block");
        Assert.That(read.Result, Is.Null);
        Assert.That(File.Exists(stored), Is.False, "the FIFO is removed");
    }

    [Test]
    public void A_cache_folder_others_can_write_to_is_not_used_and_an_empty_setting_turns_the_cache_off()
    {
        Directory.CreateDirectory(_folder);
        File.SetUnixFileMode(_folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.OtherWrite | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        Assert.That(PtxKernelCache.Open(_folder, out string unused), Is.Null);
        Assert.That(unused, Does.Contain("others may write").And.Contain("Fix:"));

        Assert.That(PtxKernelCache.Open(string.Empty, out unused), Is.Null);
        Assert.That(unused, Is.EqualTo("turned off"));
    }

    [Test]
    public void A_relative_or_malformed_cache_folder_is_refused_before_anything_starts()
    {
        Assert.That(() => new MegakernelOptions { KernelCacheDirectory = "cache/kernels" }.Validate(), Throws.ArgumentException.With.Message.Contains("Fix:"));
        Assert.That(() => new MegakernelOptions { KernelCacheDirectory = "/tmp/a\0b" }.Validate(), Throws.ArgumentException);
        Assert.That(() => new MegakernelOptions { KernelCacheDirectory = string.Empty }.Validate(), Throws.Nothing);
    }

    [Test]
    public async Task The_cpu_backends_say_where_their_kernel_came_from()
    {
        await using (MegakernelHost managed = await TestKernels.StartAsync(BackendOptions.Managed(64)))
        {
            Assert.That(managed.Telemetry().KernelOrigin, Is.EqualTo(KernelOrigin.None));
        }

        await using MegakernelHost cpu = await TestKernels.StartAsync(BackendOptions.IlgpuCpu(64));
        TelemetrySnapshot telemetry = cpu.Telemetry();
        Assert.That(telemetry.KernelOrigin, Is.EqualTo(KernelOrigin.CompiledAtStart), "ILGPU's CPU accelerator runs IL, so it always compiles at start");
        Assert.That(telemetry.KernelLoadTime, Is.GreaterThan(TimeSpan.Zero));
    }
}

/// <summary>On the GPU: the shipped kernel is loaded and nothing is compiled from IL; without it, the cache serves the second start.</summary>
[TestFixture]
[Category("Gpu")]
[NonParallelizable]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class CudaShippedKernelTests
{
    private string _folder = string.Empty;

    [SetUp]
    public void Setup()
    {
        BackendOptions.RequireCuda();
        _folder = Path.Combine(Path.GetTempPath(), "vyre-kernel-cache-" + Guid.NewGuid().ToString("N"));
    }

    [TearDown]
    public void Cleanup()
    {
        CudaKernelLoader.IgnoreEmbedded = false;
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private MegakernelOptions Options(KernelMode mode) => new() { Backend = Backend.Cuda, Mode = mode, SlotCount = 64, KernelCacheDirectory = _folder };

    [TestCase(KernelMode.Persistent)]
    [TestCase(KernelMode.Once)]
    public async Task The_embedded_kernel_is_loaded_and_nothing_is_compiled_from_il_at_start(KernelMode mode)
    {
        await using MegakernelHost host = await TestKernels.StartAsync(Options(mode));
        Assert.That(host.Telemetry().KernelOrigin, Is.EqualTo(KernelOrigin.Embedded), host.Description);
        Assert.That(host.Description, Does.Contain("embedded SM_90 PTX"));
        Assert.That((await host.SubmitAsync(TestKernels.Opcodes.Increment, 4))[0], Is.EqualTo(5u));
        Assert.That(Directory.Exists(_folder) ? Directory.GetFiles(_folder) : [], Is.Empty, "nothing compiled, so nothing cached");
    }

    [Test]
    public async Task Without_a_shipped_kernel_the_first_start_compiles_and_caches_the_second_loads_the_cache_and_a_corrupt_entry_is_rebuilt()
    {
        CudaKernelLoader.IgnoreEmbedded = true;
        await using (MegakernelHost first = await TestKernels.StartAsync(Options(KernelMode.Persistent)))
        {
            Assert.That(first.Telemetry().KernelOrigin, Is.EqualTo(KernelOrigin.CompiledAtStart), first.Description);
        }

        string entry = Directory.GetFiles(_folder).Single();
        await using (MegakernelHost second = await TestKernels.StartAsync(Options(KernelMode.Persistent)))
        {
            Assert.That(second.Telemetry().KernelOrigin, Is.EqualTo(KernelOrigin.Cache), second.Description);
            Assert.That((await second.SubmitAsync(TestKernels.Opcodes.Increment, 41))[0], Is.EqualTo(42u));
        }

        File.AppendAllText(entry, "// edited\n");
        await using MegakernelHost third = await TestKernels.StartAsync(Options(KernelMode.Persistent));
        Assert.That(third.Telemetry().KernelOrigin, Is.EqualTo(KernelOrigin.CompiledAtStart), third.Description);
        Assert.That(third.Description, Does.Contain("truncated or corrupt"));
        Assert.That((await third.SubmitAsync(TestKernels.Opcodes.Increment, 41))[0], Is.EqualTo(42u));
        Assert.That(File.Exists(entry), "the entry was written again");
    }
}
