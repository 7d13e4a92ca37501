namespace Vyre;

/// <summary>Where the megakernel a host runs came from (<see cref="TelemetrySnapshot.KernelOrigin"/>).</summary>
public enum KernelOrigin
{
    /// <summary>No compiled kernel: the Managed backend runs the dispatcher as .NET code.</summary>
    None,

    /// <summary>ILGPU compiled the kernel from IL when the host started (IlgpuCpu always; Cuda when nothing shipped or cached fits).</summary>
    CompiledAtStart,

    /// <summary>The PTX the build step embedded in the assembly: nothing was compiled from IL at start.</summary>
    Embedded,

    /// <summary>PTX an earlier start compiled and stored in the kernel cache (<see cref="MegakernelOptions.KernelCacheDirectory"/>).</summary>
    Cache,
}
