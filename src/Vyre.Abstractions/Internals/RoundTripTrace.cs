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

    /// <summary>
    /// When the forwarder issued the read of host memory that brought the doorbell (<see cref="DoorbellSeen"/>): the
    /// doorbell leg splits into the wait for a read to be issued and that read's own time.
    /// </summary>
    public const int ReadIssued = 7;

    /// <summary>Stages per entry.</summary>
    public const int Stages = 8;

    /// <summary>Words per entry: each stamp is 64 bits, low word first (16: an entry's index is a shift).</summary>
    public const int WordsPerEntry = Stages * 2;

    /// <summary>Whether stamps are being taken (a GPU with a trace buffer): one compare of a kernel parameter.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Enabled(in MegakernelBuffers buffers) => CudaAsm.IsSupported && buffers.Trace.IntLength > 0;

    /// <summary>Writes the global timer as stage <paramref name="stage"/> of <paramref name="sequence"/>, when tracing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Stamp(in MegakernelBuffers buffers, uint sequence, int stage)
    {
        // No GPU timer on the CPU backends: nothing to stamp, and their workers are spared the view's length check per stage.
        if (Enabled(buffers))
        {
            Write(buffers, sequence, stage, DeviceMemory.GlobalTimer());
        }
    }

    /// <summary>Writes <paramref name="time"/> (the global timer, taken earlier) as stage <paramref name="stage"/> of <paramref name="sequence"/>, when tracing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Stamp(in MegakernelBuffers buffers, uint sequence, int stage, ulong time)
    {
        if (Enabled(buffers))
        {
            Write(buffers, sequence, stage, time);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Write(in MegakernelBuffers buffers, uint sequence, int stage, ulong time)
    {
        int entries = buffers.Trace.IntLength / WordsPerEntry;
        int at = ((int)(sequence & (uint)(entries - 1)) * WordsPerEntry) + (stage * 2); // entries: a power of two
        buffers.Trace[at] = (uint)time;
        buffers.Trace[at + 1] = (uint)(time >> 32);
    }
}
