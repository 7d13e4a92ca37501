using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using Vyre.Internals;

namespace Vyre.Backends.Cuda;

/// <summary>
/// The persistent megakernel on an NVIDIA GPU. Ring, control block and data buffer are page-locked host
/// memory mapped into the device; heap, debug log, loop state and completion marks are device memory.
/// Order (FACTS.md): allocate everything, load (JIT) the kernel, then launch it once on a stream of its
/// own; host reads of device buffers use a second stream; nothing is freed until the kernel has exited,
/// and the kernel exits by itself when the host heartbeat goes stale.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed unsafe class CudaBackend : IlgpuBackend
{
    private readonly KernelMode _mode;

    /// <summary>The CUDA device index this backend runs on.</summary>
    private readonly int _device;
    private readonly int _lanes;
    private readonly int _groupSize;
    private readonly AcceleratorStream _kernelStream;
    private readonly AcceleratorStream _copyStream;
    private bool _exited = true;

    /// <summary>An event recorded after the persistent launch: its query says whether the kernel ended with a CUDA error.</summary>
    private IntPtr _launchEnd;

    /// <summary>Set once <see cref="CheckDevice"/> has reported a fault: the kernel is dead, and the context poisoned.</summary>
    private volatile bool _lost;

    /// <summary>Backends of this process whose persistent kernel was launched and whose memory is not freed.</summary>
    private static readonly List<CudaBackend> s_resident = [];

    private CudaBackend(Context context, CudaAccelerator accelerator, MegakernelDefinition definition, MegakernelOptions options, bool groupHandlers)
        : base(context, accelerator)
    {
        _mode = options.Mode;
        _device = accelerator.DeviceId;
        _groupSize = definition.Template.WorkgroupSize;
        _lanes = options.Lanes ?? accelerator.NumMultiprocessors * _groupSize * 2;
        if (_lanes % _groupSize != 0)
        {
            throw new ArgumentException($"Lanes {_lanes} is not a multiple of the workgroup size {_groupSize}. Fix: give a multiple of {_groupSize} or leave Lanes unset.", nameof(options));
        }

        // A persistent kernel needs every group resident at once: a group the GPU cannot schedule never runs.
        int resident = accelerator.NumMultiprocessors * accelerator.MaxNumThreadsPerMultiprocessor;
        if (_lanes > resident)
        {
            throw new ArgumentException($"Lanes {_lanes} is more than {accelerator.Name} can keep resident ({resident}). Fix: give at most {resident} or leave Lanes unset.", nameof(options));
        }

        // Warp-wide slots need scratch per warp of the grid: the resident lanes, or in Once mode a launch of up to a ring's slots.
        int gridLanes = _mode == KernelMode.Once ? (options.SlotCount + _groupSize - 1) / _groupSize * _groupSize : _lanes;
        AllocateAll(options, (ulong)options.HeartbeatTimeout.Ticks * 100, groupHandlers ? gridLanes / accelerator.WarpSize : 0);
        _kernelStream = accelerator.CreateStream();
        _copyStream = accelerator.CreateStream();
        PtxKernelCache? cache = PtxKernelCache.Open(options.KernelCacheDirectory, out string cacheUnused);
        System.Reflection.MethodInfo entry = _mode == KernelMode.Persistent ? definition.PersistentKernel.Method : definition.OnceKernel.Method;
        (Kernel kernel, KernelLoad load) = CudaKernelLoader.Load(accelerator, entry, _groupSize, cache);
        UseKernel(kernel, _mode, cacheUnused.Length == 0 || load.Origin == KernelOrigin.Embedded ? load : load with { Detail = load.Detail + $" (kernel cache not used: {cacheUnused})" });
    }

    public override Backend Kind => Backend.Cuda;

    public override string Description => $"Cuda: {_mode} kernel on {Accelerator.Name}, {_lanes} lanes in groups of {_groupSize}; kernel {KernelLoad.Detail}, loaded in {KernelLoad.Elapsed.TotalMilliseconds:0} ms";

    /// <summary>Whether a CUDA device is present (and the driver loads).</summary>
    /// <summary>The CUDA devices, by index; empty without a driver or device.</summary>
    public static IReadOnlyList<GpuDevice> Devices()
    {
        try
        {
            using Context context = Context.Create(builder => builder.Cuda());
            return [.. ListDevices(context).Select(Describe)];
        }
        catch (Exception ex) when (ex is DllNotFoundException or TypeInitializationException or CudaException or NotSupportedException)
        {
            return [];
        }
    }

    private static List<CudaDevice> ListDevices(Context context)
    {
        var devices = new List<CudaDevice>();
        foreach (CudaDevice device in context.GetCudaDevices())
        {
            devices.Add(device);
        }

        return devices;
    }

    private static GpuDevice Describe(CudaDevice device, int index) =>
        new(index, device.Name, device.MemorySize, device.NumMultiprocessors, device.Architecture is { } architecture ? new Version(architecture.Major, architecture.Minor) : new Version(0, 0));

    /// <summary>The device <paramref name="options"/> ask for (<see cref="MegakernelOptions.CudaDevice"/>, else the filter, else 0); throws naming the devices when there is none.</summary>
    private static int ChooseDevice(IReadOnlyList<CudaDevice> devices, MegakernelOptions options)
    {
        string list = string.Join("; ", devices.Select((d, i) => $"{i}: {d.Name}, {d.MemorySize >> 30} GiB"));
        if (options.CudaDevice is int index)
        {
            return index < devices.Count
                ? index
                : throw new ArgumentException($"CudaDevice {index} does not exist: this machine has {devices.Count} CUDA device(s) ({list}). Fix: give an index below {devices.Count}.", nameof(options));
        }

        if (options.CudaDeviceFilter is { } filter)
        {
            for (int i = 0; i < devices.Count; i++)
            {
                if (filter(Describe(devices[i], i)))
                {
                    return i;
                }
            }

            throw new ArgumentException($"CudaDeviceFilter accepted none of this machine's CUDA devices ({list}). Fix: loosen the filter, or set CudaDevice.", nameof(options));
        }

        return 0;
    }

    public static bool IsAvailable() => s_poisoned is null && Devices().Count > 0;

    /// <summary>
    /// Set once a resident kernel of this process ended with a CUDA error: the driver then answers all further CUDA work in
    /// the process with that error ("the process must be terminated and relaunched", the CUDA driver API's words for
    /// launch failures, illegal addresses and traps; tried on the H200: a new context on the same device fails the same way).
    /// </summary>
    private static volatile string? s_poisoned;

    /// <summary>Least time creation may take (the first ILGPU compile of a kernel takes seconds), whatever the wait timeout.</summary>
    private static readonly TimeSpan s_minCreateBound = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Creates the backend, bounded by <see cref="MegakernelOptions.WaitTimeout"/> (at least <see cref="s_minCreateBound"/>):
    /// while a persistent kernel is resident on the GPU, loading another module blocks until it exits (FACTS.md), so a
    /// second host is refused at once when the resident kernel is this process's, and after the bound when it is
    /// another process's.
    /// </summary>
    public static CudaBackend Create(MegakernelDefinition definition, MegakernelOptions options, bool groupHandlers)
    {
        if (s_poisoned is { } poisoned)
        {
            throw new InvalidOperationException($"CUDA cannot be used again in this process: {poisoned}. Fix: exit and restart the process (let its supervisor restart it), or use Backend.Managed (Backend.Auto chooses it now) until then.");
        }

        TimeSpan bound = options.WaitTimeout > s_minCreateBound ? options.WaitTimeout : s_minCreateBound;
        Task<CudaBackend> creating = Task.Factory.StartNew(() => CreateNow(definition, options, groupHandlers), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            if (creating.Wait(bound))
            {
                return creating.Result;
            }
        }
        catch (AggregateException wrapped) when (wrapped.InnerExceptions.Count == 1)
        {
            ExceptionDispatchInfo.Throw(wrapped.InnerExceptions[0]);
        }

        // The load finishes once the other kernel exits; free what it made then.
        creating.ContinueWith(t => t.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
        throw new TimeoutException($"Compiling and loading the CUDA megakernel did not finish within {bound.TotalSeconds:0.#} s: most likely a kernel resident on the GPU (another process's megakernel?) blocks module loads until it exits. Fix: run one resident megakernel per GPU and share its host, stop the other process's host, or raise MegakernelOptions.WaitTimeout.");
    }

    /// <summary>
    /// Throws when a persistent kernel of this process is still resident on <paramref name="device"/>: loading a module
    /// there now would block until it exits. (Other devices have contexts of their own; one host per GPU is the design.)
    /// </summary>
    private static void ThrowIfResidentKernelRunning(int device)
    {
        lock (s_resident)
        {
            foreach (CudaBackend backend in s_resident)
            {
                if (backend._device == device && !backend._lost && Volatile.Read(ref backend.Control[ControlWord.KernelState]) != (uint)KernelState.Exited)
                {
                    throw new InvalidOperationException($"A Vyre megakernel of this process is resident on CUDA device {device}, and CUDA cannot load another module there while it runs. Fix: share one MegakernelHost per GPU (it is thread-safe), or dispose the other host first; a kernel stuck in a handler holds the GPU until that handler returns.");
                }
            }
        }
    }

    private static CudaBackend CreateNow(MegakernelDefinition definition, MegakernelOptions options, bool groupHandlers)
    {
        Context context = Context.Create(builder => CudaCompileSettings.Apply(builder.Cuda()));
        if (context.GetCudaDevices().Count == 0)
        {
            context.Dispose();
            throw new InvalidOperationException("Backend.Cuda was asked for, but no CUDA device was found. Fix: run on a machine with an NVIDIA GPU and driver, or use Backend.Auto or Backend.Managed.");
        }

        int device;
        try
        {
            device = ChooseDevice(ListDevices(context), options);
            ThrowIfResidentKernelRunning(device);
        }
        catch
        {
            context.Dispose();
            throw;
        }

        CudaAccelerator accelerator = context.CreateCudaAccelerator(device);
        try
        {
            return new CudaBackend(context, accelerator, definition, options, groupHandlers);
        }
        catch (Exception failure)
        {
            try
            {
                accelerator.Dispose();
                context.Dispose();
            }
            catch (CudaException cleanup)
            {
                throw new AggregateException(failure.Message, failure, cleanup);
            }

            throw;
        }
    }

    protected override MemoryBuffer AllocateShared(long bytes, out IntPtr hostPointer)
    {
        var buffer = new MappedHostBuffer((CudaAccelerator)Accelerator, bytes);
        hostPointer = buffer.HostPointer;
        return buffer;
    }

    public override void Start(TimeSpan timeout)
    {
        Control[ControlWord.Heartbeat] = 1;
        if (_mode == KernelMode.Once)
        {
            StartOnceMode();
            return;
        }

        _exited = false;
        lock (s_resident)
        {
            s_resident.Add(this);
        }

        PersistentKernel!(_kernelStream, _lanes, Buffers);
        using (Accelerator.BindScoped())
        {
            CudaException.ThrowIfFailed(CudaAPI.CurrentAPI.CreateEvent(out _launchEnd, CudaEventFlags.CU_EVENT_DISABLE_TIMING));
            CudaException.ThrowIfFailed(CudaAPI.CurrentAPI.RecordEvent(_launchEnd, ((CudaStream)_kernelStream).StreamPtr));
        }

        if (!WaitForControl(ControlWord.KernelState, (uint)KernelState.Running, timeout))
        {
            throw new TimeoutException($"The CUDA megakernel did not report running within {timeout.TotalSeconds:0.#} s. Fix: check that no other kernel holds the GPU; the kernel exits by itself once the heartbeat stops.");
        }
    }

    protected override void LaunchOnce(long first, int count)
    {
        int padded = (count + _groupSize - 1) / _groupSize * _groupSize;
        OnceKernel!(_kernelStream, padded, Buffers, (uint)first, count);
        _kernelStream.Synchronize();
    }

    public override DeviceFault? CheckDevice()
    {
        DeviceFault? fault = base.CheckDevice();
        if (fault is null && _launchEnd != IntPtr.Zero && !_lost)
        {
            using ScopedAcceleratorBinding binding = Accelerator.BindScoped();
            CudaError state = CudaAPI.CurrentAPI.QueryEvent(_launchEnd);
            if (state is not (CudaError.CUDA_SUCCESS or CudaError.CUDA_ERROR_NOT_READY))
            {
                fault = new DeviceFault($"CUDA reported {state} ({(int)state}) for the resident kernel on {Accelerator.Name}; CUDA cannot be used again in this process", (uint)state);
            }
        }

        if (fault is { } lost)
        {
            _lost = true;
            s_poisoned ??= $"{lost.Reason} ({DateTime.UtcNow:yyyy-MM-dd HH:mm:ss} UTC)";
        }

        return fault;
    }

    public override bool WaitForExit(TimeSpan timeout)
    {
        if (_lost)
        {
            // The kernel ended with the error: nothing runs, and a poisoned context answers every wait with that error.
            _exited = true;
            return true;
        }

        if (_mode == KernelMode.Once)
        {
            // Memory is freed only once no launch runs (freeing under a running kernel blocks until it ends).
            _exited = StopOnceMode(timeout);
            return _exited;
        }

        if (!WaitForControl(ControlWord.KernelState, (uint)KernelState.Exited, timeout))
        {
            return false;
        }

        _kernelStream.Synchronize();
        _exited = true;
        return true;
    }

    public override void Read(DeviceRegion region, int offset, Span<uint> into)
    {
        uint[] staging = new uint[into.Length];
        lock (_copyStream)
        {
            View(region).SubView(offset, into.Length).CopyToCPU(_copyStream, staging);
            _copyStream.Synchronize();
        }

        staging.CopyTo(into);
    }

    /// <remarks>Host threads (heap writes, telemetry) take the copy stream in turn.</remarks>
    public override void Write(DeviceRegion region, int offset, ReadOnlySpan<uint> from)
    {
        uint[] staging = from.ToArray();
        lock (_copyStream)
        {
            View(region).SubView(offset, from.Length).CopyFromCPU(_copyStream, staging);
            _copyStream.Synchronize();
        }
    }

    public override HeapCopy StartDataToHeap(ReadOnlySpan<DataToHeap> copies)
    {
        ArrayView<byte> data = Buffers.Data;
        ArrayView<byte> heap = Buffers.Heap.Cast<byte>();
        lock (_copyStream)
        {
            foreach (DataToHeap copy in copies)
            {
                CudaMemoryBuffer.CudaCopy((CudaStream)_copyStream, data.SubView(copy.DataOffset, copy.Bytes), heap.SubView((long)copy.HeapWord * sizeof(uint), copy.Bytes));
            }

            return new CudaHeapCopy(Accelerator, (CudaStream)_copyStream);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (!_exited)
        {
            // Freeing while the kernel runs would block until it exits (FACTS.md); the heartbeat
            // has stopped, so it will, and the process's memory goes with the context at exit.
            return;
        }

        lock (s_resident)
        {
            s_resident.Remove(this);
        }

        if (!_lost)
        {
            if (disposing)
            {
                DestroyLaunchEvent();
                _copyStream.Dispose();
                _kernelStream.Dispose();
            }

            base.Dispose(disposing);
            return;
        }

        // A poisoned context answers every free with its error, and the process cannot use CUDA again: its memory is
        // released with the process, which has to restart anyway.
    }

    private void DestroyLaunchEvent()
    {
        if (_launchEnd != IntPtr.Zero)
        {
            using ScopedAcceleratorBinding binding = Accelerator.BindScoped();
            CudaAPI.CurrentAPI.DestroyEvent(_launchEnd);
            _launchEnd = IntPtr.Zero;
        }
    }
}
