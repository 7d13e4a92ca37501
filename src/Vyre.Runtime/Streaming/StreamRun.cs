using System;
using Vyre.Logging;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using Vyre.Backends;
using System.Threading.Channels;
using Vyre.IoUring;
using Vyre.Ring;
using static Vyre.IoUring.IoUringNative;

namespace Vyre.Streaming;

/// <summary>
/// One stream: an io thread that reads chunks of the inputs into staging buffers through the shared read loop
/// (<see cref="ReadQueue{TRead}"/> and its <see cref="IoFileTable"/>: io_uring READ_FIXED, or pread where
/// <see cref="IoReads"/> asks for it), publishes the chunks each poll completed as one batch of slots through the ring
/// (<see cref="HostRing"/>) that point the handler at the bytes where the kernel wrote them, takes those slots' results
/// itself, and hands them to the consumer. A staging buffer is reused only after the consumer has taken its chunk.
/// </summary>
internal sealed unsafe class StreamRun : IDisposable
{
    private const int ENODATA = 61;

    /// <summary>Running slots in a row after which <see cref="TakeFinished"/> stops looking: the device claims in publish order, so later ones have rarely finished.</summary>
    private const int TakeWindow = 64;

    private static readonly TimeSpan s_reapWait = TimeSpan.FromMilliseconds(0.2);
    private static readonly TimeSpan s_slotWait = TimeSpan.FromMilliseconds(0.02);
    private static readonly TimeSpan s_idleWait = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan s_cancelBound = TimeSpan.FromSeconds(5);

    private readonly MegakernelHost _host;
    private readonly HostRing _ring;
    private readonly IReadOnlyList<StreamInput> _inputs;
    private readonly uint _opcode;
    private readonly StreamOptions _options;
    private readonly StreamStats _stats;
    private readonly ReadQueue<Read> _reads;
    private readonly ReadCompleted<Read> _completed;
    private readonly byte* _staging;
    private readonly int _stagingOffset;
    private readonly int _stride;
    private readonly StagingRegions.Region _region;
    private readonly InFlightSlot?[] _slots;

    // When each staging buffer's chunk was handed to the consumer (Stopwatch ticks): StreamStats.MeanConsumerTime.
    private readonly long[] _handedAt;

    // Staging indexes of the slots in flight, in publish order: the device claims in that order, so they finish nearly
    // in it, and a poll looks from the oldest on until TakeWindow running ones in a row (a scan of every staging buffer
    // per poll cost O(Depth)).
    private readonly List<int> _published = [];
    private readonly List<(int Index, SlotRequest Request, FileChunk Chunk, int Readable)> _toPublish = [];

    // HeapStaging: copies into the heap started for _toPublish, oldest first, each with the count of _toPublish entries
    // (counted from the stream's start, like _unpublishedBase) whose copies it covers. A chunk's slot is published only
    // once its copy is done; the io thread never waits for one, so reads, copies and kernel work overlap.
    private readonly Queue<(long UpTo, HeapCopy Copy, long StartedAt)> _copies = new();
    private long _unpublishedBase;
    private long _staged;
    private long _copied;
    private readonly Stack<int> _free = new();
    private readonly ConcurrentQueue<int> _released = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Channel<FileChunk> _results = Channel.CreateUnbounded<FileChunk>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Thread _thread;
    private int _nextInput;
    private InputFile? _current;
    private int _slotsInFlight;
    private DateTime _publishBlockedSince = DateTime.MaxValue;
    private volatile bool _stopping;

    // When the stream was created, and whether its reads have all ended: StreamStats.SetupTime and ReadsDoneAfter.
    private readonly long _createdAt;
    private bool _readsDone;

    public StreamRun(MegakernelHost host, IReadOnlyList<StreamInput> inputs, uint opcode, StreamOptions options)
    {
        _createdAt = System.Diagnostics.Stopwatch.GetTimestamp();
        _host = host;
        _ring = host.Ring;
        _inputs = inputs;
        _opcode = opcode;
        _options = options;
        _stats = options.Stats ?? new StreamStats();

        // Staging buffers start at the first page boundary at or after DataOffset (O_DIRECT needs it). The
        // options are validated: every size fits the data buffer, so the int stride cannot wrap.
        _stride = (int)options.StagingStride;
        nint data = (nint)host.DataPointer;
        nint first = (data + options.DataOffset + StreamOptions.Alignment - 1) & ~(nint)(StreamOptions.Alignment - 1);
        _staging = (byte*)first;
        _stagingOffset = (int)(first - data);
        long bytes = (long)options.Depth * _stride;
        _region = StagingRegions.Take(host, _stagingOffset, _stagingOffset + bytes);
        try
        {
            // A file stays in the table until its last chunk is read: two more than the buffers let the next files open meanwhile.
            _reads = new ReadQueue<Read>(host.IoReads, options.Depth, options.Depth + 2, options.SqPoll, bufferedInWorker: true, first, bytes, "staging buffers", host.Logger);
        }
        catch
        {
            _region.Dispose();
            throw;
        }

        _stats.ReadEngine = _reads.Description;
        _completed = Completed;
        _slots = new InFlightSlot?[options.Depth];
        _handedAt = new long[options.Depth];
        for (int i = options.Depth - 1; i >= 0; i--)
        {
            _free.Push(i);
        }

        _thread = new Thread(Loop) { IsBackground = true, Name = "vyre-io-stream" };
    }

