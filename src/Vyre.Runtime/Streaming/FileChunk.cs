using System;
using System.Threading;
using Vyre.IoUring;

namespace Vyre.Streaming;

/// <summary>
/// One chunk of one input and what its slot ended with. A chunk whose read failed carries a FAULT
/// result with <see cref="FaultCode.IoError"/> and the errno as detail, and was never published.
/// </summary>
/// <param name="InputIndex">Index of the input in the list given to the stream.</param>
/// <param name="Name">The input's name (its path).</param>
/// <param name="Offset">File offset of the chunk's first byte.</param>
/// <param name="Length">Bytes the chunk owns (argument word 1).</param>
/// <param name="Result">The slot's result.</param>
/// <param name="StagingIndex">The staging buffer (argument word 3), or -1 for a read fault; it stays the consumer's until it asks for the next chunk.</param>
public readonly record struct FileChunk(int InputIndex, string Name, long Offset, int Length, SlotResult Result, int StagingIndex)
{
    /// <summary>
    /// For a chunk whose read failed, what went wrong in words: what the input is when it is not a regular
    /// file ("'/tmp/p' is a FIFO (named pipe), not a regular file: ..."), or the failed call and its errno. Null otherwise.
    /// </summary>
    public string? Error { get; init; }
}

/// <summary>Counters of one stream, updated as it runs.</summary>
public sealed class StreamStats
{
    private long _bytesRead;
    private long _chunks;
    private long _faults;
    private int _directFiles;
    private int _bufferedFiles;
    private string _readEngine = string.Empty;
    private long _slotTicks;
    private long _slotsTaken;
    private long _inFlightSum;
    private long _inFlightSamples;
    private long _readsSum;
    private long _waitingSum;
    private long _consumerSum;
    private long _submitTicks;
    private long _consumerTicks;
    private long _consumed;
    private long _setupTicks;
    private long _publishTicks;
    private long _takeTicks;
    private long _idleTicks;
    private long _readsDoneTicks;
    private long _copyTicks;
    private long _copies;
    private long _loops;
    private long _teardownTicks;

    /// <summary>Bytes the kernel wrote into staging buffers.</summary>
    public long BytesRead => Volatile.Read(ref _bytesRead);

    /// <summary>Chunks delivered, faults included.</summary>
    public long Chunks => Volatile.Read(ref _chunks);

    /// <summary>Chunks that ended in FAULT because their read failed.</summary>
    public long ReadFaults => Volatile.Read(ref _faults);

    /// <summary>Files read with O_DIRECT.</summary>
    public int DirectFiles => Volatile.Read(ref _directFiles);

    /// <summary>Files read through the page cache.</summary>
    public int BufferedFiles => Volatile.Read(ref _bufferedFiles);

    /// <summary>
    /// What read the files: "io_uring", "io_uring + SQPOLL" or "pread" (<see cref="IoReads"/>); io_uring's gets
    /// ", unpinned (RLIMIT_MEMLOCK)" when the locked-memory limit left it plain READ instead of READ_FIXED.
    /// </summary>
    public string ReadEngine
    {
        get => Volatile.Read(ref _readEngine);
        internal set => Volatile.Write(ref _readEngine, value);
    }

    /// <summary>
    /// Mean time from a chunk's slot being published to the io thread seeing it done (queueing on the device included):
    /// with <see cref="MeanSlotsInFlight"/>, where a stream's time goes (Little's law: chunks per second = slots in flight
    /// / this).
    /// </summary>
    public TimeSpan MeanSlotTime
    {
        get
        {
            long taken = Volatile.Read(ref _slotsTaken);
            return taken == 0 ? TimeSpan.Zero : System.Diagnostics.Stopwatch.GetElapsedTime(0, Volatile.Read(ref _slotTicks) / taken);
        }
    }

    /// <summary>Mean number of the stream's slots in flight over its time (weighted by how long each count lasted).</summary>
    public double MeanSlotsInFlight
    {
        get
        {
            long samples = Volatile.Read(ref _inFlightSamples);
            return samples == 0 ? 0 : (double)Volatile.Read(ref _inFlightSum) / samples;
        }
    }

    /// <summary>Mean number of staging buffers being read (a read queued or running) over the stream's time.</summary>
    public double MeanReadsInFlight => Mean(ref _readsSum);

    /// <summary>
    /// Mean number of staging buffers read and waiting for their slot to be published (for their copy into the heap to land
    /// with <see cref="StreamOptions.HeapStaging"/>, or for room in the ring).
    /// </summary>
    public double MeanChunksWaitingToPublish => Mean(ref _waitingSum);

    /// <summary>Mean number of staging buffers whose chunk was handed to the consumer and not yet released (<c>StreamAsync</c>'s reader).</summary>
    public double MeanChunksWithConsumer => Mean(ref _consumerSum);

    /// <summary>
    /// Time the io thread spent in io_uring's submit-and-wait (where a read of a page-cache file is done inline, and where the
    /// thread waits for reads); the rest of its time is publishing, taking slots back and polling.
    /// </summary>
    public TimeSpan IoThreadInKernel => System.Diagnostics.Stopwatch.GetElapsedTime(0, Volatile.Read(ref _submitTicks));

