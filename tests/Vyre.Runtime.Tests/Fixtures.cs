using NUnit.Framework;
using Vyre.IoUring;

namespace Vyre.Runtime.Tests;

/// <summary>The options of each backend under test, shared by its fixtures.</summary>
internal static class BackendOptions
{
    public static MegakernelOptions Managed(int slotCount, int dataBytes = 1 << 20) => new() { Backend = Backend.Managed, SlotCount = slotCount, DataBytes = dataBytes };

    public static MegakernelOptions IlgpuCpu(int slotCount, int dataBytes = 1 << 20, KernelMode mode = KernelMode.Persistent) =>
        new() { Backend = Backend.IlgpuCpu, SlotCount = slotCount, DataBytes = dataBytes, Mode = mode };

    public static MegakernelOptions Cuda(int slotCount, int dataBytes = 1 << 20, KernelMode mode = KernelMode.Persistent) =>
        new() { Backend = Backend.Cuda, SlotCount = slotCount, DataBytes = dataBytes, Mode = mode };

    /// <summary><paramref name="options"/> with the io sidecar reading through <paramref name="reads"/>.</summary>
    public static MegakernelOptions WithReads(MegakernelOptions options, IoReads reads) => new()
    {
        Backend = options.Backend,
        SlotCount = options.SlotCount,
        DataBytes = options.DataBytes,
        Logger = options.Logger,
        IoReads = reads,
    };

    public static void RequireCuda()
    {
        if (!MegakernelHost.IsCudaAvailable())
        {
            Assert.Ignore("No CUDA device on this machine: the Cuda fixtures run on the GPU machine (see docs/benchmarks.md for their last run).");
        }
    }
}

[TestFixture]
public sealed class ManagedConformance : ConformanceSuite
{
    protected override int SoakSlots => 1_000_000;

    protected override MegakernelOptions Options(int slotCount = 1024) => BackendOptions.Managed(slotCount);
}

[TestFixture]
public sealed class IlgpuCpuConformance : ConformanceSuite
{
    // One warp of four lanes on ILGPU's CPU accelerator: a conformance backend, so the soak is scaled down.
    protected override int SoakSlots => 20_000;

    protected override MegakernelOptions Options(int slotCount = 1024) => BackendOptions.IlgpuCpu(slotCount);
}

[TestFixture]
[Category("Gpu")]
public sealed class CudaConformance : ConformanceSuite
{
    protected override int SoakSlots => 1_000_000;

    protected override bool RunsLoneSlotsFromTheExpressLine => true;

    protected override void RequireBackend() => BackendOptions.RequireCuda();

    protected override MegakernelOptions Options(int slotCount = 1024) => BackendOptions.Cuda(slotCount);
}

/// <summary>The conformance suite in Once mode (a finite kernel launched per batch of published slots) on ILGPU's CPU accelerator.</summary>
[TestFixture]
public sealed class IlgpuCpuOnceConformance : ConformanceSuite
{
    protected override int SoakSlots => 20_000;

    protected override MegakernelOptions Options(int slotCount = 1024) => BackendOptions.IlgpuCpu(slotCount, mode: KernelMode.Once);
}

/// <summary>The conformance suite in Once mode on CUDA: the launch-per-batch path.</summary>
[TestFixture]
[Category("Gpu")]
public sealed class CudaOnceConformance : ConformanceSuite
{
    protected override int SoakSlots => 1_000_000;

    protected override void RequireBackend() => BackendOptions.RequireCuda();

    protected override MegakernelOptions Options(int slotCount = 1024) => BackendOptions.Cuda(slotCount, mode: KernelMode.Once);
}

[TestFixture]
public sealed class ManagedLifecycle : LifecycleSuite
{
    protected override bool WatchesHeartbeat => false;

    protected override MegakernelOptions Options(int slotCount) => BackendOptions.Managed(slotCount);
}

[TestFixture]
public sealed class IlgpuCpuLifecycle : LifecycleSuite
{
    protected override MegakernelOptions Options(int slotCount) => BackendOptions.IlgpuCpu(slotCount);
}

[TestFixture]
[Category("Gpu")]
public sealed class CudaLifecycle : LifecycleSuite
{
    protected override void RequireBackend() => BackendOptions.RequireCuda();

    protected override MegakernelOptions Options(int slotCount) => BackendOptions.Cuda(slotCount);
}
