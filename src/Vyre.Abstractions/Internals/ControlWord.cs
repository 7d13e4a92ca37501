namespace Vyre.Internals;

/// <summary>
/// The control block: 256 <see cref="uint"/> words in host memory mapped into the device, then the express line's 128
/// bytes with the doorbell (<see cref="AllocatedWords"/> in all). Every word has exactly one writer, the host or the
/// device (PCIe gives no host-device atomics; FACTS.md); the summary of each constant says which.
/// </summary>
internal static class ControlWord
{
    /// <summary>Host: nonzero asks the device loop to stop.</summary>
    public const int Shutdown = 0;

    /// <summary>Device: slots completed (DONE or FAULT) since start, modulo 2^32.</summary>
    public const int DoneCount = 1;

    /// <summary>Host: index of the first tenant mask word (always <see cref="TenantMaskFirst"/>).</summary>
    public const int TenantBase = 2;

    /// <summary>Host: mask of tenant 1 (tenant <c>t</c> is at <c>TenantMaskFirst + t - 1</c>).</summary>
    public const int TenantMaskFirst = 3;

    /// <summary>Host: mask of the last tenant.</summary>
    public const int TenantMaskLast = 31;

    /// <summary>Reserved: per-tenant quota words 32..63.</summary>
    public const int TenantQuotaFirst = 32;

    /// <summary>Reserved: per-tenant fairness words 64..95.</summary>
    public const int TenantFairnessFirst = 64;

    /// <summary>Device: completions per dispatch ordinal (96..127; see <see cref="MetricCount"/>).</summary>
    public const int OpcodeMetricsFirst = 96;

    /// <summary>Number of per-opcode metric words; ordinals past the last share the last word.</summary>
    public const int MetricCount = 32;

    /// <summary>Device: bumped by every completed BATCH_FENCE.</summary>
    public const int Epoch = 128;

    /// <summary>Reserved: priority offsets 129..134.</summary>
    public const int PriorityOffsetsFirst = 129;

    /// <summary>Reserved: starvation counter.</summary>
    public const int StarvationCounter = 135;

    /// <summary>Reserved: priority fairness 136..140.</summary>
    public const int PriorityFairnessFirst = 136;

    /// <summary>
    /// Host: the doorbell, the number of slots published since start (modulo 2^32). It ends the express line's 128 bytes
    /// (<see cref="ExpressFirst"/>), so that CUDA's forwarder reads both with one PCIe request.
    /// </summary>
    public const int PublishCursor = ExpressFirst + (ExpressEntries * 2);

    /// <summary>Host: a counter the host bumps periodically; the device loop stops when it goes stale.</summary>
    public const int Heartbeat = 142;

    /// <summary>Device: a <c>KernelState</c>.</summary>
    public const int KernelState = 143;

    /// <summary>Device: why the device loop stopped (a <c>KernelExitReason</c>).</summary>
    public const int ExitReason = 144;

    /// <summary>Host: nonzero while the host's io service serves LOAD_MISS requests from the io queue.</summary>
    public const int IoServiceState = 145;

    /// <summary>Host: io queue requests the host has taken (modulo 2^32); request <c>t</c> sits in entry <c>t % 64</c>.</summary>
    public const int IoConsumed = 146;

    /// <summary>
    /// Host: the first word of the express line, a 128-byte line past the control block proper (the allocation holds
    /// <see cref="AllocatedWords"/>): <see cref="ExpressEntries"/> entries of 8 bytes, entry <c>k</c> holding word <c>k + 1</c>
    /// of the last lone slot published in its low half and that slot's sequence + 1 (its tag) in its high half, then the
    /// doorbell (<see cref="PublishCursor"/>) and a reserved word. CUDA's forwarder reads the whole line each iteration and
    /// runs a lone slot from it when every entry carries the tag it expects: one PCIe round trip instead of two (docs/latency.md).
    /// </summary>
    public const int ExpressFirst = 256;

    /// <summary>Entries of the express line: a slot's words 1..15 (<c>SlotLayout.WordCount - 1</c>).</summary>
    public const int ExpressEntries = 15;

    /// <summary>Words allocated for the control block and the express line's 128 bytes (with the doorbell).</summary>
    public const int AllocatedWords = ExpressFirst + (128 / sizeof(uint));

    /// <summary>Device: slots the forwarder ran from the express line (modulo 2^32), republished with the counters.</summary>
    public const int ExpressServed = 147;

    /// <summary>
    /// Device: lone slots the forwarder served from the first read it issued after its previous answer (modulo 2^32),
    /// republished with the counters. Back to back, the slots it did not are those whose doorbell landed after that read
    /// had looked and waited for the next one (docs/latency.md); a benchmark's measure, not a guarantee.
    /// </summary>
    public const int FirstReadServed = 148;

    /// <summary>First word free for user observables (160..255).</summary>
    public const int ObservablesFirst = 160;

    /// <summary>Number of tenants with a mask word (tenants 1..29; tenant 0 is the host and always allowed).</summary>
    public const int TenantCount = TenantMaskLast - TenantMaskFirst + 1;
}
