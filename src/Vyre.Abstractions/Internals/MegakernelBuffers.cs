using System.ComponentModel;
using System.Runtime.CompilerServices;
using ILGPU;

namespace Vyre.Internals;

/// <summary>
/// Every buffer the device loop touches, passed to the kernel as one argument. Where each lives (host
/// memory mapped into the device, or device memory) is the backend's choice; docs/protocol.md lists them.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public struct MegakernelBuffers
{
#pragma warning disable IDE1006 // Named as the protocol's buffer list (docs/protocol.md), not as private state: ILGPU passes these fields to the kernel.
    /// <summary>The ring: <see cref="SlotCount"/> slots of <see cref="SlotLayout.WordCount"/> words (host-mapped).</summary>
    internal SharedWords Ring;

    /// <summary>The control block and the express line, <see cref="ControlWord.AllocatedWords"/> words (host-mapped).</summary>
    internal SharedWords Control;

    /// <summary>The io queue (<see cref="IoQueueLayout"/>; host-mapped): LOAD_MISS requests for the host's io service.</summary>
    internal SharedWords IoQueue;

    /// <summary>The data buffer handlers read through <see cref="SlotContext.Bytes"/>.</summary>
    internal ArrayView<byte> Data;

    /// <summary>The word heap of the memory built-ins (device memory).</summary>
    internal ArrayView<uint> Heap;

    /// <summary>
    /// The address of <see cref="Data"/>'s first byte where the device loop runs (the buffer's <c>NativePtr</c>: a device
    /// address on a GPU, a host address on the CPU backends): views read through it (<see cref="SlotView{T}"/>).
    /// </summary>
    internal ulong DataAddress;

    /// <summary>The address of <see cref="Heap"/>'s first word, as <see cref="DataAddress"/>.</summary>
    internal ulong HeapAddress;

    /// <summary>
    /// The address, as <see cref="DataAddress"/>, of the slots' scratch: per ring slot <see cref="SlotScratch.WordsPerSlot"/>
    /// words of device memory, the running slot's fault and the sink of its out-of-bounds accesses (<see cref="SlotScratch"/>).
    /// </summary>
    internal ulong ScratchAddress;

    /// <summary>The address of <see cref="GroupScratch"/>'s first word, as <see cref="DataAddress"/>.</summary>
    internal ulong GroupScratchAddress;

    /// <summary>The PRINTF debug log (<see cref="DebugLogLayout"/>; device memory).</summary>
    internal ArrayView<uint> DebugLog;

    /// <summary>The device loop's own words (<see cref="DeviceStateWord"/>; device memory).</summary>
    internal SharedWords State;

    /// <summary>
    /// Per ring slot, one more than the sequence number last completed there (device memory; fences read it);
    /// for a slot handed to the host's io service, the complement of that value.
    /// </summary>
    internal SharedWords Completed;

    /// <summary>Per ring slot, one more than the sequence number the host's io service last finished there (host-mapped; the host writes it).</summary>
    internal SharedWords IoCompleted;

    /// <summary>Per group of ring slots, the slots completed there since start (device memory; <see cref="CompletionGroups"/>).</summary>
    internal ArrayView<uint> GroupCounts;

    /// <summary>Per group of ring slots, the count at which the group last completed a lap (host-mapped; <see cref="CompletionGroups"/>).</summary>
    internal SharedWords GroupDone;


    /// <summary>The round-trip stamps of the latency breakdown (<see cref="RoundTripTrace"/>; device memory); empty unless asked for.</summary>
    internal ArrayView<uint> Trace;

    /// <summary>The VIR0 program area (device memory): the program table, then the programs (docs/vir0.md); empty when EXEC is off.</summary>
    internal SharedWords Programs;

    /// <summary>VIR0 register memory (device memory): <c>Vir0Format.MaxRegisters</c> words per ring slot; empty when EXEC is off.</summary>
    internal SharedWords Registers;

    /// <summary>
    /// The scratch of warp-wide slots (device memory): <see cref="GroupScratch.Words"/> per warp of the grid, by the warp's
    /// global index; empty without warp-wide handlers. (Shared memory would be faster, but ILGPU has none for implicitly
    /// grouped kernels, which the shipped kernels are.)
    /// </summary>
    internal ArrayView<uint> GroupScratch;

    /// <summary>Slots in the ring: a power of two (<c>MegakernelOptions</c> refuses any other count).</summary>
    internal int SlotCount;

    /// <summary>Slots per completion group (<see cref="CompletionGroups.GroupSizeFor"/>).</summary>
    internal int GroupSize;

    /// <summary>Most sequences one claim takes (<c>MegakernelOptions.MaxClaim</c>; the loop's own limit when larger).</summary>
    internal int MaxClaim;

    /// <summary>
    /// 1 when the forwarder runs a single slot on an idle queue itself (the short-slot latency path), 0 when it hands
    /// every slot to the warps (<c>MegakernelOptions.MaxClaim</c> set: slots are long, and while the forwarder ran one no
    /// new slot would be seen).
    /// </summary>
    internal int ForwarderServes;

    /// <summary>How long the host heartbeat may stay unchanged before the loop exits, in nanoseconds of <see cref="DeviceMemory.Now"/>.</summary>
    internal ulong HeartbeatTimeout;
#pragma warning restore IDE1006

    /// <summary>
    /// The ring slot of <paramref name="sequence"/>: a mask, not a remainder, since <see cref="SlotCount"/> is a power of
    /// two (a 32-bit remainder by a value known only at run time is about twenty dependent instructions on a GPU). Below
    /// <see cref="SlotCount"/> for any count.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal readonly int SlotOf(uint sequence) => SlotOf(sequence, SlotCount);

    /// <summary><see cref="SlotOf(uint)"/> for a ring of <paramref name="slotCount"/> slots (a power of two).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int SlotOf(uint sequence, int slotCount) => (int)(sequence & (uint)(slotCount - 1));
}

