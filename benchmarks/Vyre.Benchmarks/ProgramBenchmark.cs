using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading.Tasks;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using Vyre.Programs;

namespace Vyre.Benchmarks;

/// <summary>
/// Issue 14's table: a chain of dependent tiny steps as one VIR0 program (one EXEC slot), as a host round trip per step,
/// and as an ILGPU kernel launch per step (with and without a synchronize), side by side; every chain's result checked.
/// </summary>
internal static class ProgramBenchmark
{
    private const int Steps = 1000;

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
            await using MegakernelHost host = await BenchKernels.StartAsync(new MegakernelOptions { Backend = backend, Lanes = lanes, SlotCount = 1024, Log = _ => { } });
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
            (double synced, double queued, int wrong) = IlgpuLaunches(repeats);
            rows.Add(Row("Cuda: an ILGPU launch + synchronize per step", synced, synced / Steps, wrong));
            rows.Add(Row("Cuda: an ILGPU launch per step, stream-ordered, one synchronize", queued, queued / Steps, wrong));
        }

        Console.WriteLine($"\n## A chain of {Steps:N0} dependent tiny steps (median of {repeats} chains)\n");
        Console.WriteLine("| path | chain µs | µs per step | wrong results |");
        Console.WriteLine("| --- | ---: | ---: | ---: |");
        rows.ForEach(Console.WriteLine);
        Console.WriteLine("\nThe program rows' per-step figure is (chain of 1,000 − chain of 1) / 999: the device's cost per dependent step, without the slot's round trip. A looped step is two instructions (the step and `loop`); the unrolled program is one per step.");
    }

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
