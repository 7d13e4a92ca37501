namespace Vyre;

/// <summary>Where a megakernel runs.</summary>
public enum Backend
{
    /// <summary>CUDA when a CUDA device exists, else <see cref="Managed"/>; the host logs which it picked.</summary>
    Auto = 0,

    /// <summary>A persistent ILGPU kernel on an NVIDIA GPU, fed through host-mapped memory.</summary>
    Cuda = 1,

    /// <summary>CPU worker threads running the generated dispatcher over the same ring protocol.</summary>
    Managed = 2,

    /// <summary>The real kernel code on ILGPU's CPU accelerator (one warp of lanes): a conformance backend, not a fast one.</summary>
    IlgpuCpu = 3,
}

/// <summary>How the device side is driven.</summary>
public enum KernelMode
{
    /// <summary>Launched once and kept resident; slots flow through the ring.</summary>
    Persistent = 0,

    /// <summary>
    /// The finite kernel is launched once per published batch and runs to completion (the seed crate's
    /// model). Only the ILGPU backends have it; it is the baseline the persistent kernel is measured against.
    /// A thread of the host launches the batches in publish order, so a publisher never waits for a kernel; a
    /// batch that runs long holds back the batches after it (one stream), and waits on its slots time out as usual.
    /// </summary>
    Once = 1,
}
