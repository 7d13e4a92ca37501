using System.ComponentModel;
using System.Runtime.CompilerServices;
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
        // On a grid of more than one warp, thread 0 does nothing but forward (each of its iterations is one read of the
        // doorbell over PCIe) and the rest of its warp sits out. On a single warp (ILGPU's CPU accelerator, where a
        // warp's lanes must all take part in its shuffles) thread 0 forwards between the warp's claims.
        bool dedicatedForwarder = Grid.DimX * Group.DimX > Warp.WarpSize;
        var forward = new ForwarderState();
        if (index == 0)
        {
            forward.BeatSeenAt = DeviceMemory.Now(buffers.State);
            buffers.Control.Write(ControlWord.KernelState, (uint)KernelState.Running);
            MemoryFence.SystemLevel();
            if (dedicatedForwarder)
            {
                while (buffers.State.Read(DeviceStateWord.Stop) == 0)
                {
                    for (uint i = 0; i < HousekeepingPeriod; i++)
                    {
                        Forward<TDispatcher>(buffers, ref forward);
                    }
                }

                Exit(buffers, ref forward);
                return;
            }
        }
        else if (dedicatedForwarder && index < Warp.WarpSize)
        {
            return;
        }

        int lane = Warp.LaneIdx;
        while (true)
        {
            if (index == 0)
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
                RoundTripTrace.Stamp(buffers, first + (uint)lane, RoundTripTrace.Claimed);
                RunOne<TDispatcher>(buffers, first + (uint)lane);
            }

            if (stop != 0 && count == 0)
            {
                break;
            }
        }

        if (index == 0)
        {
            Exit(buffers, ref forward);
        }
    }

    /// <summary>The forwarder's last words: the counters, the exit reason, then the state the host waits for.</summary>
    private static void Exit(in MegakernelBuffers buffers, ref ForwarderState forward)
    {
        Republish(buffers, ref forward, metrics: true);
        buffers.Control.Write(ControlWord.ExitReason, buffers.State.Read(DeviceStateWord.Stop));
        MemoryFence.SystemLevel();
        buffers.Control.Write(ControlWord.KernelState, (uint)KernelState.Exited);
        MemoryFence.SystemLevel();
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RunOne<TDispatcher>(in MegakernelBuffers buffers, uint sequence)
        where TDispatcher : struct, IMegakernelDispatcher
    {
        int ordinal = SlotExecutor.Execute<TDispatcher>(buffers, sequence);
        Atomic.Add(ref buffers.State.View[DeviceStateWord.MetricsFirst + ordinal], 1u);
        Atomic.Add(ref buffers.State.View[DeviceStateWord.DoneCount], 1u);
        RoundTripTrace.Stamp(buffers, sequence, RoundTripTrace.LaneFree);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Forward<TDispatcher>(in MegakernelBuffers buffers, ref ForwarderState forward)
        where TDispatcher : struct, IMegakernelDispatcher
    {
        if (++forward.Iterations % HousekeepingPeriod == 0)
        {
            Housekeep(buffers, ref forward);
            Republish(buffers, ref forward, metrics: forward.Iterations % MetricsPeriod == 0);
        }

        uint published = buffers.Control.Read(ControlWord.PublishCursor);
        if (published != forward.Doorbell)
        {
            uint doorbell = forward.Doorbell;
            RoundTripTrace.Stamp(buffers, doorbell, RoundTripTrace.DoorbellSeen);
            forward.Doorbell = published;
            if (published - doorbell == 1
                && Atomic.CompareExchange(ref buffers.State.View[DeviceStateWord.ClaimCursor], doorbell, doorbell + 1) == doorbell)
            {
                // One slot on an idle queue: served here, before the doorbell is republished (nobody else has work in it).
                RoundTripTrace.Stamp(buffers, doorbell, RoundTripTrace.Claimed);
                RunOne<TDispatcher>(buffers, doorbell);
                buffers.State.Write(DeviceStateWord.Doorbell, published);
            }
            else
            {
                buffers.State.Write(DeviceStateWord.Doorbell, published);
                MemoryFence.DeviceLevel();
            }
        }
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
