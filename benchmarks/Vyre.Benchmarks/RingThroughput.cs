using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using Vyre.Internals;
using Vyre.Ring;

namespace Vyre.Benchmarks;

/// <summary>
/// Sustained tiny slots through the ring's bulk path: host threads each keep two batches in flight (publish the next,
/// then wait for the one before), and every result is checked. The same loop drives Managed and Cuda.
/// </summary>
internal static class RingThroughput
{
    /// <summary>Managed, one worker: the bulk path against a direct loop over the same dispatcher, and one slot's round trip.</summary>
    public static async Task ManagedAsync(bool quick)
    {
        int total = quick ? 1 << 21 : 1 << 24;
        const int Batch = 8192;
        await using MegakernelHost host = await BenchKernels.StartAsync(new MegakernelOptions { Backend = Backend.Managed, Lanes = 1, SlotCount = Batch * 4 });
        // Each path twice: the first pass runs while .NET's tiered JIT still replaces quick code with optimized code
        // (the first second of a process), the second is the steady state a long-running host sees.
        (double firstRing, long wrongFirst) = Run(host, threads: 1, Batch, total);
        (double firstUniform, long wrongUniformFirst) = Run(host, threads: 1, Batch, total, uniform: true);
        double firstDirect = Direct(total, out uint sink);
        (double ringRate, long wrong) = Run(host, threads: 1, Batch, total);
        host.Ring.Profile = new RingProfile();
        (double uniformRate, long wrongUniform) = Run(host, threads: 1, Batch, total, uniform: true, out double[] phases);
        double[] profile = host.Ring.Profile.Totals();
        host.Ring.Profile = null;
        double directRate = Direct(total, out uint sink2);
        double workerAlone = DeviceCeiling(host, quick ? 16 : 128);
        (double nopRate, long wrongNop) = Run(host, threads: 1, Batch, total, uniform: true, out _, nop: true);
        double nopDirect = Direct(total, out uint sink3, nop: true);
        (double p50, double p99, int wrongTrips, _) = RoundTrips(host, quick ? 20_000 : 200_000);

        Console.WriteLine($"\n## Managed backend, tiny Increment slots, one worker thread ({total:N0} slots a pass; sink {(sink + sink2 + sink3) % 7})\n");
        Console.WriteLine("| path | first pass, M slots/s | second pass, M slots/s | second pass, ratio to direct | wrong results |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: |");
        Console.WriteLine($"| direct loop calling the dispatcher | {firstDirect / 1e6:0.0} | {directRate / 1e6:0.0} | 1.00 | |");
        Console.WriteLine($"| bulk: batches of {Batch} as SlotRequest / SlotResult values, two in flight, every result checked | {firstRing / 1e6:0.0} | {ringRate / 1e6:0.0} | {directRate / ringRate:0.00}x slower | {wrong + wrongFirst} |");
        Console.WriteLine($"| bulk: batches of {Batch} as packed words (uniform batch), two in flight, every result checked | {firstUniform / 1e6:0.0} | {uniformRate / 1e6:0.0} | {directRate / uniformRate:0.00}x slower | {wrongUniform + wrongUniformFirst} |");
        Console.WriteLine($"| the worker alone: the whole ring re-run lap after lap (one doorbell per lap, completion through the group words, no host work per slot, results not read) | | {workerAlone / 1e6:0.0} | {directRate / workerAlone:0.00}x slower | |");
        Console.WriteLine($"| NOP slots (after the rows above): direct loop calling the dispatcher | | {nopDirect / 1e6:0.0} | 1.00 | |");
        Console.WriteLine($"| NOP slots: bulk, batches of {Batch} as packed words (uniform batch), two in flight, every state checked | | {nopRate / 1e6:0.0} | {nopDirect / nopRate:0.00}x slower | {wrongNop} |");
        Console.WriteLine($"\nThe publisher's time in the second uniform pass, ns per slot: filling {phases[0]:0.0}, publishing {phases[1]:0.0}, in WaitBatch {phases[2]:0.0}, checking {phases[3]:0.0}.");
        PrintProfiles([(1, Batch, profile, Math.Max(2, total / Batch) * (double)Batch)]);
        Console.WriteLine($"\nOne slot's round trip on Managed (Submit, spin-wait): p50 {p50:0.00} µs, p99 {p99:0.00} µs, wrong {wrongTrips}.");
    }