    public ChannelReader<FileChunk> Results => _results.Reader;

    public void Start() => _thread.Start();

    /// <summary>The consumer is done with a chunk's staging buffer.</summary>
    public void Release(int stagingIndex)
    {
        if (stagingIndex >= 0)
        {
            _released.Enqueue(stagingIndex);
            _wake.Release();
        }
    }

    /// <summary>Stops reading, cancels reads in flight, waits (bounded) for slots in flight, and joins the io thread.</summary>
    public void Stop()
    {
        long stopping = System.Diagnostics.Stopwatch.GetTimestamp();
        _stopping = true;
        _wake.Release();
        TimeSpan bound = _host.WaitTimeout + TimeSpan.FromSeconds(5);
        if (!_thread.Join(bound))
        {
            // Its staging region stays taken too: the thread may still read into it.
            VyreLog.IoThreadStuck(_host.Logger, bound);
            return;
        }

        _reads.Dispose();
        _region.Dispose();
        _stats.SetTeardownTime(System.Diagnostics.Stopwatch.GetTimestamp() - stopping);
    }

    public void Dispose()
    {
        if (_thread.ThreadState == ThreadState.Unstarted)
        {
            _reads.Dispose();
            _region.Dispose();
        }

        _wake.Dispose();
    }

    private void Loop()
    {
        try
        {
            Run();
            _results.Writer.TryComplete();
        }
        catch (Exception e)
        {
            _results.Writer.TryComplete(e);
        }
        finally
        {
            Drain();
        }
    }

    private void Run()
    {
        var spin = new SpinWait();
        long sampledAt = System.Diagnostics.Stopwatch.GetTimestamp();
        _stats.AddSetupTime(sampledAt - _createdAt);
        (int Reads, int Waiting, int Slots, int WithConsumer) stages = default;
        while (true)
        {
            _stats.AddLoop();
            long drained = System.Diagnostics.Stopwatch.GetTimestamp();
            while (_released.TryDequeue(out int index))
            {
                _stats.AddConsumerTime(drained - _handedAt[index]);
                _free.Push(index);
            }

            if (_stopping)
            {
                return;
            }

            while (_free.Count > 0 && NextChunk() is { } chunk)
            {
                StartRead(_free.Pop(), chunk);
            }

            bool moreToRead = _current is not null || _nextInput < _inputs.Count;
            if (_reads.InFlight == 0 && !moreToRead && !_readsDone)
            {
                _readsDone = true;
                _stats.SetReadsDone(System.Diagnostics.Stopwatch.GetTimestamp() - _createdAt);
            }

            if (_readsDone && _slotsInFlight == 0 && _toPublish.Count == 0)
            {
                return;
            }

            bool progressed = false;
            if (_reads.InFlight > 0)
            {
                // Wait in the kernel for a read; only briefly while slots of ours may complete meanwhile.
                long entered = System.Diagnostics.Stopwatch.GetTimestamp();
                progressed = _reads.Poll(_slotsInFlight == 0 ? s_reapWait : s_slotWait, _completed);
                _stats.AddSubmitTime(System.Diagnostics.Stopwatch.GetTimestamp() - entered);
            }

            long publishing = System.Diagnostics.Stopwatch.GetTimestamp();
            progressed |= PublishReady();
            long taking = System.Diagnostics.Stopwatch.GetTimestamp();
            progressed |= TakeFinished();
            long now = System.Diagnostics.Stopwatch.GetTimestamp();
            _stats.AddPublishTime(taking - publishing);
            _stats.AddTakeTime(now - taking);

            // Where the staging buffers were since the last sample: as the last iteration left them.
            _stats.SampleStages(stages.Reads, stages.Waiting, stages.Slots, stages.WithConsumer, now - sampledAt);
            sampledAt = now;
            stages = (_reads.InFlight, _toPublish.Count, _slotsInFlight, _options.Depth - _free.Count - _reads.InFlight - _toPublish.Count - _slotsInFlight);
            if (progressed)
            {
                spin.Reset();
            }
            else if (_slotsInFlight > 0 || _toPublish.Count > 0)
            {
                spin.SpinOnce(sleep1Threshold: -1);
                _stats.AddIdleTime(System.Diagnostics.Stopwatch.GetTimestamp() - now);
            }
            else if (_reads.InFlight == 0)
            {
                _wake.Wait(s_idleWait);
                _stats.AddIdleTime(System.Diagnostics.Stopwatch.GetTimestamp() - now);
            }
        }
    }

