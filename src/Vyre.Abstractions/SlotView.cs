using System.Runtime.CompilerServices;
using ILGPU;
using Vyre.Internals;

namespace Vyre;

/// <summary>
/// A bounds-checked view of part of the data buffer or the heap, as <see cref="SlotContext.Bytes"/> and
/// <see cref="SlotContext.Words"/> hand it out. Every access is checked on every backend: an index outside the
/// view records <see cref="FaultCode.OutOfBounds"/> on its slot (the slot then ends in FAULT whatever the
/// handler returns) and the access goes to a scratch word of that slot instead, zeroed first, so a read gives
/// 0 and a write lands nowhere that matters. The view holds no reference types, so it runs inside a kernel.
/// </summary>
/// <typeparam name="T">The element type: <see cref="byte"/> for the data buffer, <see cref="uint"/> for the heap.</typeparam>
public readonly struct SlotView<T>
    where T : unmanaged
{
    private readonly ArrayView<T> _view;
    private readonly ArrayView<uint> _scratch;
    private readonly long _start;

    // The host address of the buffer's first byte on the CPU backends, where elements are read through it: ILGPU's view
    // indexer checks its buffer on every access there (a call and two loads), which made a byte loop 5-10x slower. Zero on
    // a GPU. (Not CudaAsm.IsSupported: off the GPU that reads a thread-static on every call.)
    private readonly ulong _buffer;

    /// <param name="view">The elements.</param>
    /// <param name="scratch">The slot's scratch words (<see cref="SlotScratch"/>).</param>
    /// <param name="start">Byte offset of the first element in its buffer (buffers start aligned), for <see cref="Cast{TOther}"/>.</param>
    /// <param name="buffer">Host address of the buffer's first byte on the CPU backends, 0 on a GPU.</param>
    internal SlotView(ArrayView<T> view, ArrayView<uint> scratch, long start, ulong buffer)
    {
        _view = view;
        _scratch = scratch;
        _start = start;
        _buffer = buffer;
    }

    /// <summary>Number of elements.</summary>
    public long Length => _view.Length;

    /// <summary>Number of elements as an <see cref="int"/> (views never exceed <see cref="int.MaxValue"/> elements).</summary>
    public int IntLength => (int)_view.Length;

    /// <summary>Whether the view has no elements (a failed <c>Bytes</c> or <c>Words</c> call returns such a view).</summary>
    public bool IsEmpty => _view.Length == 0;

    /// <summary>
    /// Element <paramref name="index"/>, by reference (so <c>Atomic.Add(ref view[0], 1)</c> works). Outside the
    /// view: a fault is recorded and the reference is to a zeroed scratch word of the slot.
    /// </summary>
    public ref T this[int index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            if ((ulong)(long)index < (ulong)_view.Length)
            {
                return ref Element(index);
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
            if ((ulong)index < (ulong)_view.Length)
            {
                return ref Element(index);
            }

            return ref Outside(index);
        }
    }

    /// <summary>
    /// Elements [<paramref name="offset"/>, + <paramref name="length"/>) of this view; empty, with
    /// <see cref="FaultCode.OutOfBounds"/> recorded, when the range is not inside it.
    /// </summary>
    public SlotView<T> Slice(long offset, long length)
    {
        if (offset < 0 || length < 0 || offset > _view.Length - length)
        {
            RecordOutOfBounds(offset);
            return new SlotView<T>(_view.SubView(0, 0), _scratch, _start, _buffer);
        }

        return new SlotView<T>(_view.SubView(offset, length), _scratch, _start + (offset * Interop.SizeOf<T>()), _buffer);
    }

    /// <summary>
    /// The same memory as elements of <typeparamref name="TOther"/> (a partial last element is left out); empty, with
    /// <see cref="FaultCode.OutOfBounds"/> recorded, when the view does not start on a multiple of
    /// <typeparamref name="TOther"/>'s size (a misaligned load stops a GPU).
    /// </summary>
    public SlotView<TOther> Cast<TOther>()
        where TOther : unmanaged
    {
        if (_start % Interop.SizeOf<TOther>() != 0)
        {
            RecordOutOfBounds(_start);
            return new SlotView<TOther>(_view.SubView(0, 0).Cast<TOther>(), _scratch, _start, _buffer);
        }

        return new SlotView<TOther>(_view.Cast<TOther>(), _scratch, _start, _buffer);
    }

    /// <summary>Element <paramref name="index"/>, which is inside the view.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private unsafe ref T Element(long index)
    {
        if (_buffer != 0)
        {
            return ref ((T*)(_buffer + (ulong)_start))[index];
        }

        return ref _view[index];
    }

    private ref T Outside(long index)
    {
        RecordOutOfBounds(index);
        _scratch[SlotScratch.SinkLow] = 0;
        _scratch[SlotScratch.SinkHigh] = 0;
        return ref _scratch.SubView(SlotScratch.SinkLow, 2).Cast<T>()[0];
    }

    private void RecordOutOfBounds(long index)
    {
        if (_scratch[SlotScratch.Fault] == (uint)FaultCode.None)
        {
            _scratch[SlotScratch.Fault] = (uint)FaultCode.OutOfBounds;
            _scratch[SlotScratch.Detail] = (uint)index;
        }
    }
}
