using System;
using System.Diagnostics;
using Vyre;
using Vyre.Samples;

// The main job: hash 4,096 buffers of 1 KiB on a resident megakernel, check every hash against plain
// C#, and print what ran where and how fast. `--backend cuda|managed|ilgpu-cpu|auto` picks the backend.
Backend backend = ParseBackend(args);
const int Buffers = 4096;
const int BufferBytes = 1024;
var options = new MegakernelOptions { Backend = backend, DataBytes = Buffers * BufferBytes, SlotCount = Buffers };

await using MegakernelHost host = await HashKernels.StartAsync(options);
byte[] data = new byte[Buffers * BufferBytes];
new Random(2026).NextBytes(data);
host.WriteData(0, data);

var requests = new SlotRequest[Buffers];
for (int i = 0; i < Buffers; i++)
{
    requests[i] = new SlotRequest(HashKernels.Opcodes.Fnv1a, (uint)(i * BufferBytes), BufferBytes);
}

var results = new SlotResult[Buffers];
var clock = Stopwatch.StartNew();
host.WaitBatch(host.PublishBatch(requests), results);
clock.Stop();

int mismatches = 0;
for (int i = 0; i < Buffers; i++)
{
    uint expected = Fnv1a(data.AsSpan(i * BufferBytes, BufferBytes));
    if (!results[i].IsDone || results[i][0] != expected)
    {
        mismatches++;
    }
}

SlotResult single = await host.SubmitAsync(HashKernels.Opcodes.Fnv1a, 0, BufferBytes);
SlotResult outOfBounds = host.Submit(HashKernels.Opcodes.Fnv1a, (uint)data.Length, 1);
TelemetrySnapshot telemetry = host.Telemetry();
Console.WriteLine($"Hashed {Buffers} buffers of {BufferBytes} B on {host.Backend} in {clock.Elapsed.TotalMilliseconds:0.00} ms " +
    $"({Buffers / clock.Elapsed.TotalSeconds / 1e6:0.00} M slots/s, {(double)data.Length / clock.Elapsed.TotalSeconds / 1e9:0.00} GB/s).");
Console.WriteLine($"Checked against plain C#: {Buffers - mismatches} match, {mismatches} differ. Async submit: 0x{single[0]:X8}. Out-of-bounds read: {outOfBounds}.");
Console.WriteLine($"Telemetry: {telemetry.DoneCount} slots done, kernel {telemetry.KernelState}.");
return mismatches == 0 && outOfBounds.Fault == FaultCode.OutOfBounds ? 0 : 1;

static uint Fnv1a(ReadOnlySpan<byte> bytes)
{
    uint hash = 2166136261;
    foreach (byte b in bytes)
    {
        hash = (hash ^ b) * 16777619;
    }

    return hash;
}

static Backend ParseBackend(string[] args)
{
    int at = Array.IndexOf(args, "--backend");
    string name = at >= 0 && at + 1 < args.Length ? args[at + 1] : "auto";
    return name switch
    {
        "auto" => Backend.Auto,
        "cuda" => Backend.Cuda,
        "managed" => Backend.Managed,
        "ilgpu-cpu" => Backend.IlgpuCpu,
        _ => throw new ArgumentException($"Unknown backend '{name}'. Fix: use --backend auto|cuda|managed|ilgpu-cpu."),
    };
}
