using System;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;

namespace Vyre.Backends;

/// <summary>The CPU backends: every buffer is plain memory of ILGPU's CPU accelerator, read by the host through its pointer.</summary>
internal abstract class CpuMemoryBackend : IlgpuBackend
{
    /// <summary>Lanes of the one warp the ILGPU CPU device runs.</summary>
    public const int CpuWarpLanes = 4;

    protected CpuMemoryBackend(Context context)
        : base(context, context.CreateCPUAccelerator(0))
    {
    }

    // Conservative inlining, as for CUDA (CudaCompileSettings): ILGPU's default inlines every call, which made compiling
    // the megakernel for the CPU accelerator at start take 46 s instead of 12 s once EXEC and GRAPH_WORKER joined the loop.
    protected static Context CreateContext() =>
        Context.Create(builder => builder.CPU(new CPUDevice(CpuWarpLanes, 1, 1)).Inlining(InliningMode.Conservative));

    protected override MemoryBuffer AllocateShared(long bytes, out IntPtr hostPointer)
    {
        MemoryBuffer1D<byte, Stride1D.Dense> buffer = Accelerator.Allocate1D<byte>(bytes);
        hostPointer = buffer.NativePtr;
        return buffer;
    }
}