    internal void AddSubmitTime(long ticks) => Interlocked.Add(ref _submitTicks, ticks);

    /// <summary>The stream's start before its first read: the read engine, the staging buffers' registration, the file table.</summary>
    public TimeSpan SetupTime => Ticks(ref _setupTicks);

    /// <summary>Time the io thread spent publishing chunks' slots (their copies into the heap started and checked, the batch written and rung).</summary>
    public TimeSpan IoThreadPublishing => Ticks(ref _publishTicks);

    /// <summary>Time the io thread spent taking slots' results back and handing their chunks to the consumer.</summary>
    public TimeSpan IoThreadTakingResults => Ticks(ref _takeTicks);

    /// <summary>Time the io thread spent waiting with nothing to do (spinning for slots, or asleep for a released buffer).</summary>
    public TimeSpan IoThreadIdle => Ticks(ref _idleTicks);

    /// <summary>From the stream's start to the end of its last read: after it, the stream only waits for slots and the consumer.</summary>
    public TimeSpan ReadsDoneAfter => Ticks(ref _readsDoneTicks);

    /// <summary>Mean time from a batch's copy into the heap started (<see cref="StreamOptions.HeapStaging"/>) to the io thread seeing it landed.</summary>
    public TimeSpan MeanHeapCopyTime
    {
        get
        {
            long copies = Volatile.Read(ref _copies);
            return copies == 0 ? TimeSpan.Zero : System.Diagnostics.Stopwatch.GetElapsedTime(0, Volatile.Read(ref _copyTicks) / copies);
        }
    }

    /// <summary>Turns of the io thread's loop (each: take released buffers, start reads, reap, publish, take results).</summary>
    public long IoThreadLoops => Volatile.Read(ref _loops);

    internal void AddCopyTime(long ticks)
    {
        Interlocked.Add(ref _copyTicks, ticks);
        Interlocked.Increment(ref _copies);
    }

    internal void AddLoop() => _loops++;

    /// <summary>The stream's end after its last chunk: the io thread joined, the read engine closed (its buffers unregistered), the files closed.</summary>
    public TimeSpan TeardownTime => Ticks(ref _teardownTicks);

    internal void SetTeardownTime(long ticks) => Volatile.Write(ref _teardownTicks, ticks);

    internal void AddSetupTime(long ticks) => Interlocked.Add(ref _setupTicks, ticks);

    internal void AddPublishTime(long ticks) => Interlocked.Add(ref _publishTicks, ticks);

    internal void AddTakeTime(long ticks) => Interlocked.Add(ref _takeTicks, ticks);

    internal void AddIdleTime(long ticks) => Interlocked.Add(ref _idleTicks, ticks);

    internal void SetReadsDone(long ticks) => Volatile.Write(ref _readsDoneTicks, ticks);

    private static TimeSpan Ticks(ref long ticks) => System.Diagnostics.Stopwatch.GetElapsedTime(0, Volatile.Read(ref ticks));

    /// <summary>Mean time from a chunk handed to the consumer to its staging buffer back with the io thread.</summary>
    public TimeSpan MeanConsumerTime
    {
        get
        {
            long consumed = Volatile.Read(ref _consumed);
            return consumed == 0 ? TimeSpan.Zero : System.Diagnostics.Stopwatch.GetElapsedTime(0, Volatile.Read(ref _consumerTicks) / consumed);
        }
    }

    internal void AddConsumerTime(long ticks)
    {
        Interlocked.Add(ref _consumerTicks, ticks);
        Interlocked.Increment(ref _consumed);
    }

    private double Mean(ref long sum)
    {
        long samples = Volatile.Read(ref _inFlightSamples);
        return samples == 0 ? 0 : (double)Volatile.Read(ref sum) / samples;
    }

    internal void AddSlotTime(long ticks)
    {
        Interlocked.Add(ref _slotTicks, ticks);
        Interlocked.Increment(ref _slotsTaken);
    }

    /// <summary>
    /// Where the staging buffers were for the last <paramref name="ticks"/> Stopwatch ticks: <paramref name="reads"/> being
    /// read, <paramref name="waiting"/> waiting to be published, <paramref name="slots"/> in flight as slots,
    /// <paramref name="withConsumer"/> with the consumer (the rest were free).
    /// </summary>
    internal void SampleStages(int reads, int waiting, int slots, int withConsumer, long ticks)
    {
        Interlocked.Add(ref _readsSum, reads * ticks);
        Interlocked.Add(ref _waitingSum, waiting * ticks);
        Interlocked.Add(ref _inFlightSum, slots * ticks);
        Interlocked.Add(ref _consumerSum, withConsumer * ticks);
        Interlocked.Add(ref _inFlightSamples, ticks);
    }

    internal void AddBytes(long bytes) => Interlocked.Add(ref _bytesRead, bytes);

    internal void AddChunk(bool fault)
    {
        Interlocked.Increment(ref _chunks);
        if (fault)
        {
            Interlocked.Increment(ref _faults);
        }
    }

    internal void AddFile(bool direct) => Interlocked.Increment(ref direct ? ref _directFiles : ref _bufferedFiles);
}
