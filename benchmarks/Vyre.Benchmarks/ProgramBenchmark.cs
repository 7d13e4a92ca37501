using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading.Tasks;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using Vyre.Internals;
using Vyre.Programs;

namespace Vyre.Benchmarks;

/// <summary>
/// Issue 14's table: a chain of dependent tiny steps as one VIR0 program (one EXEC slot), as a host round trip per step,
/// and as an ILGPU kernel launch per step (with and without a synchronize), side by side; every chain's result checked.
/// </summary>
internal static class ProgramBenchmark
{
    private const int Steps = 1000;

    /// <summary>Round-trip trace entries of the host that times the interpreter with the GPU's timer.</summary>
    private const int TraceEntries = 1024;

    public static async Task RunAsync(bool quick)
    {
        int repeats = quick ? 5 : 30;
        var rows = new List<string>();
        var backends = new List<(Backend Backend, int? Lanes)> { (Backend.Managed, null) };
        if (MegakernelHost.IsCudaAvailable())
        {
            backends.Insert(0, (Backend.Cuda, null));
            backends.Insert(1, (Backend.Cuda, 128)); // One group of four warps: whether the polling warps around the running lane slow it.
        }

        foreach ((Backend backend, int? lanes) in backends)
        {
            await using MegakernelHost host = await BenchKernels.StartAsync(new MegakernelOptions { Backend = backend, Lanes = lanes, SlotCount = 1024 });
            ProgramHandle calls = host.LoadProgram(Chain(call: true));
            ProgramHandle arithmetic = host.LoadProgram(Chain(call: false));
            ProgramHandle unrolled = host.LoadProgram(Unrolled(Steps));
            ProgramHandle unrolledOne = host.LoadProgram(Unrolled(1));

            // Per dependent step on the device: (a run of 1,000 steps - a run of 1 step) / 999, so the slot's own round trip drops out.
            (double callMany, int wrong1) = Median(repeats, () => RunProgram(host, calls, Steps));
            (double callOne, int wrong2) = Median(repeats, () => RunProgram(host, calls, 1));
            (double addMany, int wrong3) = Median(repeats, () => RunProgram(host, arithmetic, Steps));
            (double addOne, int wrong4) = Median(repeats, () => RunProgram(host, arithmetic, 1));
            (double straightMany, int wrong6) = Median(repeats, () => RunProgram(host, unrolled, Steps));
            (double straightOne, int wrong7) = Median(repeats, () => RunProgram(host, unrolledOne, 1));
            (double roundTrips, int wrong5) = Median(repeats, () => RoundTripChain(host));
            string name = lanes is null ? backend.ToString() : $"{backend} ({lanes} lanes)";
            rows.Add(Row($"{name}: VIR0 program, each step a handler call (one EXEC slot)", callMany, (callMany - callOne) / (Steps - 1), wrong1 + wrong2));
            rows.Add(Row($"{name}: VIR0 program, each step an `addi` (one EXEC slot)", addMany, (addMany - addOne) / (Steps - 1), wrong3 + wrong4));
            rows.Add(Row($"{name}: VIR0 program of 1,000 `call`s in a row, no loop (one EXEC slot)", straightMany, (straightMany - straightOne) / (Steps - 1), wrong6 + wrong7));
            rows.Add(Row($"{name}: a host round trip per step (Submit, result feeds the next)", roundTrips, roundTrips / Steps, wrong5));
        }

        if (MegakernelHost.IsCudaAvailable())
        {
            // The resident kernel holds every SM: its host is gone before the launch rows start.
            await DeviceTimesAsync(rows, repeats);
            (double synced, double queued, int wrong) = IlgpuLaunches(repeats);
            rows.Add(Row("Cuda: an ILGPU launch + synchronize per step", synced, synced / Steps, wrong));
            rows.Add(Row("Cuda: an ILGPU launch per step, stream-ordered, one synchronize", queued, queued / Steps, wrong));
        }

        await GraphsAsync(backends, quick);
        Console.WriteLine($"\n## A chain of {Steps:N0} dependent tiny steps (median of {repeats} chains)\n");
        Console.WriteLine("| path | chain µs | µs per step | wrong results |");
        Console.WriteLine("| --- | ---: | ---: | ---: |");
        rows.ForEach(Console.WriteLine);
        Console.WriteLine("\nThe program rows' per-step figure is (chain of 1,000 − chain of 1) / 999: the device's cost per dependent step, without the slot's round trip. A looped step is two instructions (the step and `loop`); the unrolled program is one per step.");
    }

