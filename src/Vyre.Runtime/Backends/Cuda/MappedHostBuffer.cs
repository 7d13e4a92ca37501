using System;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace Vyre.Backends.Cuda;

/// <summary>
/// Page-locked host memory mapped into the device's address space: the host writes it through
/// <see cref="HostPointer"/>, the kernel through the view (its <c>NativePtr</c> is the device address).
/// Never disposed while a kernel that reads it runs (freeing blocks until the kernel exits; FACTS.md).
/// </summary>
internal sealed class MappedHostBuffer : MemoryBuffer
{
    public MappedHostBuffer(CudaAccelerator accelerator, long bytes)
        : base(accelerator, bytes, 1)
    {
        CudaException.ThrowIfFailed(CudaAPI.CurrentAPI.AllocateHostMemory(out IntPtr host, new IntPtr(bytes)));
        HostPointer = host;
        CudaException.ThrowIfFailed(CudaAPI.CurrentAPI.MemHostGetDevicePointer(out IntPtr device, host, 0));
        NativePtr = device;
    }

    public IntPtr HostPointer { get; private set; }

    protected override void DisposeAcceleratorObject(bool disposing)
    {
        if (HostPointer != IntPtr.Zero)
        {
            // From a finalizer (the accelerator may be gone) a failure cannot be reported, only survived.
            CudaError freed = CudaAPI.CurrentAPI.FreeHostMemory(HostPointer);
            HostPointer = IntPtr.Zero;
            NativePtr = IntPtr.Zero;
            if (disposing)
            {
                CudaException.ThrowIfFailed(freed);
            }
        }
    }

    protected override void CopyFrom(AcceleratorStream stream, in ArrayView<byte> sourceView, in ArrayView<byte> targetView) =>
        throw new NotSupportedException("Mapped host memory is written through its host pointer.");

    protected override void CopyTo(AcceleratorStream stream, in ArrayView<byte> sourceView, in ArrayView<byte> targetView) =>
        throw new NotSupportedException("Mapped host memory is read through its host pointer.");

    protected override void MemSet(AcceleratorStream stream, byte value, in ArrayView<byte> targetView) =>
        throw new NotSupportedException("Mapped host memory is cleared through its host pointer.");
}
