using System;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime;
using Vyre.Backends.Cuda;
using Vyre.Internals;
using Vyre.Programs;

namespace Vyre.Backends;

/// <summary>
/// What the ILGPU-based backends share: the accelerator, the seven buffers of
/// <see cref="MegakernelBuffers"/>, and reads of device buffers. Subclasses choose where each buffer
/// lives (<see cref="AllocateShared"/>: memory both sides read; <see cref="AllocateDevice"/>: device memory).
/// </summary>
internal abstract unsafe class IlgpuBackend : IMegakernelBackend
{
    private MemoryBuffer? _ring;
    private MemoryBuffer? _control;
    private MemoryBuffer? _data;
    private MemoryBuffer? _ioQueue;
    private MemoryBuffer? _ioCompleted;
    private MemoryBuffer? _groupDone;
    private MemoryBuffer1D<uint, Stride1D.Dense>? _groupCounts;
    private MemoryBuffer1D<uint, Stride1D.Dense>? _heap;
    private MemoryBuffer1D<uint, Stride1D.Dense>? _debugLog;
    private MemoryBuffer1D<uint, Stride1D.Dense>? _state;
    private MemoryBuffer1D<uint, Stride1D.Dense>? _completed;
    private MemoryBuffer1D<uint, Stride1D.Dense>? _scratch;
    private MemoryBuffer1D<uint, Stride1D.Dense>? _trace;
    private MemoryBuffer1D<uint, Stride1D.Dense>? _programs;
    private MemoryBuffer1D<uint, Stride1D.Dense>? _registers;
    private MemoryBuffer1D<uint, Stride1D.Dense>? _groupScratch;
    private Kernel? _kernel;
    private OnceLauncher? _once;
    private ILogger _log = NullLogger.Instance;
    private int _slotCount;

    protected IlgpuBackend(Context context, Accelerator accelerator)
    {
        Context = context;
        Accelerator = accelerator;
    }

    public abstract Backend Kind { get; }

    public abstract string Description { get; }

    public uint* Ring { get; private set; }

    public uint* Control { get; private set; }

    public byte* Data { get; private set; }

    public uint* IoQueue { get; private set; }

    public uint* IoCompleted { get; private set; }

    public uint* GroupDone { get; private set; }

    public int DataBytes { get; private set; }

    public int HeapWords { get; private set; }

    public int ProgramWords { get; private set; }

    protected Context Context { get; }

    protected Accelerator Accelerator { get; }

    protected MegakernelBuffers Buffers { get; private set; }

    /// <summary>
    /// Allocates every buffer; called once, before any kernel is loaded or launched. <paramref name="groupWarps"/>: warps that
    /// may run warp-wide slots, each given <see cref="GroupScratch.Words"/> of device memory (0 without warp-wide handlers).
    /// </summary>
    protected void AllocateAll(MegakernelOptions options, ulong heartbeatTimeout, int groupWarps)
    {
        _log = options.Logger ?? NullLogger.Instance;
        _slotCount = options.SlotCount;
        _ring = AllocateShared((long)options.SlotCount * SlotLayout.SizeInBytes, out IntPtr ring);
        _control = AllocateShared(ControlWord.AllocatedWords * sizeof(uint), out IntPtr control);
        _data = AllocateShared(Math.Max(options.DataBytes, 1), out IntPtr data);
        _ioQueue = AllocateShared(IoQueueLayout.WordCount * sizeof(uint), out IntPtr ioQueue);
        _ioCompleted = AllocateShared((long)options.SlotCount * sizeof(uint), out IntPtr ioCompleted);
        int groups = CompletionGroups.GroupCountFor(options.SlotCount);
        _groupDone = AllocateShared((long)groups * sizeof(uint), out IntPtr groupDone);
        _groupCounts = AllocateDevice(groups);
        _heap = AllocateDevice(options.HeapWords);
        _debugLog = AllocateDevice(DebugLogLayout.WordCount);
        _state = AllocateDevice(DeviceStateWord.WordCount);
        _completed = AllocateDevice(options.SlotCount);
        _scratch = AllocateDevice(options.SlotCount * SlotScratch.WordsPerSlot);
        _trace = options.TraceEntries > 0 ? AllocateDevice(options.TraceEntries * RoundTripTrace.WordsPerEntry) : null;
        bool programs = options.ProgramWords > 0;
        _programs = AllocateDevice(programs ? Vir0Format.TableWords + options.ProgramWords : 1);
        _registers = AllocateDevice(programs ? options.SlotCount * Vir0Format.MaxRegisters : 1);
        _groupScratch = AllocateDevice(Math.Max(1, groupWarps * GroupScratch.Words));
        ProgramWords = programs ? Vir0Format.TableWords + options.ProgramWords : 0;
        Ring = (uint*)ring;
        Control = (uint*)control;
        Data = (byte*)data;
        IoQueue = (uint*)ioQueue;
        IoCompleted = (uint*)ioCompleted;
        GroupDone = (uint*)groupDone;
        DataBytes = options.DataBytes;
        HeapWords = options.HeapWords;
        new Span<byte>(Ring, options.SlotCount * SlotLayout.SizeInBytes).Clear();
        new Span<uint>(Control, ControlWord.AllocatedWords).Clear();
        new Span<byte>(Data, DataBytes).Clear();
        new Span<uint>(IoQueue, IoQueueLayout.WordCount).Clear();
        new Span<uint>(IoCompleted, options.SlotCount).Clear();
        new Span<uint>(GroupDone, groups).Clear();
        Control[ControlWord.TenantBase] = ControlWord.TenantMaskFirst;
        Buffers = new MegakernelBuffers
        {
            Ring = Shared(_ring),
            Control = Shared(_control),
            IoQueue = Shared(_ioQueue),
            Data = new ArrayView<byte>(_data, 0, options.DataBytes),
            Heap = _heap.View,
            DataAddress = (ulong)_data.NativePtr,
            HeapAddress = (ulong)_heap.NativePtr,
            ScratchAddress = (ulong)_scratch.NativePtr,
            GroupScratchAddress = (ulong)_groupScratch.NativePtr,
            DebugLog = _debugLog.View,
            State = Shared(_state),
            Completed = Shared(_completed),
            IoCompleted = Shared(_ioCompleted),
            GroupCounts = _groupCounts.View,
            GroupDone = Shared(_groupDone),
            Trace = _trace?.View ?? ArrayView<uint>.Empty,
            Programs = Shared(_programs),
            Registers = Shared(_registers),
            GroupScratch = groupWarps > 0 ? _groupScratch.View : ArrayView<uint>.Empty,
            SlotCount = options.SlotCount,
            GroupSize = CompletionGroups.GroupSizeFor(options.SlotCount),
            MaxClaim = options.MaxClaim ?? int.MaxValue,
            ForwarderServes = options.MaxClaim is null ? 1 : 0,
            HeartbeatTimeout = heartbeatTimeout,
        };
    }