    /// <summary>The next chunk to read, opening inputs as needed; null when every input has been scheduled.</summary>
    private Chunk? NextChunk()
    {
        while (true)
        {
            if (_current is null)
            {
                if (_nextInput >= _inputs.Count || !_reads.Files.HasRoom)
                {
                    return null;
                }

                _current = OpenInput(_nextInput++);
                if (_current is null)
                {
                    continue;
                }
            }

            InputFile input = _current;
            if (input.Exhausted)
            {
                // Its slot frees once its last read has ended; the table closes it if it opened it.
                _reads.Files.Remove(input.File);
                _current = null;
                continue;
            }

            long offset = input.NextOffset;
            int own = (int)Math.Min(_options.ChunkBytes, input.File.Size - offset);
            int expected = (int)Math.Min(_options.ChunkBytes + _options.OverlapBytes, input.File.Size - offset);
            input.NextOffset = offset + _options.ChunkBytes;
            return new Chunk(input, offset, own, expected);
        }
    }

    /// <summary>
    /// Opens an input if it is a regular file (a path is never opened blocking: a FIFO, a device or a socket is refused
    /// from its statx, see <see cref="IoFileTable"/>); else faults its one chunk with what it is.
    /// </summary>
    private InputFile? OpenInput(int inputIndex)
    {
        StreamInput input = _inputs[inputIndex];
        IoFile? file;
        string refusal;
        int errno = input.Handle is { } handle
            ? _reads.Files.TryAdopt(handle, input.Name, regularOnly: true, out file, out refusal)
            : _reads.Files.TryOpen(input.Path!, _options.Direct, out file, out refusal);
        if (errno != 0)
        {
            Fault(inputIndex, input.Name, 0, errno, refusal);
            return null;
        }

        _stats.AddFile(file!.Direct);
        return new InputFile(inputIndex, input.Name, file);
    }

    /// <summary>Starts reading a chunk into staging buffer <paramref name="index"/>.</summary>
    private void StartRead(int index, Chunk chunk)
    {
        if (!_reads.Files.TryHold(chunk.Input.File))
        {
            _free.Push(index);
            Fault(chunk.Input.InputIndex, chunk.Input.Name, chunk.Offset, EBADF, $"'{chunk.Input.Name}': the handle was closed while the stream read it.");
            return;
        }

        // Page-cache reads go to the kernel's io workers, in parallel; O_DIRECT reads are asynchronous by themselves.
        _reads.Start(chunk.Input.File, chunk.Offset, (nint)(_staging + ((long)index * _stride)), chunk.Expected, new Read(index, chunk));
    }

    private void Completed(Read read, int got, int errno)
    {
        _stats.AddBytes(got);
        _host.Meter.StreamBytes(got);
        if (errno != 0)
        {
            Finish(read, errno);
        }
        else if (got == 0 && read.Chunk.Expected > 0)
        {
            Finish(read, ENODATA); // Truncated while read: nothing left where this chunk was.
        }
        else
        {
            Publish(read, got);
        }
    }

    /// <summary>Prepares the slot of a chunk whose read has ended; <see cref="PublishReady"/> publishes it with the others of this reap.</summary>
    private void Publish(Read read, int got)
    {
        (int index, Chunk chunk) = read;
        int own = Math.Min(chunk.Own, got);
        int readable = Math.Min(chunk.Expected, got);
        var request = new SlotRequest(_opcode);
        request.SetArgument(0, _options.HeapStaging is { } heap ? (uint)(heap + ((long)index * _stride / sizeof(uint))) : (uint)(_stagingOffset + ((long)index * _stride)));
        request.SetArgument(1, (uint)own);
        request.SetArgument(2, (uint)readable);
        request.SetArgument(3, (uint)index);
        for (int i = 0; i < _options.ExtraArguments.Length; i++)
        {
            request.SetArgument(4 + i, _options.ExtraArguments[i]);
        }

        _toPublish.Add((index, request, new FileChunk(chunk.Input.InputIndex, chunk.Input.Name, chunk.Offset, own, default, index), readable));
    }

