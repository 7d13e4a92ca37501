using System.Runtime.CompilerServices;
using ILGPU.Runtime.Cuda;

namespace Vyre.Internals;

/// <summary>
/// Stamps of the device side of a round trip, for the latency breakdown of the benchmarks (issue 10): when
/// <see cref="MegakernelBuffers.Trace"/> is not empty (an internal option of the host), each stage of sequence
/// <c>s</c> writes the GPU's global timer (nanoseconds) into entry <c>s % entries</c>. Off by default: then a stamp
/// costs one compare of a kernel parameter.
/// </summary>
internal static class RoundTripTrace
{
    /// <summary>The forwarder read a new doorbell.</summary>
    public const int DoorbellSeen = 0;

    /// <summary>The slot is claimed (by the forwarder, or by a warp's leader).</summary>
    public const int Claimed = 1;

    /// <summary>The slot's words are read from the ring (<see cref="SlotWords"/>).</summary>
    public const int HeaderRead = 2;

    /// <summary>The handler is about to run (after the tenant check).</summary>
    public const int HandlerStart = 3;

    /// <summary>The handler returned.</summary>
    public const int HandlerEnd = 4;

    /// <summary>The status word is written (a release store: the results are visible before it).</summary>
    public const int StatusWritten = 5;

    /// <summary>The device's counters are updated: the lane is free again.</summary>
    public const int LaneFree = 6;

    /// <summary>Stages per entry.</summary>
    public const int Stages = 7;

    /// <summary>Words per entry: each stamp is 64 bits, low word first.</summary>
    public const int WordsPerEntry = Stages * 2;

    /// <summary>Writes the global timer as stage <paramref name="stage"/> of <paramref name="sequence"/>, when tracing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Stamp(in MegakernelBuffers buffers, uint sequence, int stage)
    {
        if (!CudaAsm.IsSupported)
        {
            return; // No GPU timer: nothing to stamp, and the CPU workers are spared the view's length check per stage.
        }

        int entries = buffers.Trace.IntLength / WordsPerEntry;
        if (entries > 0)
        {
            ulong now = DeviceMemory.GlobalTimer();
            int at = ((int)(sequence & (uint)(entries - 1)) * WordsPerEntry) + (stage * 2); // entries: a power of two
            buffers.Trace[at] = (uint)now;
            buffers.Trace[at + 1] = (uint)(now >> 32);
        }
    }
}
