using System;

namespace Vyre.Backends;

/// <summary>
/// Copies of data-buffer ranges into the heap that a backend has started (<see cref="IMegakernelBackend.StartDataToHeap"/>):
/// on CUDA DMAs queued on the copy stream, marked by an event; elsewhere done already. A stream publishes a chunk's slot
/// only once its copy <see cref="IsDone"/>, and reuses its staging buffer only after that slot: the io thread never waits
/// for a copy, so reads, copies and kernel work overlap.
/// </summary>
internal abstract class HeapCopy : IDisposable
{
    /// <summary>Copies that were done when they were started (the CPU backends' memory copies).</summary>
    public static HeapCopy Done { get; } = new Completed();

    /// <summary>Whether every copy has landed (never blocks). Throws when the device reported an error for them.</summary>
    public abstract bool IsDone { get; }

    public virtual void Dispose()
    {
    }

    private sealed class Completed : HeapCopy
    {
        public override bool IsDone => true;
    }
}