    /// <summary>
    /// Publishes every prepared chunk as one batch (one doorbell) when the ring has room; the io thread
    /// never blocks on a full ring, since it alone retires the slots it holds.
    /// </summary>
    private bool PublishReady()
    {
        if (_toPublish.Count == 0)
        {
            return false;
        }

        bool progressed = false;
        int ready = _toPublish.Count;
        if (_options.HeapStaging is { } heap)
        {
            long prepared = _unpublishedBase + _toPublish.Count;
            if (_staged < prepared)
            {
                // Into device memory before the slots exist: queued DMAs, one per run of consecutive staging buffers (each
                // buffer's heap copy sits at the same stride, so a run is one range; the unread tails between go along).
                _copies.Enqueue((prepared, _host.StartDataToHeap(HeapCopies(heap, (int)(_staged - _unpublishedBase), (int)(prepared - _staged))), System.Diagnostics.Stopwatch.GetTimestamp()));
                _staged = prepared;
                progressed = true;
            }

            while (_copies.TryPeek(out (long UpTo, HeapCopy Copy, long StartedAt) started) && started.Copy.IsDone)
            {
                _stats.AddCopyTime(System.Diagnostics.Stopwatch.GetTimestamp() - started.StartedAt);
                _copied = started.UpTo;
                started.Copy.Dispose();
                _copies.Dequeue();
            }

            ready = (int)(_copied - _unpublishedBase);
            if (ready == 0)
            {
                return progressed;
            }
        }

        // Chunk slots are Normal: a batch never exceeds what that level's window can admit.
        ready = Math.Min(ready, _ring.Priorities.Window(PriorityGate.Rank(SlotPriority.Normal)));
        Span<SlotRequest> requests = ready <= 64 ? stackalloc SlotRequest[ready] : new SlotRequest[ready];
        for (int i = 0; i < requests.Length; i++)
        {
            requests[i] = _toPublish[i].Request;
        }

        _host.ThrowIfStopped();
        if (!_ring.TryPublishOwned(requests, _host.OnPublished, out long first))
        {
            DateTime now = DateTime.UtcNow;
            _publishBlockedSince = now < _publishBlockedSince ? now : _publishBlockedSince;
            if (now - _publishBlockedSince > _host.WaitTimeout)
            {
                throw new TimeoutException($"The ring had no room for {requests.Length} chunk slot(s) for {_host.WaitTimeout.TotalSeconds:0.#} s. Fix: raise MegakernelOptions.SlotCount above StreamOptions.Depth plus what other submitters hold, or check Telemetry().KernelState.");
            }

            return progressed;
        }

        _publishBlockedSince = DateTime.MaxValue;
        DateTime deadline = DateTime.UtcNow + _host.WaitTimeout;
        long publishedAt = System.Diagnostics.Stopwatch.GetTimestamp();
        for (int i = 0; i < requests.Length; i++)
        {
            (int index, _, FileChunk chunk, _) = _toPublish[i];
            _slots[index] = new InFlightSlot(first + i, chunk, deadline, publishedAt);
            _published.Add(index);
        }

        _slotsInFlight += requests.Length;
        _toPublish.RemoveRange(0, requests.Length);
        _unpublishedBase += requests.Length;
        return true;
    }

    /// <summary>The heap copies of <paramref name="count"/> prepared chunks from <paramref name="first"/> of <see cref="_toPublish"/>, runs of consecutive staging buffers merged.</summary>
    private DataToHeap[] HeapCopies(int heap, int first, int count)
    {
        var chunks = new (int Index, int Bytes)[count];
        for (int i = 0; i < count; i++)
        {
            (int index, _, _, int readable) = _toPublish[first + i];
            chunks[i] = (index, (readable + 3) & ~3);
        }

        Array.Sort(chunks);
        var copies = new List<DataToHeap>(count);
        int start = 0;
        for (int i = 1; i <= count; i++)
        {
            if (i < count && chunks[i].Index == chunks[i - 1].Index + 1)
            {
                continue;
            }

            (int firstIndex, _) = chunks[start];
            (int lastIndex, int lastBytes) = chunks[i - 1];
            int bytes = ((lastIndex - firstIndex) * _stride) + lastBytes;
            copies.Add(new DataToHeap(_stagingOffset + (firstIndex * _stride), heap + (int)((long)firstIndex * _stride / sizeof(uint)), bytes));
            start = i;
        }

        return [.. copies];
    }

