using System;
using Microsoft.Extensions.Logging;
using Vyre.Backends;
using Vyre.IoUring;
using Vyre.Ring;

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

    /// <summary>Most lanes any backend takes (<see cref="Lanes"/>); the Managed backend also stops at <see cref="MaxManagedLanesPerCore"/> per core.</summary>
    public const int MaxLanes = 1 << 20;

    /// <summary>Most Managed worker threads per core: more only spin and park against each other.</summary>
    public const int MaxManagedLanesPerCore = 4;

    /// <summary>Shortest <see cref="HeartbeatTimeout"/>: the host beats eight times per timeout, and a shorter period only burns a core.</summary>
    public static readonly TimeSpan MinHeartbeatTimeout = TimeSpan.FromMilliseconds(50);

    /// <summary>Longest <see cref="HeartbeatTimeout"/> and <see cref="WaitTimeout"/>: one day.</summary>
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromDays(1);

    /// <summary>Shortest <see cref="WaitTimeout"/>.</summary>
    public static readonly TimeSpan MinWaitTimeout = TimeSpan.FromMilliseconds(1);

    /// <summary>Slots in the ring: a power of two from 2 to <see cref="MaxSlotCount"/>. Default 4096.</summary>
    public int SlotCount { get; init; } = 4096;

    /// <summary>
    /// Device lanes: CPU worker threads on Managed (default: one per core), GPU threads on Cuda (default:
    /// two groups of the template's workgroup size per multiprocessor), lanes of the one warp on IlgpuCpu (fixed at 4).
    /// </summary>
    public int? Lanes { get; init; }

    /// <summary>
    /// Most slots one claim takes: a warp on CUDA (whose lanes run one slot each, a warp's width at a time), a worker
    /// thread on Managed. Null (default): up to eight warp widths on CUDA when many slots wait, 64 on Managed, which is
    /// right for tiny slots, where the claim is the serial step. Give a warp's width (32) on CUDA, or 1 on Managed, when
    /// slots are long (a file chunk each): then every slot in flight gets a lane of its own instead of waiting behind
    /// others in one claim. Setting it also stops the CUDA forwarder from running a lone slot itself (its latency path,
    /// which saves about a microsecond): while it ran a long one, no new slot would be seen.
    /// </summary>
    public int? MaxClaim { get; init; }

    /// <summary>Bytes of the data buffer handlers read through <see cref="SlotContext.Bytes"/>. Default 1 MiB.</summary>
    public int DataBytes { get; init; } = 1 << 20;

    /// <summary>Most heap words: 2^28 (1 GiB), so every heap offset fits the 32-bit argument words.</summary>
    public const int MaxHeapWords = 1 << 28;

    /// <summary>
    /// Entries of the round-trip trace (benchmarks only: <c>Internals.RoundTripTrace</c>); 0, the default, turns it off.
    /// Sequence <c>s</c> stamps entry <c>s % TraceEntries</c> in device memory; a power of two, so that a stamp masks rather
    /// than divides (the stamps' own cost is part of the breakdown they measure).
    /// </summary>
    internal int TraceEntries { get; init; }

    /// <summary>Words of the heap the memory built-ins use (1 to <see cref="MaxHeapWords"/>). Default 65,536.</summary>
    public int HeapWords { get; init; } = 1 << 16;

    /// <summary>Most <see cref="ProgramWords"/>: 2^24 (64 MiB).</summary>
    public const int MaxProgramWords = 1 << 24;

    /// <summary>
    /// Words of device memory for VIR0 programs loaded with <see cref="MegakernelHost.LoadProgram"/> (docs/vir0.md),
    /// 0 to <see cref="MaxProgramWords"/>; each program takes its length rounded up to 32 words. 0 turns EXEC off (an
    /// EXEC slot then faults <see cref="FaultCode.Unsupported"/>). Default 65,536 (256 KiB). While it is above 0, every
    /// ring slot also gets <see cref="Programs.Vir0Format.MaxRegisters"/> words of register memory (256 bytes per slot).
    /// </summary>
    public int ProgramWords { get; init; } = 1 << 16;

    /// <summary>How long the host heartbeat may stay unchanged before the device loop exits by itself. Default 2 s.</summary>
    public TimeSpan HeartbeatTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Bound of every host wait (a slot, room in the ring, shutdown). Default 30 s.</summary>
    public TimeSpan WaitTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How streaming and LOAD_MISS read files. Default <see cref="IoReads.IoUring"/>: where io_uring is
    /// unavailable they fail with the cause; positional reads are used only when asked for.
    /// </summary>
    public IoReads IoReads { get; init; } = IoReads.IoUring;

    /// <summary>
    /// Where the Cuda backend keeps kernels it had to compile at start (an architecture the build did not ship),
    /// so the next start loads them instead. Default (null): <c>$VYRE_KERNEL_CACHE</c>, else
    /// <c>$XDG_CACHE_HOME/vyre/kernels</c>, else <c>~/.cache/vyre/kernels</c>. An empty string turns the cache off.
    /// The folder is made private to the user (mode 0700); one that others can write to is not used.
    /// </summary>
    public string? KernelCacheDirectory { get; init; }

    /// <summary>
    /// Where the host logs what it chose (the backend, the kernel's origin), shutdown summaries, fallbacks (pread for
    /// io_uring, the page cache for O_DIRECT) and failures, through LoggerMessage-generated messages with stable event ids
    /// (docs/telemetry.md). Default: none, and nothing is written anywhere.
    /// </summary>
    public ILogger? Logger { get; init; }

    /// <summary>
    /// The CUDA device the host runs on (<see cref="GpuDevice.Index"/>; <see cref="MegakernelHost.CudaDevices"/> lists them).
    /// Unset: the first device <see cref="CudaDeviceFilter"/> accepts, else device 0. Ignored off CUDA.
    /// </summary>
    public int? CudaDevice { get; init; }

    /// <summary>
    /// Picks the CUDA device when <see cref="CudaDevice"/> is unset: the first device (by index) it accepts, e.g.
    /// <c>d =&gt; d.Name.Contains("H200")</c> or <c>d =&gt; d.MemoryBytes &gt;= 64L &lt;&lt; 30</c>. None accepted: the start fails
    /// and the message lists the devices. Ignored off CUDA.
    /// </summary>
    public Func<GpuDevice, bool>? CudaDeviceFilter { get; init; }

    /// <summary>
    /// Most slots outstanding (published, results not yet read) with which a <see cref="SlotPriority.Normal"/> slot is still
    /// published; more urgent levels are held back only by the ring's size. Unset: <see cref="SlotCount"/> (Normal waits
    /// only for room). Give less to keep room for Critical and High slots while Normal work floods the ring.
    /// </summary>
    public int? NormalPriorityWindow { get; init; }

    /// <summary>The window of <see cref="SlotPriority.Low"/> slots (as <see cref="NormalPriorityWindow"/>). Unset: a quarter of <see cref="SlotCount"/>, at most the Normal window.</summary>
    public int? LowPriorityWindow { get; init; }

    /// <summary>
    /// The window of <see cref="SlotPriority.Background"/> slots (as <see cref="NormalPriorityWindow"/>). Unset: a sixteenth
    /// of <see cref="SlotCount"/> (at least 1, at most the Low window). A Critical slot published during a background flood has at most this many
    /// background slots ahead of it in the device's claim order.
    /// </summary>
    public int? BackgroundPriorityWindow { get; init; }

    /// <summary>
    /// The starvation guard: a priority level whose publisher has watched this many reservations by more urgent levels in
    /// a row is admitted next regardless of its window and of waiting more urgent publishers (the ring's room still
    /// applies). Default 16; 1..2^20.
    /// </summary>
    public int StarvationLimit { get; init; } = 16;

    /// <summary>The admission rules these options give (checked by <see cref="Validate"/> first).</summary>
    internal PriorityGate CreatePriorityGate()
    {
        (int normal, int low, int background) = PriorityWindows();
        return new PriorityGate(SlotCount, normal, low, background, StarvationLimit);
    }

    /// <summary>The windows with defaults filled in; a default never exceeds the window of the level above it.</summary>
    internal (int Normal, int Low, int Background) PriorityWindows()
    {
        int normal = NormalPriorityWindow ?? SlotCount;
        int low = LowPriorityWindow ?? Math.Clamp(SlotCount / 4, 1, Math.Max(1, normal));
        int background = BackgroundPriorityWindow ?? Math.Clamp(SlotCount / 16, 1, Math.Max(1, low));
        return (normal, low, background);
    }

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

        if (SlotCount < 2 || SlotCount > MaxSlotCount || !int.IsPow2(SlotCount))
        {
            throw new ArgumentException($"SlotCount {SlotCount} is not a power of two in 2..{MaxSlotCount} (the device maps its 32-bit sequence numbers to slots, which agrees with the host's only for a power of two). Fix: use a power of two, e.g. {(SlotCount is >= 2 and <= MaxSlotCount ? (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)SlotCount) : 4096)}.", nameof(SlotCount));
        }

        if (!Enum.IsDefined(IoReads))
        {
            throw new ArgumentException($"IoReads {(int)IoReads} is not an IoReads value. Fix: use IoReads.IoUring, IoUringElsePositional or Positional.", nameof(IoReads));
        }

        if (Lanes is <= 0 or > MaxLanes)
        {
            throw new ArgumentException($"Lanes {Lanes} is outside 1..{MaxLanes}. Fix: leave it unset for the backend's default or give a count in that range.", nameof(Lanes));
        }

        CheckLanesFor(Backend);

        if (MaxClaim is < 1 or > 1 << 20)
        {
            throw new ArgumentException($"MaxClaim {MaxClaim} is outside 1..{1 << 20}. Fix: leave it unset, or give the slots one claim may take (32 on CUDA or 1 on Managed for long slots).", nameof(MaxClaim));
        }

        if (TraceEntries < 0 || TraceEntries > 1 << 20 || (TraceEntries > 0 && !int.IsPow2(TraceEntries)))
        {
            throw new ArgumentException($"TraceEntries {TraceEntries} must be 0 or a power of two up to {1 << 20}. Fix: give 0 (off) or a power of two such as 4096.", nameof(TraceEntries));
        }

        if (DataBytes < 0 || HeapWords < 1 || HeapWords > MaxHeapWords)
        {
            throw new ArgumentException($"DataBytes {DataBytes} must be ≥ 0 and HeapWords {HeapWords} in 1..{MaxHeapWords}. Fix: give sizes in those ranges.", nameof(DataBytes));
        }

        if (ProgramWords < 0 || ProgramWords > MaxProgramWords)
        {
            throw new ArgumentException($"ProgramWords {ProgramWords} is outside 0..{MaxProgramWords}. Fix: give 0 (EXEC off) or room for the programs you load (default {1 << 16}).", nameof(ProgramWords));
        }

        if (HeartbeatTimeout < MinHeartbeatTimeout || HeartbeatTimeout > MaxTimeout)
        {
            throw new ArgumentException($"HeartbeatTimeout {HeartbeatTimeout} is outside {MinHeartbeatTimeout.TotalMilliseconds:0} ms..{MaxTimeout.TotalDays:0} day. Fix: give a duration in that range (default 2 s).", nameof(HeartbeatTimeout));
        }

        if (WaitTimeout < MinWaitTimeout || WaitTimeout > MaxTimeout)
        {
            throw new ArgumentException($"WaitTimeout {WaitTimeout} is outside {MinWaitTimeout.TotalMilliseconds:0} ms..{MaxTimeout.TotalDays:0} day. Fix: give a duration in that range (default 30 s).", nameof(WaitTimeout));
        }

        if (CudaDevice is < 0)
        {
            throw new ArgumentException($"CudaDevice {CudaDevice} is negative. Fix: give a device index (MegakernelHost.CudaDevices() lists them) or leave it unset.", nameof(CudaDevice));
        }

        if (CudaDevice is not null && CudaDeviceFilter is not null)
        {
            throw new ArgumentException("Both CudaDevice and CudaDeviceFilter are set, and they could disagree. Fix: set one of them.", nameof(CudaDeviceFilter));
        }

        ValidatePriorities();
        if (KernelCacheDirectory is { Length: > 0 } cache && (cache.IndexOf('\0', StringComparison.Ordinal) >= 0 || !System.IO.Path.IsPathFullyQualified(cache)))
        {
            throw new ArgumentException($"KernelCacheDirectory '{cache}' is not an absolute path. Fix: give an absolute folder, an empty string to turn the cache off, or leave it unset.", nameof(KernelCacheDirectory));
        }
    }

    private void ValidatePriorities()
    {
        (int normal, int low, int background) = PriorityWindows();
        if (normal < 1 || normal > SlotCount || low < 1 || low > normal || background < 1 || background > low)
        {
            throw new ArgumentException($"The priority windows (Normal {normal}, Low {low}, Background {background}) must satisfy 1 <= Background <= Low <= Normal <= SlotCount ({SlotCount}); a less urgent level never gets more room than a more urgent one. Fix: give windows in that order, or leave them unset (Normal = SlotCount, Low = SlotCount / 4, Background = SlotCount / 16).", nameof(NormalPriorityWindow));
        }

        if (StarvationLimit is < 1 or > 1 << 20)
        {
            throw new ArgumentException($"StarvationLimit {StarvationLimit} is outside 1..{1 << 20}. Fix: give the reservations by more urgent levels after which a waiting level goes anyway (default 16).", nameof(StarvationLimit));
        }
    }

    /// <summary>Throws when <see cref="Lanes"/> is more than <paramref name="backend"/> can run (called again once <see cref="Backend.Auto"/> has chosen).</summary>
    internal void CheckLanesFor(Backend backend)
    {
        int managedLanes = MaxManagedLanesPerCore * Environment.ProcessorCount;
        if (backend == Backend.Managed && Lanes > managedLanes)
        {
            throw new ArgumentException($"Lanes {Lanes} is more than {MaxManagedLanesPerCore} worker threads per core ({managedLanes} on this machine); the extra workers only spin against each other. Fix: leave Lanes unset (one per core) or give at most {managedLanes}.", nameof(Lanes));
        }

        if (backend == Backend.IlgpuCpu && Lanes is not null and not CpuMemoryBackend.CpuWarpLanes)
        {
            throw new ArgumentException($"Lanes {Lanes}: the IlgpuCpu backend runs one warp of {CpuMemoryBackend.CpuWarpLanes} lanes. Fix: leave Lanes unset.", nameof(Lanes));
        }
    }
}
