using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using NUnit.Framework;

namespace Vyre.Generators.Tests;

/// <summary>
/// The generated dispatcher, compiled and loaded, run through the Managed backend (its <c>Dispatch</c>) and ILGPU's CPU
/// kernel (its <c>DispatchInKernel</c>, handlers in place or on a copy): every opcode of a set reaches its own handler, and
/// an opcode outside the set ends in FAULT with UnknownOpcode.
/// </summary>
public sealed class BehaviourTests
{
    public static object[] SetsOnBackends => [.. HandlerSets.All.Keys.SelectMany(set => new object[] { new object[] { set, Backend.Managed }, new object[] { set, Backend.IlgpuCpu } })];

    [TestCaseSource(nameof(SetsOnBackends))]
    public async Task Every_opcode_reaches_its_handler_and_an_unknown_one_faults(string set, Backend backend)
    {
        Assembly consumer = Load(set);
        foreach (Type megakernel in consumer.GetTypes().Where(t => t.GetCustomAttribute<MegakernelAttribute>() is not null))
        {
            uint[] mine = HandlerSets.Opcodes(set).Where(op => Handles(megakernel, op)).ToArray();
            Assert.That(mine, Is.Not.Empty, megakernel.FullName);
            var start = (Func<MegakernelOptions?, System.Threading.CancellationToken, Task<MegakernelHost>>)Delegate.CreateDelegate(
                typeof(Func<MegakernelOptions?, System.Threading.CancellationToken, Task<MegakernelHost>>), megakernel.GetMethod("StartAsync")!);
            await using MegakernelHost host = await start(new MegakernelOptions { Backend = backend, Lanes = backend == Backend.Managed ? 2 : null, SlotCount = 64 }, default);
            foreach (uint opcode in mine)
            {
                SlotResult result = host.Submit(opcode);
                Assert.That(result.State, Is.EqualTo(SlotState.Done), $"{megakernel.Name} 0x{opcode:X}: {result}");
                Assert.That(result[0], Is.EqualTo(opcode), $"{megakernel.Name} 0x{opcode:X} ran its own handler");
            }

            uint unknown = Enumerable.Range(0x8, 0xFFE8).Select(i => (uint)i).First(op => !HandlerSets.Opcodes(set).Contains(op)); // 0x8..0xFFEF: the low user range
            SlotResult fault = host.Submit(unknown);
            Assert.That(fault.State, Is.EqualTo(SlotState.Fault), $"unknown opcode 0x{unknown:X}");
            Assert.That(fault.Fault, Is.EqualTo(FaultCode.UnknownOpcode));
        }
    }

    private static bool Handles(Type megakernel, uint opcode) =>
        megakernel.GetMethod("Op" + opcode.ToString("X"), BindingFlags.Public | BindingFlags.Static) is not null;

    private static Assembly Load(string set)
    {
        (Compilation output, _) = GeneratorHarness.Generate(HandlerSets.All[set]);
        using var image = new MemoryStream();
        Microsoft.CodeAnalysis.Emit.EmitResult emitted = output.Emit(image);
        Assert.That(emitted.Success, string.Join("; ", emitted.Diagnostics));
        return Assembly.Load(image.ToArray());
    }
}
