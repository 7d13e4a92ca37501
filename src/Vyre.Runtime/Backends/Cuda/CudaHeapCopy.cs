using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace Vyre.Backends.Cuda;

/// <summary>DMAs queued on the copy stream up to now, marked by an event recorded after them (timing off: a marker only).</summary>
internal sealed class CudaHeapCopy : HeapCopy
{
    private readonly Accelerator _accelerator;
    private System.IntPtr _event;
    private bool _done;

    public CudaHeapCopy(Accelerator accelerator, CudaStream stream)
    {
        _accelerator = accelerator;
        using ScopedAcceleratorBinding binding = accelerator.BindScoped();
        CudaException.ThrowIfFailed(CudaAPI.CurrentAPI.CreateEvent(out _event, CudaEventFlags.CU_EVENT_DISABLE_TIMING));
        CudaException.ThrowIfFailed(CudaAPI.CurrentAPI.RecordEvent(_event, stream.StreamPtr));
    }

    public override bool IsDone
    {
        get
        {
            if (_done)
            {
                return true;
            }

            using ScopedAcceleratorBinding binding = _accelerator.BindScoped();
            CudaError state = CudaAPI.CurrentAPI.QueryEvent(_event);
            if (state == CudaError.CUDA_ERROR_NOT_READY)
            {
                return false;
            }

            CudaException.ThrowIfFailed(state);
            _done = true;
            return true;
        }
    }

    public override void Dispose()
    {
        if (_event != System.IntPtr.Zero)
        {
            using ScopedAcceleratorBinding binding = _accelerator.BindScoped();
            CudaAPI.CurrentAPI.DestroyEvent(_event);
            _event = System.IntPtr.Zero;
        }
    }
}
