using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime.Cuda;

namespace Vyre.Internals;

/// <summary>
/// Reads of words another agent writes (the host, or other lanes). On CUDA a plain load in a loop is
/// hoisted and ILGPU atomics on host-mapped memory hang (FACTS.md), so the read is an inline PTX
/// <c>ld.volatile</c>; elsewhere it is a system fence followed by a plain load, which also keeps the
/// .NET JIT from hoisting it on the CPU backends.
/// </summary>
internal static class DeviceMemory
{
    /// <summary>Reads <paramref name="view"/>[<paramref name="index"/>], whose first word is at device address <paramref name="address"/>, without caching or hoisting.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint ReadVolatile(ArrayView<uint> view, ulong address, int index)
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("ld.volatile.u32 %0, [%1];", out uint value, address + ((ulong)index * sizeof(uint)));
            return value;
        }

        MemoryFence.SystemLevel();
        return view[index];
    }

    /// <summary>
    /// Nanoseconds of a clock the device loop measures timeouts with: the GPU's global timer on CUDA; on the
    /// CPU backends the milliseconds a backend thread writes into <see cref="DeviceStateWord.HostClock"/>
    /// (0 where none does, which never times out). Elapsed times are differences of two readings.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Now(SharedWords state)
    {
        ulong timer = GlobalTimer();
        return timer != 0 ? timer : state.Read(DeviceStateWord.HostClock) * 1_000_000UL;
    }

    /// <summary>Nanoseconds of the GPU's global timer, or 0 where no timer is available (the CPU backends).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong GlobalTimer()
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("mov.u64 %0, %%globaltimer;", out ulong now);
            return now;
        }

        return 0;
    }
}
