using System;

namespace Vyre;

/// <summary>How to start a megakernel. Every value is checked by <see cref="Validate"/> before anything is allocated.</summary>
public sealed class MegakernelOptions
{
    /// <summary>Most slots a ring may have.</summary>
    public const int MaxSlotCount = 1 << 20;

    /// <summary>Where to run. Default <see cref="Backend.Auto"/>.</summary>
    public Backend Backend { get; init; } = Backend.Auto;

    /// <summary>Persistent or relaunched per batch. Default <see cref="KernelMode.Persistent"/>.</summary>
    public KernelMode Mode { get; init; } = KernelMode.Persistent;

    /// <summary>Slots in the ring (2 to <see cref="MaxSlotCount"/>). Default 4096.</summary>
    public int SlotCount { get; init; } = 4096;

    /// <summary>
    /// Device lanes: CPU worker threads on Managed (default: one per core), GPU threads on Cuda (default:
    /// two groups of the template's workgroup size per multiprocessor), lanes of the one warp on IlgpuCpu (fixed at 4).
    /// </summary>
    public int? Lanes { get; init; }

    /// <summary>Bytes of the data buffer handlers read through <see cref="SlotContext.Bytes"/>. Default 1 MiB.</summary>
    public int DataBytes { get; init; } = 1 << 20;

    /// <summary>Words of the heap the memory built-ins use. Default 65,536.</summary>
    public int HeapWords { get; init; } = 1 << 16;

    /// <summary>How long the host heartbeat may stay unchanged before the device loop exits by itself. Default 2 s.</summary>
    public TimeSpan HeartbeatTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Bound of every host wait (a slot, room in the ring, shutdown). Default 30 s.</summary>
    public TimeSpan WaitTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How streaming and LOAD_MISS read files. Default <see cref="Vyre.IoReads.IoUring"/>: where io_uring is
    /// unavailable they fail with the cause; positional reads are used only when asked for.
    /// </summary>
    public IoReads IoReads { get; init; } = IoReads.IoUring;

    /// <summary>Where the host reports what it chose (the backend, the lane count). Default: standard error.</summary>
    public Action<string>? Log { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad value and how to fix it.</summary>
    public void Validate()
    {
        if (!Enum.IsDefined(Backend))
        {
            throw new ArgumentException($"Backend {(int)Backend} is not a Backend value. Fix: use Backend.Auto, Cuda, Managed or IlgpuCpu.", nameof(Backend));
        }

        if (!Enum.IsDefined(Mode))
        {
            throw new ArgumentException($"Mode {(int)Mode} is not a KernelMode value. Fix: use KernelMode.Persistent or KernelMode.Once.", nameof(Mode));
        }

        if (Mode == KernelMode.Once && Backend == Backend.Managed)
        {
            throw new ArgumentException("KernelMode.Once needs an ILGPU backend; Managed workers are always resident. Fix: use Backend.IlgpuCpu or Backend.Cuda, or KernelMode.Persistent.", nameof(Mode));
        }

        if (SlotCount < 2 || SlotCount > MaxSlotCount)
        {
            throw new ArgumentException($"SlotCount {SlotCount} is outside 2..{MaxSlotCount}. Fix: choose a ring size in that range.", nameof(SlotCount));
        }

        if (!Enum.IsDefined(IoReads))
        {
            throw new ArgumentException($"IoReads {(int)IoReads} is not an IoReads value. Fix: use IoReads.IoUring, IoUringElsePositional or Positional.", nameof(IoReads));
        }

        if (Lanes is <= 0)
        {
            throw new ArgumentException($"Lanes {Lanes} must be positive. Fix: leave it unset for the backend's default or give a positive count.", nameof(Lanes));
        }

        if (DataBytes < 0 || HeapWords < 1)
        {
            throw new ArgumentException($"DataBytes {DataBytes} must be ≥ 0 and HeapWords {HeapWords} ≥ 1. Fix: give non-negative sizes.", nameof(DataBytes));
        }

        if (HeartbeatTimeout <= TimeSpan.Zero || WaitTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("HeartbeatTimeout and WaitTimeout must be positive. Fix: give positive durations.", nameof(WaitTimeout));
        }
    }
}
