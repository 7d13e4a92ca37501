using System;
using System.Threading;

namespace Vyre;

/// <summary>
/// The host's heartbeat: bumps <see cref="Internals.ControlWord.Heartbeat"/> every period until stopped; the device
/// loop exits by itself once the word stays unchanged for the heartbeat timeout. Each period it also runs the host's
/// watch (device-loss detection). It beats on a thread of its own, not a thread-pool timer: a starved thread pool in the
/// host application must not stop the beat and with it a healthy megakernel.
/// </summary>
internal sealed unsafe class Heartbeat : IDisposable
{
    private readonly uint* _word;
    private readonly TimeSpan _period;
    private readonly Action _watch;
    private readonly ManualResetEventSlim _stop = new(false);
    private readonly Thread _thread;
    private volatile bool _beating = true;

    public Heartbeat(uint* word, TimeSpan period, Action watch)
    {
        _word = word;
        _period = period;
        _watch = watch;
        _thread = new Thread(Run) { IsBackground = true, Name = "vyre-heartbeat" };
        _thread.Start();
    }

    /// <summary>Stops beating, as a host that hangs would (the watch goes on).</summary>
    public void Stop() => _beating = false;

    public void Dispose()
    {
        _stop.Set();
        _thread.Join();
        _stop.Dispose();
    }

    private void Run()
    {
        while (!_stop.Wait(_period))
        {
            if (_beating)
            {
                Interlocked.Increment(ref *_word);
            }

            try
            {
                _watch();
            }
            catch (Exception)
            {
                // The watch must never end the beat (nor the process): it tries again next period.
            }
        }
    }
}