    /// <summary>
    /// Hands the chunks whose slots have completed to the consumer, oldest first, looking past running ones up to
    /// <see cref="TakeWindow"/> of them in a row: a slow slot (a worker preempted, a handler compiled at its first call)
    /// no longer holds every finished chunk behind it and their staging buffers (measured on Managed: 190 of 256 buffers
    /// held that way, the workers parked a third of the time). A running slot past its deadline ends the stream.
    /// </summary>
    private bool TakeFinished()
    {
        bool any = false;
        DateTime now = DateTime.UtcNow;
        int kept = 0;
        int running = 0;
        int looked = 0;
        for (; looked < _published.Count && running < TakeWindow; looked++)
        {
            int index = _published[looked];
            InFlightSlot slot = _slots[index]!.Value;
            if (!_ring.TryTake(slot.Sequence, out SlotResult result))
            {
                if (now > slot.Deadline)
                {
                    throw _host.SlotTimeout(slot.Sequence);
                }

                _published[kept++] = index;
                running++;
                continue;
            }

            running = 0;
            _slots[index] = null;
            _slotsInFlight--;
            _stats.AddChunk(fault: false);
            _stats.AddSlotTime(System.Diagnostics.Stopwatch.GetTimestamp() - slot.PublishedAt);
            _handedAt[index] = System.Diagnostics.Stopwatch.GetTimestamp();
            _results.Writer.TryWrite(slot.Chunk with { Result = result });
            any = true;
        }

        // The running ones looked at stay first, in order; those not looked at follow.
        _published.RemoveRange(kept, looked - kept);
        return any;
    }

    /// <summary>Ends a chunk whose read failed: a FAULT result with the errno, no slot.</summary>
    private void Finish(Read read, int errno)
    {
        _free.Push(read.Index);
        Chunk chunk = read.Chunk;
        Fault(chunk.Input.InputIndex, chunk.Input.Name, chunk.Offset, errno, $"'{chunk.Input.Name}': reading at offset {chunk.Offset} failed: {Describe(errno)} (errno {errno}).");
    }

    private void Fault(int inputIndex, string name, long offset, int errno, string error)
    {
        _stats.AddChunk(fault: true);
        _results.Writer.TryWrite(new FileChunk(inputIndex, name, offset, 0, SlotResult.Faulted(FaultCode.IoError, (uint)errno), -1) { Error = error });
    }

    /// <summary>On stop or failure: cancel reads in flight, reap them, wait for slots in flight; every wait bounded.</summary>
    private void Drain()
    {
        // Copies still queued finish on the copy stream by themselves; their markers go.
        while (_copies.TryDequeue(out (long UpTo, HeapCopy Copy, long StartedAt) started))
        {
            started.Copy.Dispose();
        }

        _reads.Cancel(s_cancelBound, static (_, _, _) => { }); // Nothing is handed on once the stream stops.

        // Slots in flight still own their staging buffers: take them (bounded), then hand the rest to the host.
        DateTime slotsDeadline = DateTime.UtcNow + _host.WaitTimeout + TimeSpan.FromSeconds(1);
        _published.Clear();
        try
        {
            for (int index = 0; index < _slots.Length; index++)
            {
                if (_slots[index] is not { } slot)
                {
                    continue;
                }

                _slots[index] = null;
                bool taken;
                while (!(taken = _ring.TryTake(slot.Sequence, out _)) && DateTime.UtcNow < slotsDeadline)
                {
                    Thread.Yield();
                }

                if (!taken)
                {
                    _host.Abandon(slot.Sequence);
                }
            }
        }
        catch (ObjectDisposedException)
        {
            // The host was shut down under the stream; its shutdown freed the slots.
        }

        _results.Writer.TryComplete();
    }

    /// <summary>An input being read: its file in the table and the offset of its next chunk.</summary>
    private sealed class InputFile(int inputIndex, string name, IoFile file)
    {
        public int InputIndex { get; } = inputIndex;

        public string Name { get; } = name;

        public IoFile File { get; } = file;

        public long NextOffset { get; set; }

        /// <summary>Whether every chunk is scheduled; an empty file still has one (empty) chunk.</summary>
        public bool Exhausted => NextOffset >= Math.Max(File.Size, 1);
    }

    private readonly record struct InFlightSlot(long Sequence, FileChunk Chunk, DateTime Deadline, long PublishedAt);

    /// <summary>A chunk to read: <paramref name="Own"/> bytes at <paramref name="Offset"/>, <paramref name="Expected"/> with the overlap.</summary>
    private sealed record Chunk(InputFile Input, long Offset, int Own, int Expected);

    /// <summary>A chunk's read into staging buffer <paramref name="Index"/>.</summary>
    private readonly record struct Read(int Index, Chunk Chunk);
}
