using System.Linq;
using NUnit.Framework;
using Vyre.Internals;

namespace Vyre.Runtime.Tests;

/// <summary>
/// <c>SlotExecutor.Run</c> tests <see cref="SlotExecutor.IsLoopLevel"/> first and then one built-in after another, the
/// last of them (LOAD_MISS) without a test of its own: an opcode added to the set without a branch of its own would run as
/// a LOAD_MISS. These pin the set to the branches that exist.
/// </summary>
public sealed class LoopLevelOpcodeTests
{
    private static readonly uint[] s_runByTheLoop =
    [
        Opcodes.BatchFence, Opcodes.Printf, Opcodes.Shutdown, Opcodes.PackedSlot, Opcodes.Exec, Opcodes.GraphWorker, Opcodes.LoadMiss,
    ];

    [Test]
    public void Each_built_in_the_loop_runs_is_loop_level() =>
        Assert.That(s_runByTheLoop.All(SlotExecutor.IsLoopLevel), Is.True);

    [Test]
    public void No_other_opcode_is_loop_level()
    {
        uint[] probes =
        [
            Opcodes.Nop, Opcodes.StoreU32, Opcodes.AtomicAdd, Opcodes.LoadU32, Opcodes.CompareSwap, Opcodes.Memcpy, Opcodes.DfaStep,
            8, 0xFFEF, 0xFFF0, 0xFFFC, 0x1_0000, Opcodes.TenantWindowBase, 0x7FFF_FFFF, 0x8000_0000, 0x8000_0004, 0xFFFF_FFFE,
        ];
        Assert.That(probes.Where(SlotExecutor.IsLoopLevel), Is.Empty);
    }
}