    private const int Layers = 100;
    private const int Width = 100;
    private const uint Zero = 19_000;
    private const uint Cells = 20_000;

    /// <summary>heap[r2] = max(heap[r0], heap[r1]) + 1 (two loads, a compare, a store: three calls and seven other instructions).</summary>
    private const string Deeper = """
        .fuel 100
            call LoadU32, r0, 1
            call LoadU32, r1, 1
            ltu r3, r0, r1
            jz r3, keep
            mov r0, r1
        keep:
            addi r5, r0, 1
            mov r4, r2
            call StoreU32, r4, 2
            halt
        """;

    /// <summary>
    /// A graph of 10,000 tasks in 100 layers of 100, each task after two of the layer before: on the device (worker slots,
    /// no host between tasks), as one batch of EXEC slots per layer, and as one EXEC round trip per task; every run checked.
    /// </summary>
    private static async Task GraphsAsync(List<(Backend Backend, int? Lanes)> backends, bool quick)
    {
        int repeats = quick ? 3 : 10;
        var rows = new List<string>();
        foreach ((Backend backend, int? lanes) in backends.Where(b => b.Lanes is null))
        {
            await using MegakernelHost host = await BenchKernels.StartAsync(new MegakernelOptions { Backend = backend, SlotCount = 4096, ProgramWords = 1 << 18 });
            ProgramHandle deeper = host.LoadProgram(Vir0Text.Parse(Deeper, host.HandlerOpcodes));
            var random = new Random(3);
            var graph = new TaskGraph();
            var inputs = new uint[Layers * Width][];
            for (int l = 0; l < Layers; l++)
            {
                for (int i = 0; i < Width; i++)
                {
                    int a = random.Next(Width), b = (a + 1 + random.Next(Width - 1)) % Width;
                    uint own = Cells + (uint)((l * Width) + i);
                    inputs[(l * Width) + i] = l == 0 ? [Zero, Zero, own] : [Cells + (uint)(((l - 1) * Width) + a), Cells + (uint)(((l - 1) * Width) + b), own];
                    int task = graph.AddTask(deeper, inputs[(l * Width) + i]);
                    if (l > 0)
                    {
                        graph.AddDependency(((l - 1) * Width) + a, task);
                        graph.AddDependency(((l - 1) * Width) + b, task);
                    }
                }
            }

            GraphHandle handle = host.LoadGraph(graph);
            foreach (int workers in new[] { 32, 128, 256 })
            {
                (double micros, int wrong) = Median(repeats, () => Timed(host, () => host.RunGraph(handle, workers).Succeeded));
                rows.Add(GraphRow($"{backend}: on the device, {workers} worker slots, no host between tasks", micros, wrong));
            }

            (double layered, int wrongLayered) = Median(repeats, () => Timed(host, () =>
            {
                var results = new SlotResult[Width];
                for (int l = 0; l < Layers; l++)
                {
                    SlotRequest[] requests = [.. Enumerable.Range(0, Width).Select(i => deeper.Exec(inputs[(l * Width) + i]))];
                    host.WaitBatch(host.PublishBatch(requests), results);
                }

                return true;
            }));
            rows.Add(GraphRow($"{backend}: one batch of EXEC slots per layer (the host between layers)", layered, wrongLayered));
            (double perTask, int wrongPerTask) = Median(quick ? 1 : 3, () => Timed(host, () =>
            {
                for (int t = 0; t < Layers * Width; t++)
                {
                    host.Submit(deeper.Exec(inputs[t]));
                }

                return true;
            }));
            rows.Add(GraphRow($"{backend}: one EXEC round trip per task (the host between tasks)", perTask, wrongPerTask));
        }

        Console.WriteLine($"\n## A graph of {Layers * Width:N0} tasks ({Layers} layers of {Width}, each task after two of the layer before; median of {repeats} runs)\n");
        Console.WriteLine("| path | graph µs | µs per task | wrong results |");
        Console.WriteLine("| --- | ---: | ---: | ---: |");
        rows.ForEach(Console.WriteLine);
    }

