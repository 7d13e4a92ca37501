using System.Diagnostics;
using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime.Cuda;

namespace Vyre.Internals;

/// <summary>
/// Words another agent writes while the kernel runs (the host, or other lanes): a view for plain
/// stores and the view's device address for volatile loads. ILGPU cannot take the address of a view
/// inside a kernel, so the host passes it in.
/// </summary>
internal struct SharedWords
{
    /// <summary>The words.</summary>
    public ArrayView<uint> View;

    /// <summary>Device address of <c>View[0]</c> (used by the PTX volatile load).</summary>
    public ulong Address;

    /// <summary>Wraps <paramref name="view"/>, whose first word is at device address <paramref name="address"/>.</summary>
    public SharedWords(ArrayView<uint> view, ulong address)
    {
        View = view;
        Address = address;
    }

    /// <summary>Number of words.</summary>
    public readonly int Length => View.IntLength;

    /// <summary>Reads word <paramref name="index"/> without caching or hoisting (see <see cref="DeviceMemory"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly uint Read(int index) => DeviceMemory.ReadVolatile(View, Address, index);

    /// <summary>
    /// Reads word <paramref name="index"/> of a slot this lane has claimed, with a plain load: the claim ordered it after
    /// the host's writes (a compare-exchange, or on the forwarder a fenced read of the doorbell). On the CPU backends
    /// through the host pointer: ILGPU's view indexer checks and resolves its buffer on every access, which cost the
    /// Managed worker a large part of its time per slot.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly uint ReadClaimed(int index)
    {
        if (CudaAsm.IsSupported)
        {
            return View[index];
        }

        return HostWord(index);
    }

    /// <summary>
    /// Stores <paramref name="value"/> at <paramref name="index"/> after every earlier write of this thread, as seen from
    /// the host: on CUDA one <c>st.release.sys</c>; elsewhere a .NET release store (<c>Volatile.Write</c>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void WriteRelease(int index, uint value)
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("st.release.sys.global.u32 [%0], %1;", Address + ((ulong)index * sizeof(uint)), value);
            return;
        }

        // A release store is what is needed, not a full fence (which would also stop later loads from starting early).
        SetHostWordRelease(index, value);
    }

    /// <summary>Stores <paramref name="value"/> at <paramref name="index"/> (plain store; callers fence before they publish).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Write(int index, uint value)
    {
        if (CudaAsm.IsSupported)
        {
            View[index] = value;
            return;
        }

        SetHostWord(index, value);
    }

    // The CPU backends' word access through the host pointer (Address is the buffer's host address there). Indexes are the
    // runtime's own (slot bases plus layout constants, arguments checked by SlotContext), so Debug.Assert is the check.
    private readonly unsafe uint HostWord(int index)
    {
        Debug.Assert((uint)index < (uint)View.Length, "word index inside the buffer");
        return ((uint*)Address)[index];
    }

    private readonly unsafe void SetHostWord(int index, uint value)
    {
        Debug.Assert((uint)index < (uint)View.Length, "word index inside the buffer");
        ((uint*)Address)[index] = value;
    }

    private readonly unsafe void SetHostWordRelease(int index, uint value)
    {
        Debug.Assert((uint)index < (uint)View.Length, "word index inside the buffer");
        System.Threading.Volatile.Write(ref ((uint*)Address)[index], value);
    }
}
