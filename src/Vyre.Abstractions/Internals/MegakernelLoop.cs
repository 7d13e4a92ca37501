using System.ComponentModel;
using ILGPU;

namespace Vyre.Internals;

/// <summary>
/// The device side of the megakernel, specialised per megakernel through its <c>TDispatcher</c> type argument
/// in the generated entry points.
/// <para>
/// Persistent loop: thread 0 is the <em>forwarder</em>, the only thread that reads host memory while
/// idle (FACTS.md: every idle poller of host memory adds about 1.3 µs to a round trip). It reads the
/// host's shutdown, heartbeat and doorbell words and republishes the doorbell in device memory; when a
/// single slot arrives on an idle queue it claims and runs that slot itself (the single-poller latency
/// path). Every warp's lane 0 polls device memory only, claims up to a warp of sequence numbers with one
/// compare-exchange, and broadcasts them; each lane runs one slot, reading its payload from the ring.
/// </para>
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class MegakernelLoop
{
    /// <summary>Idle iterations between two republishes of the metric words while slots keep arriving.</summary>
    private const int MetricsPeriod = 4096;

    /// <summary>
    /// Forwarder iterations between two reads of the host's shutdown and heartbeat words. Every read of host
    /// memory is a PCIe round trip; reading only the doorbell in the other iterations lets a new slot be seen
    /// sooner, and shutdown still takes effect within a few microseconds.
    /// </summary>
    private const uint HousekeepingPeriod = 16;

    /// <summary>The persistent loop: serves slots until SHUTDOWN, the host's stop word, or a stale heartbeat.</summary>
    public static void RunPersistent<TDispatcher>(Index1D index, MegakernelBuffers buffers)
        where TDispatcher : struct, IMegakernelDispatcher
    {
        bool forwarder = index == 0;
        var forward = new ForwarderState();
        if (forwarder)
        {
            forward.BeatSeenAt = DeviceMemory.Now(buffers.State);
            buffers.Control.Write(ControlWord.KernelState, (uint)KernelState.Running);
            MemoryFence.SystemLevel();
        }

        int lane = Warp.LaneIdx;
        while (true)
        {
            if (forwarder)
            {
                Forward<TDispatcher>(buffers, ref forward);
            }

            uint stop = 0;
            uint first = 0;
            uint count = 0;
            if (lane == 0)
            {
                stop = buffers.State.Read(DeviceStateWord.Stop);
                uint doorbell = buffers.State.Read(DeviceStateWord.Doorbell);
                uint claim = buffers.State.Read(DeviceStateWord.ClaimCursor);
                int available = (int)(doorbell - claim);
                if (available > 0)
                {
                    uint take = (uint)(available < Warp.WarpSize ? available : Warp.WarpSize);
                    if (Atomic.CompareExchange(ref buffers.State.View[DeviceStateWord.ClaimCursor], claim, claim + take) == claim)
                    {
                        first = claim;
                        count = take;
                    }
                }
            }

            stop = Warp.Shuffle(stop, 0);
            first = Warp.Shuffle(first, 0);
            count = Warp.Shuffle(count, 0);
            if ((uint)lane < count)
            {
                RunOne<TDispatcher>(buffers, first + (uint)lane);
            }

            if (stop != 0 && count == 0)
            {
                break;
            }
        }

        if (forwarder)
        {
            Republish(buffers, ref forward, metrics: true);
            buffers.Control.Write(ControlWord.ExitReason, buffers.State.Read(DeviceStateWord.Stop));
            MemoryFence.SystemLevel();
            buffers.Control.Write(ControlWord.KernelState, (uint)KernelState.Exited);
            MemoryFence.SystemLevel();
        }
    }

    /// <summary>
    /// The finite loop: thread <c>i</c> runs sequence <c>first + i</c> for <c>i &lt; count</c>, then the
    /// kernel ends. This is the relaunch-per-batch model of the seed crate, kept as a path and a baseline.
    /// </summary>
    public static void RunOnce<TDispatcher>(Index1D index, MegakernelBuffers buffers, uint first, int count)
        where TDispatcher : struct, IMegakernelDispatcher
    {
        if (index < count)
        {
            RunOne<TDispatcher>(buffers, first + (uint)index.X);
        }
    }

    private static void RunOne<TDispatcher>(in MegakernelBuffers buffers, uint sequence)
        where TDispatcher : struct, IMegakernelDispatcher
    {
        int slotBase = (int)(sequence % (uint)buffers.SlotCount) * SlotLayout.WordCount;
        uint opcode = buffers.Ring.Read(slotBase + SlotLayout.Opcode);
        uint tenant = buffers.Ring.Read(slotBase + SlotLayout.Tenant);
        int ordinal = SlotExecutor.Execute<TDispatcher>(buffers, sequence, opcode, tenant);
        Atomic.Add(ref buffers.State.View[DeviceStateWord.MetricsFirst + ordinal], 1u);
        Atomic.Add(ref buffers.State.View[DeviceStateWord.DoneCount], 1u);
    }

    private static void Forward<TDispatcher>(in MegakernelBuffers buffers, ref ForwarderState forward)
        where TDispatcher : struct, IMegakernelDispatcher
    {
        if (forward.Iterations % HousekeepingPeriod == 0)
        {
            Housekeep(buffers, ref forward);
        }

        uint published = buffers.Control.Read(ControlWord.PublishCursor);
        if (published != forward.Doorbell)
        {
            uint doorbell = forward.Doorbell;
            bool serveHere = published - doorbell == 1
                && Atomic.CompareExchange(ref buffers.State.View[DeviceStateWord.ClaimCursor], doorbell, doorbell + 1) == doorbell;
            forward.Doorbell = published;
            buffers.State.Write(DeviceStateWord.Doorbell, published);
            MemoryFence.DeviceLevel();
            if (serveHere)
            {
                RunOne<TDispatcher>(buffers, doorbell);
            }
        }

        Republish(buffers, ref forward, metrics: ++forward.Iterations % MetricsPeriod == 0);
    }

    /// <summary>Reads the host's shutdown and heartbeat words and sets the stop word when either says so.</summary>
    private static void Housekeep(in MegakernelBuffers buffers, ref ForwarderState forward)
    {
        if (buffers.Control.Read(ControlWord.Shutdown) != 0)
        {
            Atomic.CompareExchange(ref buffers.State.View[DeviceStateWord.Stop], 0u, (uint)KernelExitReason.HostShutdown);
        }

        uint beat = buffers.Control.Read(ControlWord.Heartbeat);
        ulong now = DeviceMemory.Now(buffers.State);
        if (beat != forward.LastBeat || now < forward.BeatSeenAt)
        {
            // A new beat; or the CPU backends' millisecond clock wrapped (after 49 days), which restarts the wait.
            forward.LastBeat = beat;
            forward.BeatSeenAt = now;
        }
        else if (now - forward.BeatSeenAt > buffers.HeartbeatTimeout)
        {
            Atomic.CompareExchange(ref buffers.State.View[DeviceStateWord.Stop], 0u, (uint)KernelExitReason.HeartbeatStale);
        }
    }

    /// <summary>Copies the device-side counters to their host-visible control words; the forwarder is their only writer.</summary>
    private static void Republish(in MegakernelBuffers buffers, ref ForwarderState forward, bool metrics)
    {
        uint done = buffers.State.Read(DeviceStateWord.DoneCount);
        if (done != forward.LastDone)
        {
            forward.LastDone = done;
            forward.MetricsStale = true;
            buffers.Control.Write(ControlWord.Epoch, buffers.State.Read(DeviceStateWord.Epoch));
            MemoryFence.SystemLevel();
            buffers.Control.Write(ControlWord.DoneCount, done);
        }

        if (metrics && forward.MetricsStale)
        {
            forward.MetricsStale = false;
            for (int i = 0; i < ControlWord.MetricCount; i++)
            {
                buffers.Control.Write(ControlWord.OpcodeMetricsFirst + i, buffers.State.Read(DeviceStateWord.MetricsFirst + i));
            }
        }
    }

    /// <summary>What the forwarder keeps in registers between iterations.</summary>
    private struct ForwarderState
    {
        public uint Doorbell;
        public uint LastBeat;
        public ulong BeatSeenAt;
        public uint LastDone;
        public bool MetricsStale;
        public uint Iterations;
    }
}