    /// <summary>Clears the cells, runs <paramref name="run"/>, and checks every cell holds its layer + 1.</summary>
    private static (double Micros, int Wrong) Timed(MegakernelHost host, Func<bool> run)
    {
        host.WriteHeap((int)Cells, new uint[Layers * Width]);
        long start = Stopwatch.GetTimestamp();
        bool ended = run();
        double micros = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        uint[] cells = new uint[Layers * Width];
        host.ReadHeap((int)Cells, cells);
        int wrong = ended ? 0 : 1;
        for (int t = 0; t < cells.Length; t++)
        {
            wrong += cells[t] == (uint)(t / Width) + 1 ? 0 : 1;
        }

        return (micros, wrong);
    }

    private static string GraphRow(string path, double micros, int wrong) => $"| {path} | {micros:0} | {micros / (Layers * Width):0.000} | {wrong} |";

    /// <summary>r0 += 1 (a call to Increment, or an addi) r1 times.</summary>
    private static Vir0Program Chain(bool call)
    {
        var b = new Vir0Builder(fuel: 4 * Steps);
        Vir0Label top = b.Label();
        b.Mark(top);
        if (call)
        {
            b.Call(BenchKernels.Opcodes.Increment, firstRegister: 0, count: 1);
        }
        else
        {
            b.AddI(0, 0, 1);
        }

        b.Loop(1, top);
        b.Halt();
        return b.Build();
    }

    /// <summary><paramref name="steps"/> calls to Increment on r0 in a row, then halt.</summary>
    private static Vir0Program Unrolled(int steps)
    {
        var b = new Vir0Builder(fuel: (uint)steps + 1);
        for (int i = 0; i < steps; i++)
        {
            b.Call(BenchKernels.Opcodes.Increment, firstRegister: 0, count: 1);
        }

        b.Halt();
        return b.Build();
    }

    private static (double Micros, int Wrong) RunProgram(MegakernelHost host, ProgramHandle program, int steps)
    {
        long start = Stopwatch.GetTimestamp();
        SlotResult slot = host.Submit(program.Exec(7, (uint)steps)); // r1 counts the loop's steps (unused by the unrolled program)
        double micros = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        bool right = slot.IsDone && ProgramResult.Of(slot).Register(0) == 7 + (uint)steps;
        return (micros, right ? 0 : 1);
    }

    /// <summary>The interpreter's own time per step on CUDA, from the GPU's global timer around each EXEC slot (no host in it).</summary>
    private static async Task DeviceTimesAsync(List<string> rows, int repeats)
    {
        await using MegakernelHost traced = await BenchKernels.StartAsync(new MegakernelOptions { Backend = Backend.Cuda, SlotCount = 1024, TraceEntries = TraceEntries });
        foreach ((string what, Vir0Program program, Vir0Program one) in new[]
        {
            ("each step a handler call", Chain(call: true), Chain(call: true)),
            ("each step an `addi`", Chain(call: false), Chain(call: false)),
            ("1,000 `call`s in a row", Unrolled(Steps), Unrolled(1)),
        })
        {
            ProgramHandle many = traced.LoadProgram(program), single = traced.LoadProgram(one);
            (double deviceMany, int wrongMany) = Median(repeats, () => DeviceTime(traced, many, Steps));
            (double deviceOne, int wrongOne) = Median(repeats, () => DeviceTime(traced, single, 1));
            rows.Add(Row($"Cuda: VIR0 program, {what}, the interpreter's own time (GPU timer)", deviceMany, (deviceMany - deviceOne) / (Steps - 1), wrongMany + wrongOne));
        }
    }