    /// <summary>
    /// Cuda: one and several publishing threads, batches of 1K to 32K. Threads × batch × 2 in flight stays at or under
    /// half the ring: the ring reuses slots in sequence order, so one slow thread's oldest batch holds back everyone's room.
    /// </summary>
    public static async Task CudaAsync(bool quick)
    {
        const int Ring = 1 << 17;
        await using MegakernelHost host = await BenchKernels.StartAsync(new MegakernelOptions { Backend = Backend.Cuda, SlotCount = Ring });
        Console.WriteLine($"\n## CUDA: sustained tiny slots, resident megakernel, bulk path ({host.Description})\n");
        Console.WriteLine("| host threads | batch | in flight per thread | SlotRequest values, M slots/s | packed words (uniform batch), M slots/s | uniform: a publisher's ns per slot filling / publishing / in WaitBatch / checking | wrong results |");
        Console.WriteLine("| ---: | ---: | ---: | ---: | ---: | --- | ---: |");
        int total = quick ? 1 << 22 : 1 << 25;
        var profiles = new List<(int Threads, int Batch, double[] Totals, double Slots)>();
        foreach ((int threads, int batch) in new[] { (1, 1024), (1, 16384), (1, 32768), (2, 16384), (4, 4096), (4, 8192), (8, 4096), (16, 2048) })
        {
            (double rate, long wrong) = Run(host, threads, batch, total);
            host.Ring.Profile = new RingProfile();
            (double uniformRate, long uniformWrong) = Run(host, threads, batch, total, uniform: true, out double[] phases);
            profiles.Add((threads, batch, host.Ring.Profile.Totals(), (double)threads * Math.Max(2, total / threads / batch) * batch));
            host.Ring.Profile = null;
            Console.WriteLine($"| {threads} | {batch:N0} | 2 | {rate / 1e6:0.00} | {uniformRate / 1e6:0.00} | {string.Join(" / ", phases.Select(p => (p * threads).ToString("0.0")))} | {wrong + uniformWrong} |");
        }

        PrintProfiles(profiles);

        // Slots of a tenant: the device checks each one against the tenant's permission mask.
        host.SetTenantPermissions(1, TenantPermissions.User);
        (double tenantRate, long tenantWrong) = Run(host, 8, 4096, total, uniform: true, tenant: 1);
        (double tenantRequests, long tenantRequestsWrong) = Run(host, 8, 4096, total, uniform: false, tenant: 1);
        Console.WriteLine($"\nTenant 1's slots (each checked against its permission mask), 8 threads × 4,096: uniform {tenantRate / 1e6:0.00} M slots/s, SlotRequest {tenantRequests / 1e6:0.00} M slots/s, wrong {tenantWrong + tenantRequestsWrong}.");

        double ceiling = DeviceCeiling(host, quick ? 16 : 128);
        Console.WriteLine($"\nThe device side alone (the whole ring re-run lap after lap: one doorbell per lap, completion through the group words, no host work per slot, results not read): {ceiling / 1e6:0.0} M slots/s.");
    }

