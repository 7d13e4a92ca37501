using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Vyre.Internals;
using Vyre.Ring;

namespace Vyre;

/// <summary>
/// The instruments a host reports through <see cref="System.Diagnostics.Metrics"/>, under the meter
/// <see cref="MeterName"/>, so <c>dotnet-counters monitor --counters Vyre</c> and OpenTelemetry
/// (<c>AddMeter("Vyre")</c>) see them. Every measurement carries the tag <c>vyre.megakernel</c> (the class name); each
/// host has a meter of its own, disposed with the host. Nothing is measured per slot on the publish or wait path unless a
/// listener asks for <c>vyre.slots.done</c>: counts are read from the counters the device side keeps or kept per batch,
/// faults are counted when their results are read.
/// </summary>
/// <remarks>
/// Instruments (docs/telemetry.md): <c>vyre.slots.published</c> (tags <c>vyre.tenant</c>, <c>vyre.priority</c>),
/// <c>vyre.slots.done</c> (tags <c>vyre.opcode</c>, <c>vyre.tenant</c>, <c>vyre.priority</c>; counted per result read, only
/// while a listener is attached), <c>vyre.slots.completed</c> (tag
/// <c>vyre.opcode</c>), <c>vyre.slots.faulted</c> (tags <c>vyre.opcode</c>, <c>vyre.fault</c>, <c>vyre.tenant</c>,
/// <c>vyre.priority</c>), <c>vyre.ring.occupancy</c>, <c>vyre.io.bytes</c> (tag <c>vyre.io.kind</c>: <c>stream</c> or
/// <c>load_miss</c>), <c>vyre.load_miss.duration</c> (seconds, from the host taking a request to the slot's end).
/// </remarks>
public static class MegakernelMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Vyre";

    /// <summary>The tag naming the megakernel.</summary>
    public const string MegakernelTag = "vyre.megakernel";

    /// <summary>The tag naming the opcode (its handler's or built-in's name; <c>other</c> for the metric word shared by loop built-ins, unknown opcodes and ordinals past 30).</summary>
    public const string OpcodeTag = "vyre.opcode";

    /// <summary>The tag naming the <see cref="FaultCode"/>.</summary>
    public const string FaultTag = "vyre.fault";

    /// <summary>The tag with the slot's tenant.</summary>
    public const string TenantTag = "vyre.tenant";

    /// <summary>The tag with the slot's priority: <c>critical</c>, <c>high</c>, <c>normal</c>, <c>low</c> or <c>background</c>.</summary>
    public const string PriorityTag = "vyre.priority";

    /// <summary>The tag saying which io path read the bytes.</summary>
    public const string IoKindTag = "vyre.io.kind";
}

/// <summary>One host's meter and instruments (<see cref="MegakernelMetrics"/>).</summary>
internal sealed class HostMeter : IDisposable
{
    private readonly Meter _meter;
    private readonly KeyValuePair<string, object?> _megakernel;
    private readonly string[] _ordinalNames;
    private readonly Dictionary<uint, string> _opcodeNames = [];
    private readonly Counter<long> _faulted;
    private readonly Counter<long> _done;
    private readonly Counter<long> _ioBytes;
    private readonly Histogram<double> _loadMissDuration;

    /// <summary>Creates the instruments; the observable ones call <paramref name="read"/> for the host's counters (null once it has shut down).</summary>
    public HostMeter(MegakernelTemplate template, Func<HostCounters?> read)
    {
        _meter = new Meter(MegakernelMetrics.MeterName, typeof(HostMeter).Assembly.GetName().Version?.ToString());
        _megakernel = new(MegakernelMetrics.MegakernelTag, template.Name);
        _ordinalNames = OrdinalNames(template, _opcodeNames);
        _meter.CreateObservableCounter("vyre.slots.published", () => Published(read), "{slot}", "Slots published to the ring, by tenant and priority.");
        _meter.CreateObservableCounter("vyre.slots.completed", () => Completed(read), "{slot}", "Slots the device side completed, by opcode.");
        _meter.CreateObservableUpDownCounter("vyre.ring.occupancy", () => Observe(read, c => c.Outstanding), "{slot}", "Slots published and not yet retired.");
        _faulted = _meter.CreateCounter<long>("vyre.slots.faulted", "{slot}", "Slots whose results were read with state FAULT.");
        _done = _meter.CreateCounter<long>("vyre.slots.done", "{slot}", "Slots whose results were read with state DONE, by opcode, tenant and priority (counted only while a listener is attached).");
        _ioBytes = _meter.CreateCounter<long>("vyre.io.bytes", "By", "Bytes read by the io sidecar into the data buffer.");
        _loadMissDuration = _meter.CreateHistogram<double>("vyre.load_miss.duration", "s", "From the host taking a LOAD_MISS request to the end of its slot.");
    }

    /// <summary>Counts a FAULT result read from the ring, with the slot's header words.</summary>
    public void Faulted(uint opcode, FaultCode fault, uint tenant, uint priority)
    {
        if (_faulted.Enabled)
        {
            _faulted.Add(1, _megakernel, new(MegakernelMetrics.OpcodeTag, OpcodeName(opcode)), new(MegakernelMetrics.FaultTag, fault.ToString()), new(MegakernelMetrics.TenantTag, tenant), new(MegakernelMetrics.PriorityTag, PriorityName(priority)));
        }
    }

