using System;
using Microsoft.Extensions.Logging;
using Vyre.Logging;
using System.Collections.Concurrent;
using System.Threading;

namespace Vyre.Backends;

/// <summary>
/// Once mode's launch thread: publishers hand it ranges of sequence numbers and return at once; it launches the finite
/// kernel for them in publish order (contiguous ranges queued meanwhile go in one launch) and waits for each launch
/// (the slots' statuses reach the host through the ring as they finish). A publisher never blocks on a kernel, so a
/// slot that runs long is waited for as in Persistent mode: with a timeout or a cancellation token.
/// </summary>
internal sealed class OnceLauncher : IDisposable
{
    /// <summary>How long the thread spins for new work before it sleeps on its event: a hand-off costs no wake-up while work keeps coming.</summary>
    private static readonly TimeSpan s_spin = TimeSpan.FromMicroseconds(50);

    private readonly ConcurrentQueue<(long First, int Count)> _queue = new();
    private readonly ManualResetEventSlim _signal = new(false);
    private readonly Action<long, int> _launch;
    private readonly int _maxCount;
    private readonly ILogger _log;
    private readonly Thread _thread;
    private long _queued;
    private long _launched;
    private volatile bool _stopping;
    private volatile Exception? _failure;

    /// <param name="launch">Launches the kernel for a range and returns when it has run.</param>
    /// <param name="maxCount">The most slots one launch may take (the ring's size).</param>
    /// <param name="log">Where a failed launch is reported.</param>
    /// <param name="name">The thread's name.</param>
    public OnceLauncher(Action<long, int> launch, int maxCount, ILogger log, string name)
    {
        _launch = launch;
        _maxCount = maxCount;
        _log = log;
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>The first launch failure, or null: once a launch failed, nothing more is launched and waits for the slots time out.</summary>
    public Exception? Failure => _failure;

    /// <summary>Queues the published range <paramref name="first"/>..+<paramref name="count"/>; never blocks.</summary>
    public void Enqueue(long first, int count)
    {
        _queue.Enqueue((first, count));
        Interlocked.Add(ref _queued, count);
        _signal.Set();
    }

    /// <summary>Waits until every queued range has run, at most <paramref name="timeout"/>; false when one is still running (a slot that does not end).</summary>
    public bool Drain(TimeSpan timeout)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var spin = default(SpinWait);
        while (Interlocked.Read(ref _launched) < Interlocked.Read(ref _queued) && _failure is null)
        {
            if (clock.Elapsed > timeout)
            {
                return false;
            }

            spin.SpinOnce(sleep1Threshold: 20);
        }

        return true;
    }

    /// <summary>Stops the thread once it is idle; waits at most <paramref name="timeout"/>. False when a launch still runs.</summary>
    public bool Stop(TimeSpan timeout)
    {
        _stopping = true;
        _signal.Set();
        return _thread.Join(timeout);
    }

    public void Dispose()
    {
        if (Stop(TimeSpan.Zero))
        {
            _signal.Dispose();
        }
    }

    private void Run()
    {
        while (true)
        {
            if (!_queue.TryDequeue(out (long First, int Count) range))
            {
                if (_stopping)
                {
                    return;
                }

                if (!SpinForWork())
                {
                    _signal.Wait(TimeSpan.FromMilliseconds(100));
                    _signal.Reset();
                }

                continue;
            }

            // Ranges published meanwhile that follow on go in the same launch.
            while (range.Count < _maxCount && _queue.TryPeek(out (long First, int Count) next) && next.First == range.First + range.Count
                && range.Count + next.Count <= _maxCount && _queue.TryDequeue(out next))
            {
                range.Count += next.Count;
            }

            if (_failure is null)
            {
                try
                {
                    _launch(range.First, range.Count);
                }
                catch (Exception ex)
                {
                    _failure = ex;
                    VyreLog.OnceLaunchFailed(_log, range.First, range.First + range.Count - 1, ex.Message, ex);
                }
            }

            Interlocked.Add(ref _launched, range.Count);
        }
    }

    private bool SpinForWork()
    {
        long until = System.Diagnostics.Stopwatch.GetTimestamp() + (long)(s_spin.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        while (_queue.IsEmpty && !_stopping)
        {
            if (System.Diagnostics.Stopwatch.GetTimestamp() > until)
            {
                return false;
            }

            Thread.SpinWait(20);
        }

        return true;
    }
}
