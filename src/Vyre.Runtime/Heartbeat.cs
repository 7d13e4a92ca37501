using System;
using System.Threading;

namespace Vyre;

/// <summary>
/// The host's heartbeat: bumps <see cref="Internals.ControlWord.Heartbeat"/> every period until stopped; the device
/// loop exits by itself once the word stays unchanged for the heartbeat timeout. It beats on a thread of
/// its own, not a thread-pool timer: a starved thread pool in the host application must not stop the beat
/// and with it a healthy megakernel.
/// </summary>
internal sealed unsafe class Heartbeat : IDisposable
{
    private readonly uint* _word;
    private readonly TimeSpan _period;
    private readonly ManualResetEventSlim _stop = new(false);
    private readonly Thread _thread;

    public Heartbeat(uint* word, TimeSpan period)
    {
        _word = word;
        _period = period;
        _thread = new Thread(Run) { IsBackground = true, Name = "vyre-heartbeat" };
        _thread.Start();
    }

    /// <summary>Stops beating, as a host that hangs or dies would.</summary>
    public void Stop() => _stop.Set();

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
            Interlocked.Increment(ref *_word);
        }
    }
}