    /// <summary>
    /// The uniform rows' host time by part of the ring (<see cref="RingProfile"/>): nanoseconds of a publisher's or waiter's
    /// time per slot of its own (summed over the threads, divided by the slots), and the counters.
    /// </summary>
    private static void PrintProfiles(List<(int Threads, int Batch, double[] Totals, double Slots)> profiles)
    {
        Console.WriteLine("\nWhere the uniform rows' host time goes in the ring, ns of thread time per slot (each part summed over the threads ÷ the slots run):\n");
        Console.WriteLine($"| threads × batch | {string.Join(" | ", RingProfile.Names)} | publishes refused for room | doorbells that moved / slots each |");
        Console.WriteLine($"| --- |{string.Concat(Enumerable.Repeat(" ---: |", RingProfile.Names.Length + 2))}");
        foreach ((int threads, int batch, double[] totals, double slots) in profiles)
        {
            int parts = RingProfile.Names.Length;
            double publishes = totals[parts + RingProfile.Publishes];
            double rings = totals[parts + RingProfile.Rings];
            Console.WriteLine($"| {threads} × {batch:N0} | {string.Join(" | ", totals.Take(parts).Select(t => (t / slots).ToString("0.0")))} | {totals[parts + RingProfile.Refused]:N0} of {publishes + totals[parts + RingProfile.Refused]:N0} | {rings:N0} / {totals[parts + RingProfile.Scanned] / Math.Max(1, rings):N0} |");
        }
    }

