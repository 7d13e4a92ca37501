using System;
using Vyre.Internals;

namespace Vyre.Backends;

/// <summary>Which device-side buffer a host read names.</summary>
internal enum DeviceRegion
{
    Heap,
    DebugLog,
    State,

    /// <summary>The round-trip stamps (<c>RoundTripTrace</c>), when the host traces.</summary>
    Trace,

    /// <summary>The VIR0 program table and programs (<see cref="MegakernelBuffers"/>.Programs).</summary>
    Programs,
}

/// <summary>
/// What the host needs of a backend: host pointers to the ring, control block and data buffer, a way
/// to start and stop the device side, and reads of the buffers that live on the device. Everything
/// backend-specific stays behind this interface, in the backend's folder.
/// </summary>
internal unsafe interface IMegakernelBackend : IDisposable
{
    Backend Kind { get; }

    /// <summary>What runs where, for the log line at start.</summary>
    string Description { get; }

    /// <summary>Where the kernel came from (telemetry), and what was tried.</summary>
    Cuda.KernelLoad KernelLoad { get; }

    uint* Ring { get; }

    uint* Control { get; }

    byte* Data { get; }

    /// <summary>The io queue (<see cref="IoQueueLayout"/>), host memory the device writes LOAD_MISS requests into.</summary>
    uint* IoQueue { get; }

    /// <summary>Per ring slot, one more than the sequence the io service last finished there (host memory BATCH_FENCE reads).</summary>
    uint* IoCompleted { get; }

    /// <summary>Per completion group, the count at which it last completed a lap (host memory the device side writes; <c>CompletionGroups</c>).</summary>
    uint* GroupDone { get; }

    int DataBytes { get; }

    int HeapWords { get; }

    /// <summary>Words of the program area, table included; 0 when EXEC is off.</summary>
    int ProgramWords { get; }

    /// <summary>Starts the device side; returns once it serves slots (bounded by <paramref name="timeout"/>).</summary>
    void Start(TimeSpan timeout);

    /// <summary>Called under the ring's publish lock after sequences [first, first + count) were published.</summary>
    void OnPublished(long first, int count);

    /// <summary>Brings the control block's counters (done count, epoch, per-opcode metrics) up to date where the device keeps them elsewhere; called before they are read.</summary>
    void RefreshCounters()
    {
    }

    /// <summary>Sets the control block's stop word and wakes the device side so it sees it.</summary>
    void RequestStop();

    /// <summary>Waits (bounded) for the device side to exit after a stop was asked for; false on timeout.</summary>
    bool WaitForExit(TimeSpan timeout);

    /// <summary>
    /// Whether the device side has failed (a CUDA error on the kernel's stream, a failed Once-mode launch); null while it
    /// is healthy. Cheap: the host's heartbeat thread asks every beat. Once it has answered, the backend treats the device
    /// side as gone: waiting for its exit returns at once and freeing never blocks on it.
    /// </summary>
    DeviceFault? CheckDevice();

    void Read(DeviceRegion region, int offset, Span<uint> into);

    void Write(DeviceRegion region, int offset, ReadOnlySpan<uint> from);

    /// <summary>
    /// Starts copying data-buffer ranges into the heap and returns without waiting: on CUDA one DMA per range by the copy
    /// engine on the copy stream (the data buffer is page-locked host memory; no host copy), marked by an event; elsewhere
    /// a memory copy, done on return. Ranges are checked by the caller; the caller disposes the result once done.
    /// </summary>
    HeapCopy StartDataToHeap(ReadOnlySpan<DataToHeap> copies);
}

/// <summary>One range of <see cref="IMegakernelBackend.StartDataToHeap"/>.</summary>
/// <param name="DataOffset">First byte in the data buffer.</param>
/// <param name="HeapWord">First heap word written.</param>
/// <param name="Bytes">Bytes copied.</param>
internal readonly record struct DataToHeap(int DataOffset, int HeapWord, int Bytes);

/// <summary>A failed device side: what was seen, and the CUDA error code (0 when there is none).</summary>
internal readonly record struct DeviceFault(string Reason, uint Detail);
