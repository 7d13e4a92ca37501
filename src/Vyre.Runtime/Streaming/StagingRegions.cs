using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;

namespace Vyre.Streaming;

/// <summary>
/// Which streams own which bytes of a host's data buffer: a stream takes its staging region before it reads
/// anything and gives it back only once its io thread has stopped and its slots are retired, so two streams
/// on one host never stage into the same bytes (nor hash each other's).
/// </summary>
internal static class StagingRegions
{
    private static readonly ConditionalWeakTable<MegakernelHost, List<Region>> s_taken = [];

    /// <summary>Takes bytes [<paramref name="start"/>, <paramref name="end"/>) of <paramref name="host"/>'s data buffer.</summary>
    /// <exception cref="InvalidOperationException">Another stream on this host owns some of those bytes.</exception>
    public static Region Take(MegakernelHost host, long start, long end)
    {
        List<Region> taken = s_taken.GetValue(host, _ => []);
        lock (taken)
        {
            foreach (Region other in taken)
            {
                if (start < other.End && other.Start < end)
                {
                    throw new InvalidOperationException($"Another StreamAsync on this host is still running and owns bytes [{other.Start}, {other.End}) of its data buffer, which this stream's staging buffers [{start}, {end}) overlap: both would read into the same bytes. Fix: finish (or cancel) the first stream before starting the next, give this one a StreamOptions.DataOffset past {other.End} (with DataBytes to match), or use a second host.");
                }
            }

            var region = new Region(taken, start, end);
            taken.Add(region);
            return region;
        }
    }

    /// <summary>A stream's staging region; <see cref="Dispose"/> gives it back.</summary>
    internal sealed class Region(List<Region> owner, long start, long end) : IDisposable
    {
        public long Start { get; } = start;

        public long End { get; } = end;

        public void Dispose()
        {
            lock (owner)
            {
                _ = owner.Remove(this);
            }
        }
    }
}