    /// <summary>Slots per second the device side serves when the host does nothing per slot (<see cref="MegakernelHost.RerunRingForBenchmark"/>).</summary>
    private static double DeviceCeiling(MegakernelHost host, int laps)
    {
        int slots = host.SlotCount;
        var requests = new SlotRequest[slots];
        Array.Fill(requests, new SlotRequest(BenchKernels.Opcodes.Increment, 1));
        host.WaitBatch(host.PublishBatch(requests), new SlotResult[slots]);
        var clock = Stopwatch.StartNew();
        for (int lap = 0; lap < laps; lap++)
        {
            long first = host.RerunRingForBenchmark(slots);
            uint mark = CompletionGroups.DoneMark(first, slots, CompletionGroups.GroupSizeFor(slots));
            DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            Span<uint> words = host.GroupDoneWords;
            for (int g = 0; g < words.Length; g++)
            {
                while ((int)(Volatile.Read(ref words[g]) - mark) < 0)
                {
                    if (DateTime.UtcNow > deadline)
                    {
                        throw new TimeoutException($"Group {g} did not finish lap {lap}.");
                    }
                }
            }
        }

        return (double)laps * slots / clock.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// <paramref name="threads"/> threads each publish batches of <paramref name="batch"/> Increment slots (argument = the
    /// slot's index plus the batch number) with two batches in flight until <paramref name="total"/> slots ran; returns
    /// slots per second and the number of wrong results. <paramref name="uniform"/>: the batches are published from packed
    /// argument words and waited for into packed result words (<see cref="MegakernelHost.PublishBatch(in SlotRequest, ReadOnlySpan{uint}, int)"/>),
    /// else as one <see cref="SlotRequest"/> and one <see cref="SlotResult"/> per slot.
    /// </summary>
    public static (double Rate, long Wrong) Run(MegakernelHost host, int threads, int batch, int total, bool uniform = false, uint tenant = 0) =>
        Run(host, threads, batch, total, uniform, out _, tenant);

    /// <summary>
    /// <see cref="Run(MegakernelHost, int, int, int, bool, uint)"/>, and where the publishers' time went: nanoseconds per slot
    /// (summed over the threads, divided by the slots) filling requests, publishing, in <c>WaitBatch</c>, and checking results.
    /// <paramref name="nop"/> (uniform batches only): NOP slots, whose states alone are checked (no result words come back).
    /// </summary>
    public static (double Rate, long Wrong) Run(MegakernelHost host, int threads, int batch, int total, bool uniform, out double[] phases, uint tenant = 0, bool nop = false)
    {
        if (nop && !uniform)
        {
            throw new ArgumentException("NOP slots are measured in uniform batches only.", nameof(nop));
        }

        int perThread = Math.Max(2, total / threads / batch);
        long wrong = 0;
        long[] ticks = new long[4];
        using var ready = new Barrier(threads + 1);
        var workers = new Thread[threads];
        var template = new SlotRequest(nop ? Opcodes.Nop : BenchKernels.Opcodes.Increment) { Tenant = tenant };
        for (int t = 0; t < threads; t++)
        {
            workers[t] = new Thread(() =>
            {
                var requests = new[] { new SlotRequest[batch], new SlotRequest[batch] };
                var args = new[] { new uint[batch], new uint[batch] };
                var results = new SlotResult[batch];
                var states = new SlotState[batch];
                var words = new uint[batch];
                var pending = new SlotBatch[2];
                long bad = 0;
                long[] own = new long[4];
                long mark = Stopwatch.GetTimestamp();
                void Phase(int phase)
                {
                    long now = Stopwatch.GetTimestamp();
                    own[phase] += now - mark;
                    mark = now;
                }

                void Fill(int b)
                {
                    FillWords(b);
                    Phase(0);
                }

                void FillWords(int b)
                {
                    if (uniform)
                    {
                        uint[] into = args[b & 1];
                        for (int i = 0; i < batch; i++)
                        {
                            into[i] = (uint)(i + b);
                        }

                        return;
                    }

                    SlotRequest[] requestsInto = requests[b & 1];
                    for (int i = 0; i < batch; i++)
                    {
                        requestsInto[i] = new SlotRequest(BenchKernels.Opcodes.Increment, (uint)(i + b)) { Tenant = tenant };
                    }
                }

                void Wait(int b)
                {
                    WaitAndCheck(b);
                    Phase(3);
                }

                void WaitAndCheck(int b)
                {
                    if (uniform)
                    {
                        // The count of slots that ended in FAULT: 0 means every state is DONE.
                        bad += host.WaitBatch(pending[b & 1], states, words, nop ? 0 : 1);
                        Phase(2);
                        for (int i = 0; i < (nop ? 0 : batch); i++)
                        {
                            bad += words[i] == (uint)(i + b + 1) ? 0 : 1;
                        }

                        return;
                    }

                    host.WaitBatch(pending[b & 1], results);
                    Phase(2);
                    for (int i = 0; i < batch; i++)
                    {
                        bad += results[i].IsDone && results[i][0] == (uint)(i + b + 1) ? 0 : 1;
                    }
                }

                SlotBatch Publish(int b)
                {
                    SlotBatch published = uniform ? host.PublishBatch(template, args[b & 1], 1) : host.PublishBatch(requests[b & 1]);
                    Phase(1);
                    return published;
                }

                bool TryPublish(int b, out SlotBatch published)
                {
                    bool done = uniform ? host.TryPublishBatch(template, args[b & 1], 1, out published) : host.TryPublishBatch(requests[b & 1], out published);
                    Phase(1);
                    return done;
                }

                Fill(0);
                pending[0] = Publish(0);
                Wait(0);
                ready.SignalAndWait();
                ready.SignalAndWait();
                Array.Clear(own);
                mark = Stopwatch.GetTimestamp();

                // Two batches in flight; with no room, wait for the oldest first (never block on room while holding one).
                int next = 1;
                int oldest = 1;
                while (oldest <= perThread)
                {
                    if (next <= perThread && next - oldest < 2)
                    {
                        Fill(next);
                        if (next == oldest)
                        {
                            pending[next & 1] = Publish(next);
                            next++;
                            continue;
                        }

                        if (TryPublish(next, out pending[next & 1]))
                        {
                            next++;
                            continue;
                        }
                    }

                    Wait(oldest++);
                }

                Interlocked.Add(ref wrong, bad);
                for (int p = 0; p < own.Length; p++)
                {
                    Interlocked.Add(ref ticks[p], own[p]);
                }
            })
            { IsBackground = true, Name = "bench-publisher-" + t };
            workers[t].Start();
        }

        ready.SignalAndWait();
        var clock = Stopwatch.StartNew();
        ready.SignalAndWait();
        foreach (Thread worker in workers)
        {
            worker.Join();
        }

        double seconds = clock.Elapsed.TotalSeconds;
        double slots = (double)threads * perThread * batch;
        phases = [.. ticks.Select(t => t * 1e9 / Stopwatch.Frequency / slots)];
        return (slots / seconds, wrong);
    }

    /// <summary>
    /// One slot at a time through <see cref="MegakernelHost.Submit(uint, ReadOnlySpan{uint})"/>: p50 and p99 in µs, and the
    /// share of the rounds whose slot the forwarder served from its first read after the previous answer (CUDA; 0 elsewhere).
    /// </summary>
    public static (double P50, double P99, int Wrong, double FirstRead) RoundTrips(MegakernelHost host, int rounds, int maxGapNs = 0, uint tenant = 0)
    {
        OwnSlots.WarmUp(host, TimeSpan.FromSeconds(0.5));
        double[] micros = new double[rounds];
        int wrong = 0;
        var random = new Random(12345);
        uint firstBefore = OwnSlots.SettledFirstReads(host);
        for (int i = 0; i < rounds; i++)
        {
            if (maxGapNs > 0)
            {
                OwnSlots.RandomGap(random, maxGapNs);
            }

            long t0 = Stopwatch.GetTimestamp();
            SlotResult r = host.Submit(new SlotRequest(BenchKernels.Opcodes.Increment, (uint)i) { Tenant = tenant });
            micros[i] = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
            wrong += r[0] == (uint)i + 1 ? 0 : 1;
        }

        double firstRead = (double)(OwnSlots.SettledFirstReads(host) - firstBefore) / rounds;
        Array.Sort(micros);
        return (micros[rounds / 2], micros[rounds * 99 / 100], wrong, firstRead);
    }

    /// <summary>
    /// Round trips of one PACKED slot holding <paramref name="ops"/> ops, each an Increment (every op's result checked) or,
    /// when <paramref name="nop"/>, a NOP (the slot's state checked); the last value as in <see cref="RoundTrips"/>.
    /// </summary>
    public static (double P50, double P99, int Wrong, double FirstRead) PackedRoundTrips(MegakernelHost host, int rounds, int ops, bool nop = false)
    {
        uint[] args = new uint[1 + (2 * ops)];
        args[0] = (uint)ops;
        double[] micros = new double[rounds];
        int wrong = 0;
        uint firstBefore = OwnSlots.SettledFirstReads(host);
        for (int i = 0; i < rounds; i++)
        {
            for (int op = 0; op < ops; op++)
            {
                args[1 + (2 * op)] = nop ? Opcodes.Nop : BenchKernels.Opcodes.Increment;
                args[2 + (2 * op)] = (uint)(i + op);
            }

            long t0 = Stopwatch.GetTimestamp();
            SlotResult r = host.Submit(Opcodes.PackedSlot, args);
            micros[i] = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
            for (int op = 0; op < ops; op++)
            {
                wrong += r.IsDone && (nop || r[2 + (2 * op)] == (uint)(i + op + 1)) ? 0 : 1;
            }
        }

        double firstRead = (double)(OwnSlots.SettledFirstReads(host) - firstBefore) / rounds;
        Array.Sort(micros);
        return (micros[rounds / 2], micros[rounds * 99 / 100], wrong, firstRead);
    }

    /// <summary>The baseline: a loop calling the same handler (Increment, or NOP) through the same dispatcher, no ring.</summary>
    private static double Direct(int total, out uint sink, bool nop = false)
    {
        uint opcode = nop ? Opcodes.Nop : BenchKernels.Opcodes.Increment;
        using Context context = Context.Create(b => b.CPU());
        using CPUAccelerator accelerator = context.CreateCPUAccelerator(0);
        using MemoryBuffer1D<uint, Stride1D.Dense> words = accelerator.Allocate1D<uint>(SlotLayout.WordCount);
        using MemoryBuffer1D<uint, Stride1D.Dense> scratch = accelerator.Allocate1D<uint>(SlotScratch.WordsPerSlot);
        var buffers = new MegakernelBuffers { Ring = new SharedWords(words.View, (ulong)words.NativePtr), ScratchAddress = (ulong)scratch.NativePtr, SlotCount = 1 };
        var dispatcher = default(BenchKernels.Dispatcher);
        var clock = Stopwatch.StartNew();
        sink = 0;
        for (int i = 0; i < total; i++)
        {
            var slot = new SlotContext(buffers, 0, opcode, 0);
            sink += (uint)dispatcher.Dispatch(ref slot, out _);
        }

        return total / clock.Elapsed.TotalSeconds;
    }
}