/// <summary>
/// Words of <see cref="MegakernelBuffers.State"/>, written by the device side, but for the host's copy of the tenant masks
/// and the CPU backends' clock. The words every idle warp polls (the doorbell and the claim cursor), the stop word, the
/// counters, the metrics and the tenant masks each sit in a 128-byte line of their own: on one line, a thousand pollers
/// and every lane's counter atomics queued at the same L2 slice.
/// </summary>
internal static class DeviceStateWord
{
    /// <summary>Words per 128-byte line.</summary>
    private const int Line = 32;

    /// <summary>The doorbell as republished in device memory by the forwarder.</summary>
    public const int Doorbell = 0;

    /// <summary>The next sequence number to claim.</summary>
    public const int ClaimCursor = 1;

    /// <summary>Nonzero once the loop must stop; the value is a <see cref="KernelExitReason"/>.</summary>
    public const int Stop = Line;

    /// <summary>Slots completed.</summary>
    public const int DoneCount = 2 * Line;

    /// <summary>Fences completed.</summary>
    public const int Epoch = DoneCount + 1;

    /// <summary>The next io queue ticket: LOAD_MISS request <c>t</c> goes to entry <c>t % IoQueueLayout.Capacity</c>.</summary>
    public const int IoTicket = DoneCount + 2;

    /// <summary>
    /// The last <see cref="ControlWord.IoConsumed"/> a lane read, with <see cref="IoServiceSeen"/> a device-memory
    /// cache that spares most LOAD_MISS requests their reads of host memory (a stale value only makes a lane look again).
    /// </summary>
    public const int IoConsumedSeen = DoneCount + 3;

    /// <summary>Nonzero once a lane has seen the host's io service running; it runs until the loop has stopped.</summary>
    public const int IoServiceSeen = DoneCount + 4;

    /// <summary>First of <see cref="ControlWord.MetricCount"/> per-ordinal completion counters.</summary>
    public const int MetricsFirst = 3 * Line;

    /// <summary>
    /// On the CPU backends, milliseconds since start, written by a clock thread of the backend: there is no
    /// GPU timer there, and the heartbeat and io waits need a clock (<see cref="DeviceMemory.Now"/>).
    /// </summary>
    public const int HostClock = MetricsFirst + ControlWord.MetricCount;

    /// <summary>
    /// First of <see cref="ControlWord.TenantCount"/> tenant permission masks (tenant <c>t</c> at <c>TenantMasksFirst + t - 1</c>):
    /// the host's control words <see cref="ControlWord.TenantMaskFirst"/>.., copied here by the host whenever it sets one,
    /// before the call returns. The device checks slots against this copy: read from host memory, a check was a PCIe round
    /// trip per slot, and the reads of one line by many warps queue behind each other (H200, 2026-12-02: a tenant's round
    /// trip 4.90 µs against 3.60, its slots 32 M/s against 212, docs/benchmarks.md).
    /// </summary>
    public const int TenantMasksFirst = 5 * Line;

    /// <summary>Words in the state block.</summary>
    public const int WordCount = TenantMasksFirst + ControlWord.TenantCount;
}