    /// <summary>One EXEC slot of <paramref name="steps"/> steps; the µs between the interpreter's start and end by the GPU's global timer.</summary>
    private static (double Micros, int Wrong) DeviceTime(MegakernelHost host, ProgramHandle program, int steps)
    {
        long sequence = OwnSlots.Publish(host, program.Exec(7, (uint)steps));
        OwnSlots.SpinUntilComplete(host, sequence);
        host.TryTake(sequence, out SlotResult slot);
        uint[] words = new uint[TraceEntries * RoundTripTrace.WordsPerEntry];
        host.ReadTrace(words);
        int at = (int)(sequence % TraceEntries) * RoundTripTrace.WordsPerEntry;
        ulong Stamp(int stage) => words[at + (stage * 2)] | ((ulong)words[at + (stage * 2) + 1] << 32);
        bool right = slot.IsDone && ProgramResult.Of(slot).Register(0) == 7 + (uint)steps;
        return ((Stamp(RoundTripTrace.HandlerEnd) - Stamp(RoundTripTrace.HandlerStart)) / 1000.0, right ? 0 : 1);
    }

    private static (double Micros, int Wrong) RoundTripChain(MegakernelHost host)
    {
        uint value = 7;
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < Steps; i++)
        {
            value = host.Submit(BenchKernels.Opcodes.Increment, value)[0];
        }

        double micros = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        return (micros, value == 7 + Steps ? 0 : 1);
    }

    private static (double Synced, double Queued, int Wrong) IlgpuLaunches(int repeats)
    {
        using Context context = Context.Create(builder => builder.Cuda());
        using CudaAccelerator accelerator = context.CreateCudaAccelerator(0);
        Action<Index1D, ArrayView<uint>> step = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<uint>>(IncrementKernel);
        using MemoryBuffer1D<uint, Stride1D.Dense> value = accelerator.Allocate1D<uint>(1);
        int wrong = 0;
        double Chain(bool sync)
        {
            value.MemSetToZero();
            accelerator.Synchronize();
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < Steps; i++)
            {
                step(1, value.View);
                if (sync)
                {
                    accelerator.Synchronize();
                }
            }

            accelerator.Synchronize();
            double micros = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            wrong += value.GetAsArray1D()[0] == Steps ? 0 : 1;
            return micros;
        }

        Chain(sync: true); // Warm: the kernel's first launch loads its module.
        double synced = Enumerable.Range(0, repeats).Select(_ => Chain(sync: true)).Order().ElementAt(repeats / 2);
        double queued = Enumerable.Range(0, repeats).Select(_ => Chain(sync: false)).Order().ElementAt(repeats / 2);
        return (synced, queued, wrong);
    }

    private static void IncrementKernel(Index1D index, ArrayView<uint> value) => value[0] += 1;

    private static (double Median, int Wrong) Median(int repeats, Func<(double Micros, int Wrong)> run)
    {
        run(); // Warm.
        var times = new List<double>();
        int wrong = 0;
        for (int i = 0; i < repeats; i++)
        {
            (double micros, int w) = run();
            times.Add(micros);
            wrong += w;
        }

        return (times.Order().ElementAt(repeats / 2), wrong);
    }

    private static string Row(string path, double chain, double perStep, int wrong) => $"| {path} | {chain:0.0} | {perStep:0.000} | {wrong} |";
}
