namespace Vyre;

/// <summary>
/// A CUDA device as <see cref="MegakernelHost.CudaDevices"/> lists it, and as <see cref="MegakernelOptions.CudaDeviceFilter"/>
/// sees it.
/// </summary>
/// <param name="Index">The CUDA device index (<see cref="MegakernelOptions.CudaDevice"/>).</param>
/// <param name="Name">The device's name, e.g. "NVIDIA H200".</param>
/// <param name="MemoryBytes">Device memory in bytes.</param>
/// <param name="Multiprocessors">Streaming multiprocessors.</param>
/// <param name="ComputeCapability">Compute capability, e.g. 9.0 for sm_90.</param>
public sealed record GpuDevice(int Index, string Name, long MemoryBytes, int Multiprocessors, System.Version ComputeCapability);