    private static SharedWords Shared(MemoryBuffer buffer) =>
        new(new ArrayView<byte>(buffer, 0, buffer.LengthInBytes).Cast<uint>(), (ulong)buffer.NativePtr);

    /// <summary>The persistent kernel, loaded by <c>LoadKernel</c> in persistent mode.</summary>
    protected Action<AcceleratorStream, Index1D, MegakernelBuffers>? PersistentKernel { get; private set; }

    /// <summary>The finite "once" kernel, loaded by <c>LoadKernel</c> in once mode.</summary>
    protected Action<AcceleratorStream, Index1D, MegakernelBuffers, uint, int>? OnceKernel { get; private set; }

    /// <summary>Where the kernel came from and how long loading it took; <see cref="KernelOrigin.None"/> until one is loaded.</summary>
    public KernelLoad KernelLoad { get; private set; } = new(KernelOrigin.None, TimeSpan.Zero, "no kernel: the dispatcher runs as .NET code");

    /// <summary>Compiles (ILGPU, from IL) and loads <paramref name="persistent"/> or <paramref name="once"/>, as <paramref name="mode"/> needs, in groups of <paramref name="groupSize"/>.</summary>
    protected void LoadKernel(Action<Index1D, MegakernelBuffers> persistent, Action<Index1D, MegakernelBuffers, uint, int> once, KernelMode mode, int groupSize)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        if (mode == KernelMode.Persistent)
        {
            PersistentKernel = Accelerator.LoadImplicitlyGroupedKernel<Index1D, MegakernelBuffers>(persistent, groupSize);
        }
        else
        {
            OnceKernel = Accelerator.LoadImplicitlyGroupedKernel<Index1D, MegakernelBuffers, uint, int>(once, groupSize);
        }

