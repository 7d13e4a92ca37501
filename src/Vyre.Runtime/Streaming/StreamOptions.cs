using System;
using Vyre.Internals;

namespace Vyre.Streaming;

/// <summary>How <see cref="MegakernelHost.StreamAsync"/> reads files into the data buffer.</summary>
public sealed class StreamOptions
{
    /// <summary>The alignment O_DIRECT needs of offsets, lengths and buffer addresses.</summary>
    public const int Alignment = IoUring.RegularFiles.DirectAlignment;

    /// <summary>
    /// Bytes each slot owns (a multiple of 4096). Default 64 KiB: with the default <see cref="Depth"/> the staging
    /// region (516 KiB) fits the default <see cref="MegakernelOptions.DataBytes"/> (1 MiB), so
    /// <c>host.StreamAsync(inputs, opcode)</c> works with both defaults.
    /// </summary>
    public int ChunkBytes { get; init; } = 64 * 1024;

    /// <summary>
    /// Bytes of the next chunk also read into each buffer, so a handler can match patterns that cross
    /// a chunk boundary (it owns matches that start in its own bytes). Default 0.
    /// </summary>
    public int OverlapBytes { get; init; }

    /// <summary>Most staging buffers: the io_uring ring holds two entries per buffer, and a ring has at most 32,768.</summary>
    public const int MaxDepth = 16384;

    /// <summary>Staging buffers, which bounds reads and slots in flight together (1 to <see cref="MaxDepth"/>). Default 8.</summary>
    public int Depth { get; init; } = 8;

    /// <summary>
    /// Where the staging region starts in the data buffer (bytes; the buffers start at the first page boundary
    /// at or after it). Default 0. One stream at a time owns its region of a host's data buffer: a stream whose
    /// region overlaps one still running on the same host throws <see cref="InvalidOperationException"/>.
    /// </summary>
    public int DataOffset { get; init; }

    /// <summary>
    /// Heap word where a region of <see cref="Depth"/> × <see cref="StagingStride"/> / 4 words starts, or null (default).
    /// When set, each chunk is copied into the heap after its read and before its slot is published, and argument 0 is
    /// the chunk's first heap word instead of its data-buffer offset (read it with <c>slot.Words(...).Cast&lt;byte&gt;()</c>).
    /// On CUDA the heap is device memory and the copy is a DMA by the copy engine (no host copy), so handlers read the
    /// chunk from device memory instead of across PCIe; on the CPU backends the heap is host memory and it is a memory
    /// copy, so leave it unset there.
    /// </summary>
    public int? HeapStaging { get; init; }

    /// <summary>Open files with O_DIRECT where the file system allows it (else buffered, logged per file). Default true.</summary>
    public bool Direct { get; init; } = true;

    /// <summary>Let a kernel thread poll the submission ring (IORING_SETUP_SQPOLL). Default false.</summary>
    public bool SqPoll { get; init; }

    /// <summary>Argument words 4.. of every slot (after data offset, length, readable length, staging index).</summary>
    public uint[] ExtraArguments { get; init; } = [];

    /// <summary>Filled while the stream runs: bytes, chunks, files opened direct or buffered.</summary>
    public StreamStats? Stats { get; init; }

    /// <summary>Bytes of one staging buffer: the chunk and its overlap, aligned. Computed in 64 bits, so it never wraps.</summary>
    public long StagingStride => (long)ChunkBytes + IoUring.RegularFiles.RoundUpToDirect(OverlapBytes);

    /// <summary>
    /// Bytes of data buffer a stream with these options needs: <see cref="DataOffset"/>, up to a page to align
    /// the first buffer, and <see cref="Depth"/> staging buffers. Size <see cref="MegakernelOptions.DataBytes"/> by it.
    /// </summary>
    public long DataBytesNeeded => (long)DataOffset + Alignment + ((long)Depth * StagingStride);

    internal void Validate(int dataBytes, int slotCount, int heapWords)
    {
        if (HeapStaging is { } heap && (heap < 0 || heap + ((long)Depth * StagingStride / sizeof(uint)) > heapWords))
        {
            throw new ArgumentException($"HeapStaging is {heap}: {Depth} staging buffers of {StagingStride} bytes need {(long)Depth * StagingStride / sizeof(uint)} heap words from there, and the heap has {heapWords}. Fix: raise MegakernelOptions.HeapWords or move HeapStaging.", nameof(HeapStaging));
        }

        if (ChunkBytes <= 0 || ChunkBytes % Alignment != 0)
        {
            throw new ArgumentException($"ChunkBytes is {ChunkBytes}. Fix: use a positive multiple of {Alignment} (O_DIRECT alignment), e.g. 64 KiB.", nameof(ChunkBytes));
        }

        if (OverlapBytes < 0 || OverlapBytes > ChunkBytes)
        {
            throw new ArgumentException($"OverlapBytes is {OverlapBytes}. Fix: use 0..ChunkBytes ({ChunkBytes}); it only needs the longest pattern's length minus one.", nameof(OverlapBytes));
        }

        if (Depth is < 1 or > MaxDepth)
        {
            throw new ArgumentException($"Depth is {Depth}. Fix: use 1..{MaxDepth} staging buffers.", nameof(Depth));
        }

        if (Depth > slotCount)
        {
            throw new ArgumentException($"Depth is {Depth}, more than the ring's {slotCount} slots: every staging buffer may hold a slot. Fix: raise MegakernelOptions.SlotCount to at least {Depth}, or lower Depth.", nameof(Depth));
        }

        if (ExtraArguments is null || ExtraArguments.Length > SlotLayout.ArgumentCount - 4)
        {
            throw new ArgumentException($"ExtraArguments has {ExtraArguments?.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "no array"}. Fix: pass at most {SlotLayout.ArgumentCount - 4} words; words 0..3 carry the chunk.", nameof(ExtraArguments));
        }

        if (DataOffset < 0)
        {
            throw new ArgumentException($"DataOffset is {DataOffset}. Fix: use an offset in the data buffer, 0 or more.", nameof(DataOffset));
        }

        // Every size below is 64-bit (one computation, DataBytesNeeded): no option near int.MaxValue can wrap into range.
        long needed = DataBytesNeeded;
        if (needed > dataBytes)
        {
            throw new ArgumentException($"Streaming {Depth} staging buffers of {StagingStride} bytes from data offset {DataOffset} needs {needed} bytes of data buffer, and it has {dataBytes}. Fix: raise MegakernelOptions.DataBytes to at least {needed}, or lower Depth or ChunkBytes.", nameof(Depth));
        }
    }
}
