using System.Threading;

namespace Vyre;

/// <summary>
/// A batch published by <see cref="MegakernelGroup.PublishBatch"/>: its parts (contiguous runs of the requests, each on one
/// member), bound to the group. Wait for it once with <see cref="MegakernelGroup.WaitBatch"/>; a default value is refused.
/// </summary>
public readonly struct GroupBatch
{
    private readonly WaitMark? _waited;

    internal GroupBatch(MegakernelGroup group, Part[] parts, int count)
    {
        Group = group;
        Parts = parts;
        Count = count;
        _waited = new WaitMark();
    }

    /// <summary>Slots in the batch.</summary>
    public int Count { get; }

    /// <summary>Members the batch was spread over.</summary>
    public int PartCount => Parts?.Length ?? 0;

    internal MegakernelGroup? Group { get; }

    internal Part[]? Parts { get; }

    /// <summary>Marks the batch as waited for; false when it was already (every copy of the value shares the mark).</summary>
    internal bool TryBeginWait() => _waited is not null && Interlocked.Exchange(ref _waited.Taken, 1) == 0;

    /// <summary>A contiguous run of the batch's requests, from <paramref name="Offset"/>, published on <paramref name="Host"/>.</summary>
    internal readonly record struct Part(MegakernelHost Host, SlotBatch Batch, int Offset);

    /// <summary>Shared by every copy of a batch value.</summary>
    private sealed class WaitMark
    {
        public int Taken;
    }
}
