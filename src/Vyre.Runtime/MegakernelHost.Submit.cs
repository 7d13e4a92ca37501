using System;
using System.Collections.Concurrent;
using System.Threading;
using System.Threading.Tasks;
using Vyre.Ring;

namespace Vyre;

/// <summary>Submitting slots: one at a time (spin-wait or async) or in batches.</summary>
public sealed unsafe partial class MegakernelHost
{
    /// <summary>Slots the pump watches: an awaited submit's source, or null for a slot nobody waits for any more (freed once it completes).</summary>
    private readonly ConcurrentDictionary<long, SlotCompletionSource?> _pending = new();
    private readonly AutoResetEvent _pendingAdded = new(false);
    private Thread? _pump;
    private readonly Lock _pumpLock = new();

    /// <summary>Runs one slot and spins on this thread until it completes (the lowest-latency form).</summary>
    /// <exception cref="TimeoutException">The slot did not complete within <see cref="MegakernelOptions.WaitTimeout"/>.</exception>
    public SlotResult Submit(uint opcode, params ReadOnlySpan<uint> args) => Submit(new SlotRequest(opcode, args));

    /// <summary>Runs one slot and spins on this thread until it completes.</summary>
    public SlotResult Submit(in SlotRequest request)
    {
        using CallScope call = EnterCall();
        long sequence = PublishOwned(new ReadOnlySpan<SlotRequest>(in request));
        return Await(sequence, DateTime.UtcNow + _options.WaitTimeout);
    }

    /// <summary>Runs one slot; the result comes when the slot completes (bounded by <see cref="MegakernelOptions.WaitTimeout"/>).</summary>
    public ValueTask<SlotResult> SubmitAsync(uint opcode, params ReadOnlySpan<uint> args) => SubmitAsync(new SlotRequest(opcode, args));

    /// <summary>Runs one slot; the result comes when the slot completes (bounded by <see cref="MegakernelOptions.WaitTimeout"/>).</summary>
    public ValueTask<SlotResult> SubmitAsync(in SlotRequest request) => SubmitAsync(request, CancellationToken.None);

    /// <summary>
    /// Runs one slot; the result comes when the slot completes. Awaiting allocates nothing once the host is warm (the
    /// waits are pooled), so await the returned value once, as with any <see cref="ValueTask{TResult}"/>.
    /// </summary>
    /// <param name="request">The slot.</param>
    /// <param name="cancellationToken">
    /// Stops the wait with <see cref="OperationCanceledException"/>. A slot already published still runs (a GPU
    /// cannot take it back); its slot is freed once it completes. Canceled before the call, nothing is published.
    /// </param>
    /// <exception cref="TimeoutException">The slot did not complete within <see cref="MegakernelOptions.WaitTimeout"/>.</exception>
    /// <exception cref="ObjectDisposedException">The host shut down before the slot completed.</exception>
    public ValueTask<SlotResult> SubmitAsync(in SlotRequest request, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<SlotResult>(cancellationToken);
        }

