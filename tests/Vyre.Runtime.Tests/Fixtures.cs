using NUnit.Framework;

namespace Vyre.Runtime.Tests;

[TestFixture]
public sealed class ManagedConformance : ConformanceSuite
{
    protected override int SoakSlots => 1_000_000;

    protected override MegakernelOptions Options(int slotCount = 1024) =>
        new() { Backend = Backend.Managed, SlotCount = slotCount, Log = _ => { } };
}

[TestFixture]
public sealed class IlgpuCpuConformance : ConformanceSuite
{
    // One warp of four lanes on ILGPU's CPU accelerator: a conformance backend, so the soak is scaled down.
    protected override int SoakSlots => 20_000;

    protected override MegakernelOptions Options(int slotCount = 1024) =>
        new() { Backend = Backend.IlgpuCpu, SlotCount = slotCount, Log = _ => { } };
}

[TestFixture]
[Category("Gpu")]
public sealed class CudaConformance : ConformanceSuite
{
    protected override int SoakSlots => 1_000_000;

    protected override void RequireBackend()
    {
        if (!MegakernelHost.IsCudaAvailable())
        {
            Assert.Ignore("No CUDA device on this machine: the Cuda fixture runs on the GPU machine (see docs/benchmarks.md for its last run).");
        }
    }

    protected override MegakernelOptions Options(int slotCount = 1024) =>
        new() { Backend = Backend.Cuda, SlotCount = slotCount, Log = _ => { } };
}