    /// <summary>Whether a listener wants <c>vyre.slots.done</c>: only then is each DONE result counted (a tagged add per slot).</summary>
    public bool DoneEnabled => _done.Enabled;

    /// <summary>Counts a DONE result read from the ring, with the slot's header words.</summary>
    public void Done(uint opcode, uint tenant, uint priority) =>
        _done.Add(1, _megakernel, new(MegakernelMetrics.OpcodeTag, OpcodeName(opcode)), new(MegakernelMetrics.TenantTag, tenant), new(MegakernelMetrics.PriorityTag, PriorityName(priority)));

    /// <summary>The tag value of a priority word: the level's name in lower case (the number for a word no level has).</summary>
    internal static string PriorityName(uint priority) => priority switch
    {
        (uint)SlotPriority.Critical => "critical",
        (uint)SlotPriority.High => "high",
        (uint)SlotPriority.Normal => "normal",
        (uint)SlotPriority.Low => "low",
        (uint)SlotPriority.Background => "background",
        _ => priority.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>Counts bytes read by a streaming run.</summary>
    public void StreamBytes(long bytes) => IoBytes(bytes, "stream");

    /// <summary>Counts bytes read for LOAD_MISS requests.</summary>
    public void LoadMissBytes(long bytes) => IoBytes(bytes, "load_miss");

    /// <summary>Records one LOAD_MISS request's time, from <paramref name="takenAt"/> (a <see cref="Stopwatch"/> timestamp) to now.</summary>
    public void LoadMissEnded(long takenAt)
    {
        if (_loadMissDuration.Enabled)
        {
            _loadMissDuration.Record(Stopwatch.GetElapsedTime(takenAt).TotalSeconds, _megakernel);
        }
    }

    public void Dispose() => _meter.Dispose();

    private void IoBytes(long bytes, string kind)
    {
        if (_ioBytes.Enabled && bytes > 0)
        {
            _ioBytes.Add(bytes, _megakernel, new(MegakernelMetrics.IoKindTag, kind));
        }
    }

    private IEnumerable<Measurement<long>> Observe(Func<HostCounters?> read, Func<HostCounters, long> value)
    {
        HostCounters? counters = read();
        return counters is null ? [] : [new Measurement<long>(value(counters), _megakernel)];
    }

    private IEnumerable<Measurement<long>> Published(Func<HostCounters?> read)
    {
        HostCounters? counters = read();
        if (counters is null)
        {
            return [];
        }

        var measurements = new List<Measurement<long>>();
        for (int i = 0; i < counters.PublishedByClass.Length; i++)
        {
            if (counters.PublishedByClass[i] != 0)
            {
                uint tenant = (uint)(i / PriorityGate.Levels);
                string priority = PriorityName((uint)PriorityGate.Level(i % PriorityGate.Levels));
                measurements.Add(new Measurement<long>(counters.PublishedByClass[i], _megakernel, new(MegakernelMetrics.TenantTag, tenant), new(MegakernelMetrics.PriorityTag, priority)));
            }
        }

        return measurements;
    }

    private IEnumerable<Measurement<long>> Completed(Func<HostCounters?> read)
    {
        HostCounters? counters = read();
        if (counters is null)
        {
            return [];
        }

        var measurements = new List<Measurement<long>>();
        for (int i = 0; i < counters.Metrics.Length; i++)
        {
            if (counters.Metrics[i] != 0)
            {
                measurements.Add(new Measurement<long>(counters.Metrics[i], _megakernel, new(MegakernelMetrics.OpcodeTag, _ordinalNames[i])));
            }
        }

        return measurements;
    }

    private string OpcodeName(uint opcode) => _opcodeNames.TryGetValue(opcode, out string? name) ? name : $"0x{opcode:X}";

    /// <summary>
    /// The name of each metric word: ordinal <c>k</c> is the <c>k</c>-th call node of the dispatch tree in pre-order
    /// (the generator numbers them so), the last word is shared (<see cref="SlotExecutor.SystemOrdinal"/>).
    /// </summary>
    private static string[] OrdinalNames(MegakernelTemplate template, Dictionary<uint, string> byOpcode)
    {
        string[] names = new string[ControlWord.MetricCount];
        int ordinal = 0;
        foreach (ProgramNode node in template.Nodes)
        {
            if (node.Kind is ProgramNodeKind.CallBuiltin or ProgramNodeKind.CallHandler)
            {
                byOpcode[node.Operand] = node.Label;
                if (ordinal < SlotExecutor.SystemOrdinal)
                {
                    names[ordinal] = node.Label;
                }

                ordinal++;
            }
        }

        for (int i = 0; i < names.Length; i++)
        {
            names[i] ??= "other";
        }

        names[SlotExecutor.SystemOrdinal] = "other";
        return names;
    }
}

/// <summary>The host's counters as one observation reads them.</summary>
/// <param name="PublishedByClass">Sequences published per tenant and priority: entry <c>tenant * PriorityGate.Levels + rank</c>.</param>
/// <param name="Outstanding">Slots published and not yet retired.</param>
/// <param name="Metrics">The per-ordinal completion counters.</param>
internal sealed record HostCounters(long[] PublishedByClass, long Outstanding, uint[] Metrics);
