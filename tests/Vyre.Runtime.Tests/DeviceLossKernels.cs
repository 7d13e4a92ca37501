using ILGPU.Runtime.Cuda;

namespace Vyre.Runtime.Tests;

/// <summary>A megakernel with a handler that ends the CUDA context (a PTX trap), for the device-loss tests.</summary>
[Megakernel]
public static partial class DeviceLossKernels
{
    /// <summary>On CUDA: traps, which ends the kernel with an error and poisons the context. Elsewhere: faults with detail 0x7A9.</summary>
    [OpcodeHandler(0x100)]
    public static SlotStatus Trap(ref SlotContext slot)
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("trap;");
        }

        return slot.Fail(0x7A9);
    }

    /// <summary>Result 0 = arg0 + 1.</summary>
    [OpcodeHandler(0x101)]
    public static SlotStatus Increment(ref SlotContext slot)
    {
        slot.SetResult(0, slot.Arg(0) + 1);
        return SlotStatus.Done;
    }
}
