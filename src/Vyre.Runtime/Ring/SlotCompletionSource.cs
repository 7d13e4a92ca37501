using System;
using System.Collections.Concurrent;
using System.Threading;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;

namespace Vyre.Ring;

/// <summary>
/// What an awaited <c>SubmitAsync</c> waits on: a pooled <see cref="IValueTaskSource{TResult}"/>, so a warm host
/// allocates nothing per slot. Only the host's completion pump ends a source (and only after taking it out of the
/// pending table), so a source is never ended twice or after it went back to the pool; a cancellation only asks
/// the pump, which ends the wait with <see cref="OperationCanceledException"/>.
/// </summary>
internal sealed class SlotCompletionSource : IValueTaskSource<SlotResult>
{
    private const int MaxPooled = 1024;
    private static readonly ConcurrentQueue<SlotCompletionSource> s_pool = new();
    private static int s_pooled;

    private ManualResetValueTaskSourceCore<SlotResult> _core = new() { RunContinuationsAsynchronously = true };
    private CancellationTokenRegistration _registration;
    private CancellationToken _token;
    private int _cancelRequested;

    /// <summary>When the wait gives up with a <see cref="TimeoutException"/>.</summary>
    public DateTime Deadline { get; private set; }

    /// <summary>Whether the caller's token asked to stop waiting.</summary>
    public bool CancelRequested => Volatile.Read(ref _cancelRequested) != 0;

    /// <summary>The token that asked (for the exception).</summary>
    public CancellationToken Token => _token;

    public ValueTask<SlotResult> Task => new(this, _core.Version);

    /// <summary>A source from the pool, waiting until <paramref name="deadline"/>; <paramref name="wake"/> is signalled on cancellation.</summary>
    public static SlotCompletionSource Rent(DateTime deadline, CancellationToken token, EventWaitHandle wake)
    {
        if (!s_pool.TryDequeue(out SlotCompletionSource? source))
        {
            source = new SlotCompletionSource();
        }
        else
        {
            Interlocked.Decrement(ref s_pooled);
        }

        source.Deadline = deadline;
        source._token = token;
        if (token.CanBeCanceled)
        {
            source._registration = token.UnsafeRegister(static (state, _) =>
            {
                var (self, signal) = ((SlotCompletionSource, EventWaitHandle))state!;
                Volatile.Write(ref self._cancelRequested, 1);
                signal.Set();
            }, (source, wake));
        }

        return source;
    }

    /// <summary>Ends the wait with <paramref name="result"/> (the pump only).</summary>
    public void SetResult(SlotResult result)
    {
        _registration.Dispose();
        _core.SetResult(result);
    }

    /// <summary>Ends the wait with <paramref name="error"/> (the pump, or shutdown once the pump has stopped).</summary>
    public void SetException(Exception error)
    {
        _registration.Dispose();
        _core.SetException(error);
    }

    public SlotResult GetResult(short token)
    {
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            Return();
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    private void Return()
    {
        _core.Reset();
        _registration = default;
        _token = default;
        _cancelRequested = 0;
        if (Interlocked.Increment(ref s_pooled) <= MaxPooled)
        {
            s_pool.Enqueue(this);
        }
        else
        {
            Interlocked.Decrement(ref s_pooled);
        }
    }
}