        using CallScope call = EnterCall();
        long sequence = PublishOwned(new ReadOnlySpan<SlotRequest>(in request));
        SlotCompletionSource source = SlotCompletionSource.Rent(DateTime.UtcNow + _options.WaitTimeout, cancellationToken, _pendingAdded);
        ValueTask<SlotResult> result = source.Task;
        _pending[sequence] = source;
        EnsurePump();
        _pendingAdded.Set();
        return result;
    }

    /// <summary>
    /// Publishes <paramref name="requests"/> as one batch (one doorbell) and returns a handle for
    /// <see cref="WaitBatch(SlotBatch, Span{SlotResult})"/>. Every request is validated first; on a bad one nothing is published. Waits (bounded by
    /// <see cref="MegakernelOptions.WaitTimeout"/>) for room; several threads may publish at once. A thread that keeps
    /// batches in flight publishes with <see cref="TryPublishBatch(ReadOnlySpan{SlotRequest}, out SlotBatch)"/> instead.
    /// </summary>
    public SlotBatch PublishBatch(ReadOnlySpan<SlotRequest> requests)
    {
        BatchChecks.ThrowIfEmpty(requests);
        Validate(requests);
        return PublishChecked(requests);
    }

    /// <summary><see cref="PublishBatch(ReadOnlySpan{SlotRequest})"/> for requests the caller has checked (<see cref="Validate"/>, not empty): a tenant's handle checks before it takes quota.</summary>
    internal SlotBatch PublishChecked(ReadOnlySpan<SlotRequest> requests)
    {
        using CallScope call = EnterCall();
        return new SlotBatch(_ring, _ring.Publish(requests, _options.WaitTimeout, _onPublished), requests.Length);
    }

    /// <summary>
    /// Publishes <paramref name="requests"/> as one batch if the ring has room for all of it now; otherwise publishes
    /// nothing and returns false at once. For threads that keep batches in flight: when this returns false, wait for
    /// your own oldest batch, then publish. Slots are reused in sequence order, so a thread that blocks in
    /// <see cref="PublishBatch(ReadOnlySpan{SlotRequest})"/> while it holds an unwaited batch can keep every other publisher waiting for room until
    /// <see cref="MegakernelOptions.WaitTimeout"/> (docs/bulk-path.md).
    /// </summary>
    public bool TryPublishBatch(ReadOnlySpan<SlotRequest> requests, out SlotBatch batch)
    {
        BatchChecks.ThrowIfEmpty(requests);
        using CallScope call = EnterCall();
        Validate(requests);
        bool published = _ring.TryPublish(requests, _onPublished, out long first);
        batch = published ? new SlotBatch(_ring, first, requests.Length) : default;
        return published;
    }

    /// <summary>
    /// Publishes a uniform batch as one batch (one doorbell): one slot per <paramref name="argsPerSlot"/> words of
    /// <paramref name="args"/>, each with <paramref name="template"/>'s opcode, tenant and priority; slot <c>i</c>'s first
    /// <paramref name="argsPerSlot"/> argument words are <c>args[i · argsPerSlot ..]</c> and its other argument words the
    /// template's. The cheapest way to publish many slots of one kind: the template is checked once, and nothing per slot is
    /// built. Wait for it with either <see cref="WaitBatch(SlotBatch, Span{SlotResult})"/> or
    /// <see cref="WaitBatch(SlotBatch, Span{SlotState}, Span{uint}, int)"/>. Waits (bounded by
    /// <see cref="MegakernelOptions.WaitTimeout"/>) for room; on a bad argument nothing is published.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="args"/> is empty or not a whole number of slots, the batch does not fit the ring, or the template is refused (as <see cref="Submit(in SlotRequest)"/> would refuse it).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="argsPerSlot"/> is outside 1..<see cref="SlotRequest.MaxArguments"/>, or the template's tenant or priority is.</exception>
    /// <exception cref="TimeoutException">The ring had no room for the batch at its priority within <see cref="MegakernelOptions.WaitTimeout"/>.</exception>
    public SlotBatch PublishBatch(in SlotRequest template, ReadOnlySpan<uint> args, int argsPerSlot) =>
        PublishChecked(in template, args, ValidateUniform(in template, args, argsPerSlot));

    /// <summary>The uniform <c>PublishBatch</c> for a batch the caller has checked (<see cref="ValidateUniform"/>): a tenant's handle checks before it takes quota.</summary>
    internal SlotBatch PublishChecked(in SlotRequest template, ReadOnlySpan<uint> args, int argsPerSlot)
    {
        using CallScope call = EnterCall();
        var source = new UniformSource(template, args, argsPerSlot);
        return new SlotBatch(_ring, _ring.Publish(ref source, _options.WaitTimeout, _onPublished), source.Count);
    }

    /// <summary>
    /// <see cref="PublishBatch(in SlotRequest, ReadOnlySpan{uint}, int)"/> if the ring has room for the whole batch now;
    /// otherwise publishes nothing and returns false at once (see <see cref="TryPublishBatch(ReadOnlySpan{SlotRequest}, out SlotBatch)"/>).
    /// </summary>
    public bool TryPublishBatch(in SlotRequest template, ReadOnlySpan<uint> args, int argsPerSlot, out SlotBatch batch)
    {
        using CallScope call = EnterCall();
        var source = new UniformSource(template, args, ValidateUniform(in template, args, argsPerSlot));
        bool published = _ring.TryPublish(ref source, _onPublished, out long first);
        batch = published ? new SlotBatch(_ring, first, source.Count) : default;
        return published;
    }

    /// <summary>
    /// Waits (bounded) for every slot of <paramref name="batch"/>, writes their results to <paramref name="results"/> in
    /// order, and frees their slots. A batch is waited for once, by one caller, on the host that published it.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="batch"/> was not published by this host, or <paramref name="results"/> is too short.</exception>
    /// <exception cref="InvalidOperationException">The batch was already waited for (or is being waited for by another thread).</exception>
    /// <exception cref="TimeoutException">A slot did not complete within <see cref="MegakernelOptions.WaitTimeout"/>; the batch's slots are freed once they complete.</exception>
    public void WaitBatch(SlotBatch batch, Span<SlotResult> results)
    {
        BatchChecks.ThrowIfNotWaitable(batch.Ring, _ring, batch.Count, results.Length, nameof(SlotBatch), "host");
        var sink = new ResultSink(results);
        Take(batch, ref sink);
    }

    /// <summary>
    /// Waits (bounded) for every slot of <paramref name="batch"/>, packed: slot <c>i</c>'s state goes to
    /// <c>states[i]</c> and its first <paramref name="resultsPerSlot"/> result words to
    /// <c>results[i · resultsPerSlot ..]</c> (for a FAULT slot: the fault code, then the detail); frees their slots and
    /// returns how many ended in FAULT (0: every slot is DONE, no need to look at <paramref name="states"/>). A batch is
    /// waited for once, by one caller, on the host that published it.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="batch"/> was not published by this host, or <paramref name="states"/> or <paramref name="results"/> is too short.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="resultsPerSlot"/> is outside 0..<see cref="SlotRequest.MaxArguments"/>.</exception>
    /// <exception cref="InvalidOperationException">The batch was already waited for (or is being waited for by another thread).</exception>
    /// <exception cref="TimeoutException">A slot did not complete within <see cref="MegakernelOptions.WaitTimeout"/>; the batch's slots are freed once they complete.</exception>
    public int WaitBatch(SlotBatch batch, Span<SlotState> states, Span<uint> results, int resultsPerSlot)
    {
        BatchChecks.ThrowIfNotWaitable(batch.Ring, _ring, batch.Count, states.Length, nameof(SlotBatch), "host", nameof(states));
        BatchChecks.ThrowIfResultWordsShort(batch.Count, results.Length, resultsPerSlot);
        var sink = new WordSink(states, results, resultsPerSlot);
        Take(batch, ref sink);
        return sink.Faulted;
    }

    /// <summary>Claims <paramref name="batch"/> for this caller, takes its slots into <paramref name="sink"/> and retires them; on timeout hands the rest to the pump.</summary>
    private void Take<TSink>(SlotBatch batch, scoped ref TSink sink)
        where TSink : ISlotSink, allows ref struct
    {
        using CallScope call = EnterCall();
        if (!_ring.TryClaimBatch(batch.First, batch.Count))
        {
            throw new InvalidOperationException($"The batch of {batch.Count} slot(s) from sequence {batch.First} was already waited for (or another thread is waiting for it). Fix: wait for each batch once.");
        }

        int taken = _ring.TakeRange(batch.First, batch.Count, ref sink, DateTime.UtcNow + _options.WaitTimeout);
        if (taken == batch.Count)
        {
            return;
        }

        // Slots nobody waits for any more are freed by the pump once they complete.
        for (int i = taken; i < batch.Count; i++)
        {
            Abandon(batch.First + i);
        }

        throw WaitFailed(batch.First + taken);
    }

    /// <summary>
    /// Spins (bounded) until claimed <paramref name="sequence"/> completes and takes its result. On timeout the slot is
    /// handed to the pump (freed once it completes); when the host shut down under the wait, ObjectDisposedException.
    /// </summary>
    private SlotResult Await(long sequence, DateTime deadline)
    {
        if (_ring.SpinUntilComplete(sequence, deadline))
        {
            return _ring.Take(sequence);
        }

        Abandon(sequence);
        throw WaitFailed(sequence);
    }

    /// <summary>Why a wait for <paramref name="sequence"/> ended without its result: the host shut down under it, or it timed out.</summary>
    private Exception WaitFailed(long sequence) => _ring.WaitersReleased
        ? new ObjectDisposedException(nameof(MegakernelHost), $"The megakernel shut down before slot {sequence} ran. Fix: wait for submitted slots before disposing the host.")
        : SlotTimeout(sequence);

    /// <summary>Publishes <paramref name="requests"/> claimed for the caller, its one waiter (<see cref="HostRing.TryPublishOwned"/>).</summary>
    private long PublishOwned(ReadOnlySpan<SlotRequest> requests)
    {
        Validate(requests);
        return _ring.Publish(requests, _options.WaitTimeout, _onPublished, owned: true);
    }

    /// <summary>
    /// Publishes a batch if the ring has room for all of it now, else publishes nothing: for a caller
    /// that retires its own slots (<see cref="TryTake"/>) and must not block while holding completed ones.
    /// </summary>
    internal bool TryPublish(ReadOnlySpan<SlotRequest> requests, out long first)
    {
        Validate(requests);
        return _ring.TryPublishOwned(requests, _onPublished, out first);
    }

    /// <summary>Sequences published so far (the doorbell).</summary>
    internal long Published => _ring.Published;

    /// <summary>Slots published and not yet retired (a group's measure of load).</summary>
    internal long Outstanding => _ring.Outstanding;

    /// <summary>Hands a published batch nobody will wait for to the pump, which frees its slots once they complete.</summary>
    internal void AbandonBatch(SlotBatch batch)
    {
        if (!ReferenceEquals(batch.Ring, _ring) || !_ring.TryClaimBatch(batch.First, batch.Count))
        {
            return;
        }

        for (int i = 0; i < batch.Count; i++)
        {
            Abandon(batch.First + i);
        }
    }

    /// <summary>The admission rules by priority (tests watch its waiting publishers).</summary>
    internal PriorityGate Priorities => _ring.Priorities;

    /// <summary>Whether <paramref name="sequence"/> has completed (its status word says DONE or FAULT); reads one word.</summary>
    internal bool IsComplete(long sequence) => _ring.IsComplete(sequence);

    /// <summary>Takes the result of <paramref name="sequence"/> and retires its slot if it has completed.</summary>
    internal bool TryTake(long sequence, out SlotResult result) => _ring.TryTake(sequence, out result);

    internal void Validate(ReadOnlySpan<SlotRequest> requests)
    {
        ThrowIfStopped();
        ThrowIfLargerThanRing(requests.Length, nameof(requests));
        foreach (ref readonly SlotRequest request in requests)
        {
            RequestValidator.Validate(in request, _ring.SlotCount);
        }
    }

    /// <summary>
    /// Checks a uniform batch's shape and template before anything is written: the template's header once, and every
    /// slot's argument words only for an opcode whose arguments are checked (<see cref="RequestValidator.ChecksArguments"/>;
    /// the template's own words in the slots' places are not looked at). Returns
    /// <paramref name="argsPerSlot"/>.
    /// </summary>
    internal int ValidateUniform(in SlotRequest template, ReadOnlySpan<uint> args, int argsPerSlot)
    {
        ThrowIfStopped();
        if (argsPerSlot is < 1 or > SlotRequest.MaxArguments)
        {
            throw new ArgumentOutOfRangeException(nameof(argsPerSlot), $"argsPerSlot is {argsPerSlot}; a slot takes 1..{SlotRequest.MaxArguments} words from args. Fix: pass the number of argument words each slot takes (the template supplies the others).");
        }

        if (args.IsEmpty || args.Length % argsPerSlot != 0)
        {
            throw new ArgumentException($"args holds {args.Length} words, which is not a whole, non-zero number of slots of {argsPerSlot} words. Fix: pass argsPerSlot words per slot, at least one slot.", nameof(args));
        }

        ThrowIfLargerThanRing(args.Length / argsPerSlot, nameof(args));
        RequestValidator.ValidateHeader(in template);
        if (RequestValidator.ChecksArguments(template.Opcode))
        {
            SlotRequest[] requests = new UniformSource(template, args, argsPerSlot).Requests();
            for (int i = 0; i < requests.Length; i++)
            {
                try
                {
                    RequestValidator.ValidateArguments(in requests[i], _ring.SlotCount);
                }
                catch (ArgumentException e)
                {
                    throw new ArgumentException($"Slot {i} of the uniform batch (args[{i * argsPerSlot}..]): {e.Message}", nameof(args), e);
                }
            }
        }

        return argsPerSlot;
    }

    private void ThrowIfLargerThanRing(int count, string parameter)
    {
        if (count > _ring.SlotCount)
        {
            throw new ArgumentException($"A batch of {count} slots cannot fit a ring of {_ring.SlotCount}. Fix: split the batch or raise MegakernelOptions.SlotCount.", parameter);
        }
    }

    internal TimeoutException SlotTimeout(long sequence) =>
        new($"Slot {sequence} did not complete within {_options.WaitTimeout.TotalSeconds:0.#} s on {Backend}. Fix: check Telemetry().KernelState (the device side may have stopped), look for a handler that does not return, or raise MegakernelOptions.WaitTimeout.");

    /// <summary>Hands a slot nobody waits for any more to the pump, which frees it once it completes.</summary>
    internal void Abandon(long sequence)
    {
        _pending[sequence] = null;
        EnsurePump();
    }

    private void EnsurePump()
    {
        if (Volatile.Read(ref _pump) is not null)
        {
            return;
        }

        // Published only once started: shutdown joins whatever it finds here (a Join before Start throws).
        lock (_pumpLock)
        {
            if (_pump is null)
            {
                var pump = new Thread(Pump) { IsBackground = true, Name = "vyre-completions" };
                pump.Start();
                Volatile.Write(ref _pump, pump);
            }
        }
    }

    /// <summary>Completes async waiters and frees abandoned slots as their slots complete.</summary>
    private void Pump()
    {
        var spin = new SpinWait();
        while (Volatile.Read(ref _state) != 2)
        {
            if (_pending.IsEmpty)
            {
                _pendingAdded.WaitOne(50);
                continue;
            }

            bool progressed = false;
            DateTime now = DateTime.UtcNow;
            foreach ((long sequence, SlotCompletionSource? source) in _pending)
            {
                if (_ring.IsComplete(sequence))
                {
                    if (_pending.TryRemove(sequence, out _))
                    {
                        SlotResult result = _ring.Take(sequence);
                        source?.SetResult(result);
                        progressed = true;
                    }
                }
                else if (source is not null && (source.CancelRequested || now > source.Deadline))
                {
                    // The entry lets go of the source before it ends: an ended source may go back to the pool at once.
                    _pending[sequence] = null;
                    source.SetException(source.CancelRequested ? new OperationCanceledException(source.Token) : SlotTimeout(sequence));
                }
            }

            if (progressed)
            {
                spin.Reset();
            }
            else
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }
        }
    }

    /// <summary>At shutdown, once the pump has stopped and before the ring is freed: results for slots that completed, an error for every other waiter.</summary>
    private void CompletePending()
    {
        foreach ((long sequence, SlotCompletionSource? source) in _pending)
        {
            if (!_pending.TryRemove(sequence, out _) || source is null)
            {
                continue;
            }

            if (_ring.IsComplete(sequence))
            {
                source.SetResult(_ring.Take(sequence));
            }
            else
            {
                source.SetException(new ObjectDisposedException(nameof(MegakernelHost), $"The megakernel shut down before slot {sequence} completed. Fix: await submitted slots before disposing the host."));
            }
        }

        _pendingAdded.Set();
    }
}

/// <summary>
/// A published batch, as <see cref="MegakernelHost.PublishBatch(ReadOnlySpan{SlotRequest})"/> returns it: consecutive sequence numbers from
/// <see cref="First"/>, bound to the host that published them. Only that host's <see cref="MegakernelHost.WaitBatch(SlotBatch, Span{SlotResult})"/>
/// accepts it, once; a default value is refused.
/// </summary>
public readonly struct SlotBatch
{
    internal SlotBatch(HostRing ring, long first, int count)
    {
        Ring = ring;
        First = first;
        Count = count;
    }

    /// <summary>The first sequence number.</summary>
    public long First { get; }

    /// <summary>Slots in the batch.</summary>
    public int Count { get; }

    /// <summary>The ring of the host that published the batch (null for a default value).</summary>
    internal HostRing? Ring { get; }
}
