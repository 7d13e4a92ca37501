using System.Runtime.CompilerServices;
using Vyre.Internals;

namespace Vyre;

/// <summary>
/// A bounds-checked view of part of the data buffer or the heap, as <see cref="SlotContext.Bytes"/> and
/// <see cref="SlotContext.Words"/> hand it out. Every access is checked on every backend: an index outside the
/// view records <see cref="FaultCode.OutOfBounds"/> on its slot (the slot then ends in FAULT whatever the
/// handler returns) and the access goes to a scratch word of that slot instead, zeroed first, so a read gives
/// 0 and a write lands nowhere that matters. (That sink holds elements of up to 8 bytes; a view of a wider struct, made
/// with <see cref="Cast{TOther}"/>, sends such an access to its own first element, and an empty one faults the slot on
/// the CPU backends and stops a GPU.) The view is four plain words, no reference types, so it runs inside a kernel.
/// </summary>
/// <typeparam name="T">The element type: <see cref="byte"/> for the data buffer, <see cref="uint"/> for the heap.</typeparam>
public readonly unsafe struct SlotView<T>
    where T : unmanaged
{
    /// <summary>Bytes of the slot's out-of-bounds sink (<see cref="SlotScratch.SinkLow"/>, <see cref="SlotScratch.SinkHigh"/>).</summary>
    private const int SinkBytes = 2 * sizeof(uint);

    // Four plain words, no ILGPU view: the JIT keeps a view that is not address-taken in registers (it promotes structs of
    // up to four fields), and an access is a compare, a branch and a load on every backend, with no call even on the
    // out-of-bounds path (a call there made the JIT keep a handler's loop variables in memory around it).
    private readonly ulong _address;
    private readonly long _length;
    private readonly ulong _scratch;
    private readonly long _start;

    /// <param name="address">Address of the first element where the device loop runs (host memory on the CPU backends).</param>
    /// <param name="length">Elements.</param>
    /// <param name="scratch">Address of the slot's scratch words (<see cref="SlotScratch"/>).</param>
    /// <param name="start">Byte offset of the first element in its buffer (buffers start aligned), for <see cref="Cast{TOther}"/>.</param>
    internal SlotView(ulong address, long length, ulong scratch, long start)
    {
        _address = address;
        _length = length;
        _scratch = scratch;
        _start = start;
    }

    /// <summary>Number of elements.</summary>
    public long Length => _length;

    /// <summary>Number of elements as an <see cref="int"/> (views never exceed <see cref="int.MaxValue"/> elements).</summary>
    public int IntLength => (int)_length;

    /// <summary>Whether the view has no elements (a failed <c>Bytes</c> or <c>Words</c> call returns such a view).</summary>
    public bool IsEmpty => _length == 0;

    /// <summary>
    /// Element <paramref name="index"/>, by reference (so <c>Atomic.Add(ref view[0], 1)</c> works). Outside the
    /// view: a fault is recorded and the reference is to a zeroed scratch word of the slot.
    /// </summary>
    public ref T this[int index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            if ((ulong)(long)index < (ulong)_length)
            {
                return ref ((T*)_address)[index];
            }

            return ref Outside(index);
        }
    }

    /// <summary>Element <paramref name="index"/>, by reference; see the <see cref="int"/> indexer.</summary>
    public ref T this[long index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            if ((ulong)index < (ulong)_length)
            {
                return ref ((T*)_address)[index];
            }

            return ref Outside(index);
        }
    }

    /// <summary>
    /// Elements [<paramref name="offset"/>, + <paramref name="length"/>) of this view; empty, with
    /// <see cref="FaultCode.OutOfBounds"/> recorded, when the range is not inside it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public SlotView<T> Slice(long offset, long length)
    {
        if (offset < 0 || length < 0 || offset > _length - length)
        {
            RecordOutOfBounds(offset);
            return new SlotView<T>(_address, 0, _scratch, _start);
        }

        return new SlotView<T>(_address + (ulong)(offset * sizeof(T)), length, _scratch, _start + (offset * sizeof(T)));
    }

    /// <summary>
    /// The same memory as elements of <typeparamref name="TOther"/> (a partial last element is left out); empty, with
    /// <see cref="FaultCode.OutOfBounds"/> recorded, when the view does not start on a multiple of
    /// <typeparamref name="TOther"/>'s size (a misaligned load stops a GPU).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public SlotView<TOther> Cast<TOther>()
        where TOther : unmanaged
    {
        if (_start % sizeof(TOther) != 0)
        {
            RecordOutOfBounds(_start);
            return new SlotView<TOther>(_address, 0, _scratch, _start);
        }

        return new SlotView<TOther>(_address, _length * sizeof(T) / sizeof(TOther), _scratch, _start);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref T Outside(long index)
    {
        RecordOutOfBounds(index);
        if (sizeof(T) > SinkBytes)
        {
            // The sink holds 8 bytes; a wider element there would reach the next slot's scratch. Such a view (a Cast to a
            // struct over 8 bytes) goes to its own first element instead, which its slot may touch anyway, and an empty
            // one to null: a .NET exception on the CPU backends (the slot's fault stays OutOfBounds), a trap on a GPU.
            return ref _length > 0 ? ref *(T*)_address : ref *(T*)null;
        }

        uint* scratch = (uint*)_scratch;
        scratch[SlotScratch.SinkLow] = 0;
        scratch[SlotScratch.SinkHigh] = 0;
        return ref *(T*)(scratch + SlotScratch.SinkLow);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void RecordOutOfBounds(long index) => SlotScratch.Record((uint*)_scratch, FaultCode.OutOfBounds, (uint)index);
}
