using System;

namespace Vyre;

/// <summary>How <see cref="MegakernelHost.StreamAsync"/> reads files into the data buffer.</summary>
public sealed class StreamOptions
{
    /// <summary>The alignment O_DIRECT needs of offsets, lengths and buffer addresses.</summary>
    public const int Alignment = 4096;

    /// <summary>Bytes each slot owns (a multiple of 4096). Default 1 MiB.</summary>
    public int ChunkBytes { get; init; } = 1 << 20;

    /// <summary>
    /// Bytes of the next chunk also read into each buffer, so a handler can match patterns that cross
    /// a chunk boundary (it owns matches that start in its own bytes). Default 0.
    /// </summary>
    public int OverlapBytes { get; init; }

    /// <summary>Staging buffers, which bounds reads and slots in flight together. Default 8.</summary>
    public int Depth { get; init; } = 8;

    /// <summary>Where the staging buffers start in the data buffer (bytes). Default 0.</summary>
    public int DataOffset { get; init; }

    /// <summary>Open files with O_DIRECT where the file system allows it (else buffered, logged per file). Default true.</summary>
    public bool Direct { get; init; } = true;

    /// <summary>Let a kernel thread poll the submission ring (IORING_SETUP_SQPOLL). Default false.</summary>
    public bool SqPoll { get; init; }

    /// <summary>Argument words 4.. of every slot (after data offset, length, readable length, staging index).</summary>
    public uint[] ExtraArguments { get; init; } = [];

    /// <summary>Filled while the stream runs: bytes, chunks, files opened direct or buffered.</summary>
    public StreamStats? Stats { get; init; }

    /// <summary>Where per-file notes go (O_DIRECT refused and why). Default: none.</summary>
    public Action<string>? Log { get; init; }

    /// <summary>Bytes of one staging buffer: the chunk and its overlap, aligned.</summary>
    public int StagingStride => ChunkBytes + RoundUp(OverlapBytes);

    internal static int RoundUp(int bytes) => (bytes + Alignment - 1) / Alignment * Alignment;

    internal void Validate(int dataBytes, int slotCount)
    {
        if (ChunkBytes <= 0 || ChunkBytes % Alignment != 0)
        {
            throw new ArgumentException($"ChunkBytes is {ChunkBytes}. Fix: use a positive multiple of {Alignment} (O_DIRECT alignment), e.g. 1 MiB.", nameof(ChunkBytes));
        }

        if (OverlapBytes < 0 || OverlapBytes > ChunkBytes)
        {
            throw new ArgumentException($"OverlapBytes is {OverlapBytes}. Fix: use 0..ChunkBytes ({ChunkBytes}); it only needs the longest pattern's length minus one.", nameof(OverlapBytes));
        }

        if (Depth is < 1 or > 1024)
        {
            throw new ArgumentException($"Depth is {Depth}. Fix: use 1..1024 staging buffers.", nameof(Depth));
        }

        if (Depth > slotCount)
        {
            throw new ArgumentException($"Depth is {Depth}, more than the ring's {slotCount} slots: every staging buffer may hold a slot. Fix: raise MegakernelOptions.SlotCount to at least {Depth}, or lower Depth.", nameof(Depth));
        }

        if (ExtraArguments.Length > SlotLayout.ArgumentCount - 4)
        {
            throw new ArgumentException($"ExtraArguments has {ExtraArguments.Length} words. Fix: pass at most {SlotLayout.ArgumentCount - 4}; words 0..3 carry the chunk.", nameof(ExtraArguments));
        }

        long needed = DataOffset + Alignment + ((long)Depth * StagingStride);
        if (DataOffset < 0 || needed > dataBytes)
        {
            throw new ArgumentException($"Streaming {Depth} staging buffers of {StagingStride} bytes from data offset {DataOffset} needs {needed} bytes of data buffer, and it has {dataBytes}. Fix: raise MegakernelOptions.DataBytes to at least {needed}, or lower Depth or ChunkBytes.", nameof(Depth));
        }
    }
}