        KernelLoad = new KernelLoad(KernelOrigin.CompiledAtStart, clock.Elapsed, "compiled from IL at start");
    }

    /// <summary>Takes <paramref name="kernel"/>, loaded elsewhere, as the kernel <paramref name="mode"/> needs; disposed with the backend.</summary>
    protected void UseKernel(Kernel kernel, KernelMode mode, KernelLoad load)
    {
        _kernel = kernel;
        if (mode == KernelMode.Persistent)
        {
            PersistentKernel = kernel.CreateLauncherDelegate<Action<AcceleratorStream, Index1D, MegakernelBuffers>>();
        }
        else
        {
            OnceKernel = kernel.CreateLauncherDelegate<Action<AcceleratorStream, Index1D, MegakernelBuffers, uint, int>>();
        }

        KernelLoad = load;
    }

    /// <summary>Memory the host reads and writes through a pointer and the device reads directly.</summary>
    protected abstract MemoryBuffer AllocateShared(long bytes, out IntPtr hostPointer);

    /// <summary>Zeroed memory of the device side.</summary>
    protected virtual MemoryBuffer1D<uint, Stride1D.Dense> AllocateDevice(int words)
    {
        MemoryBuffer1D<uint, Stride1D.Dense> buffer = Accelerator.Allocate1D<uint>(words);
        buffer.MemSetToZero();
        Accelerator.Synchronize();
        return buffer;
    }

    public abstract void Start(TimeSpan timeout);

    public virtual void OnPublished(long first, int count) => _once?.Enqueue(first, count);

    /// <summary>Once mode's start: the kernel runs per published range, launched by a thread of its own (<see cref="OnceLauncher"/>).</summary>
    protected void StartOnceMode()
    {
        _once = new OnceLauncher(LaunchOnce, _slotCount, _log, $"vyre-once-{Kind}");
        Control[ControlWord.KernelState] = (uint)KernelState.Running;
    }

    /// <summary>Once mode's exit: waits for the queued launches (at most <paramref name="timeout"/>) and stops the launch thread; false when a launch still runs.</summary>
    protected bool StopOnceMode(TimeSpan timeout)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        if (_once is not null && !(_once.Drain(timeout) && _once.Stop(Remaining(deadline))))
        {
            return false;
        }

        Control[ControlWord.KernelState] = (uint)KernelState.Exited;
        return true;
    }

    /// <summary>Launches the finite kernel for sequences <paramref name="first"/>..+<paramref name="count"/> and returns once it has run.</summary>
    protected virtual void LaunchOnce(long first, int count) =>
        throw new NotSupportedException($"{Kind} has no Once kernel.");

    /// <summary>In Once mode the finite kernel counts in device memory: copies its counters to the control block, where the host reads them.</summary>
    public void RefreshCounters()
    {
        if (_once is null)
        {
            return;
        }

        uint[] state = new uint[DeviceStateWord.WordCount];
        Read(DeviceRegion.State, 0, state);
        Control[ControlWord.Epoch] = state[DeviceStateWord.Epoch];
        for (int i = 0; i < ControlWord.MetricCount; i++)
        {
            Control[ControlWord.OpcodeMetricsFirst + i] = state[DeviceStateWord.MetricsFirst + i];
        }

        System.Threading.Volatile.Write(ref Control[ControlWord.DoneCount], state[DeviceStateWord.DoneCount]);
    }

    public virtual void RequestStop() => System.Threading.Volatile.Write(ref Control[ControlWord.Shutdown], 1);

    public abstract bool WaitForExit(TimeSpan timeout);

    public virtual DeviceFault? CheckDevice() => _once?.Failure is { } failure
        ? new DeviceFault($"a Once-mode launch failed: {failure.Message}", 0)
        : null;

    public virtual void Read(DeviceRegion region, int offset, Span<uint> into) =>
        View(region).SubView(offset, into.Length).CopyToCPU(into);

    public virtual void Write(DeviceRegion region, int offset, ReadOnlySpan<uint> from) =>
        View(region).SubView(offset, from.Length).CopyFromCPU(from);

    public virtual HeapCopy StartDataToHeap(ReadOnlySpan<DataToHeap> copies)
    {
        foreach (DataToHeap copy in copies)
        {
            new ReadOnlySpan<byte>(Data + copy.DataOffset, copy.Bytes).CopyTo(new Span<byte>((byte*)HeapPointer + ((long)copy.HeapWord * sizeof(uint)), copy.Bytes));
        }

        return HeapCopy.Done;
    }

    /// <summary>The heap's first word where the host can address it (the CPU backends); the CUDA backend copies instead.</summary>
    private nint HeapPointer => _heap!.NativePtr;

    protected ArrayView<uint> View(DeviceRegion region) => region switch
    {
        DeviceRegion.Heap => Buffers.Heap,
        DeviceRegion.DebugLog => Buffers.DebugLog,
        DeviceRegion.Trace => Buffers.Trace,
        DeviceRegion.Programs => Buffers.Programs.View,
        _ => Buffers.State.View,
    };

    /// <summary>Spins (bounded) until a control word reaches <paramref name="value"/>.</summary>
    protected bool WaitForControl(int word, uint value, TimeSpan timeout)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (System.Threading.Volatile.Read(ref Control[word]) != value)
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            System.Threading.Thread.Yield();
        }

        return true;
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (!disposing)
        {
            return;
        }

        _once?.Dispose();
        _kernel?.Dispose();
        _scratch?.Dispose();
        _trace?.Dispose();
        _programs?.Dispose();
        _registers?.Dispose();
        _groupScratch?.Dispose();
        _completed?.Dispose();
        _state?.Dispose();
        _debugLog?.Dispose();
        _heap?.Dispose();
        _ioCompleted?.Dispose();
        _groupDone?.Dispose();
        _groupCounts?.Dispose();
        _ioQueue?.Dispose();
        _data?.Dispose();
        _control?.Dispose();
        _ring?.Dispose();
        Accelerator.Dispose();
        Context.Dispose();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    protected static TimeSpan Remaining(DateTime deadline) => deadline > DateTime.UtcNow ? deadline - DateTime.UtcNow : TimeSpan.Zero;
}
