using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Threading;

namespace Vyre.Runtime.Tests;

/// <summary>Listens to the Vyre meter as dotnet-counters or OpenTelemetry would, and keeps every measurement.</summary>
internal sealed class MeterRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<Measured> _measured = new();

    public MeterRecorder()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == MegakernelMetrics.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Add(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Add(instrument, value, tags));
        _listener.Start();
    }

    /// <summary>The measurements so far.</summary>
    public IReadOnlyList<Measured> All => [.. _measured];

    /// <summary>
    /// Observes the observable instruments until <paramref name="done"/> holds for the latest observation of
    /// <paramref name="instrument"/> (device counters may trail the slots a moment), at most five seconds.
    /// </summary>
    public IReadOnlyList<Measured> ObserveUntil(string instrument, Func<IReadOnlyList<Measured>, bool> done)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            _measured.Clear();
            _listener.RecordObservableInstruments();
            List<Measured> latest = [.. _measured.Where(m => m.Instrument == instrument)];
            if (done(latest) || clock.Elapsed > TimeSpan.FromSeconds(5))
            {
                return latest;
            }

            Thread.Sleep(10);
        }
    }

    public void Dispose() => _listener.Dispose();

    private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var map = new Dictionary<string, string>();
        foreach (KeyValuePair<string, object?> tag in tags)
        {
            map[tag.Key] = tag.Value?.ToString() ?? string.Empty;
        }

        _measured.Enqueue(new Measured(instrument.Name, value, map));
    }
}

/// <summary>One measurement with its tags.</summary>
internal sealed record Measured(string Instrument, double Value, IReadOnlyDictionary<string, string> Tags)
{
    public string Tag(string key) => Tags.TryGetValue(key, out string? value) ? value : string.Empty;
}
