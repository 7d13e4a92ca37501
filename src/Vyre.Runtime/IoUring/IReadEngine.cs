using System;

namespace Vyre.IoUring;

/// <summary>
/// What the io loops (streaming, LOAD_MISS) need of whatever reads their files: a table of fixed files,
/// reads queued with a user_data, a submit that may wait, and completions reaped in any order. io_uring
/// (<see cref="IoUringRing"/>) is the engine; <see cref="PositionalReads"/> is the fallback a user may ask
/// for where io_uring is unavailable (<see cref="IoReads"/>).
/// </summary>
internal interface IReadEngine : IDisposable
{
    /// <summary>In words, for the log: which engine this is.</summary>
    string Description { get; }

    /// <summary>
    /// Registers memory reads go into (io_uring: fixed buffers for READ_FIXED). False when the locked-memory limit
    /// (RLIMIT_MEMLOCK) refused to pin them: reads then name buffer -1 and go into the same memory unpinned.
    /// </summary>
    bool TryRegisterBuffers(ReadOnlySpan<(nint Address, nuint Length)> buffers);

    /// <summary>Creates a table of <paramref name="count"/> empty fixed-file slots.</summary>
    void RegisterFileTable(int count);

    /// <summary>Puts descriptor <paramref name="fd"/> (or -1 to clear) in fixed-file slot <paramref name="index"/>.</summary>
    void SetFixedFile(int index, int fd);

    /// <summary>Queues a read; see <see cref="IoUringRing.TryQueueRead"/>.</summary>
    bool TryQueueRead(int file, bool fixedFile, nint address, uint length, ulong offset, int bufferIndex, ulong userData, bool inWorker = false);

    /// <summary>Starts the queued reads and, when <paramref name="waitFor"/> &gt; 0, waits up to <paramref name="timeout"/> for that many completions.</summary>
    int Submit(int waitFor = 0, TimeSpan timeout = default);

    /// <summary>Takes the next completion, if any: the read's user_data and its result (bytes, or a negative errno).</summary>
    bool TryReap(out ulong userData, out int result);

    /// <summary>Cancels the reads <paramref name="targets"/> and reaps (bounded) until <paramref name="pending"/> of them have completed.</summary>
    void CancelAndReap(ReadOnlySpan<ulong> targets, int pending, TimeSpan bound, Action<ulong, int> completed);
}
