namespace Vyre;

/// <summary>
/// Built-in opcodes and the opcode ranges. This file is compiled into the generator as well (linked),
/// so the system-range rule the build enforces is the one the runtime enforces.
/// </summary>
public static class Opcodes
{
    /// <summary>Does nothing; completes DONE.</summary>
    public const uint Nop = 0;

    /// <summary>heap[arg0] = arg1.</summary>
    public const uint StoreU32 = 1;

    /// <summary>arg0 = old heap[arg0]; heap[arg0] += arg1 atomically (old value returned in result 0).</summary>
    public const uint AtomicAdd = 2;

    /// <summary>result 0 = heap[arg0].</summary>
    public const uint LoadU32 = 3;

    /// <summary>result 0 = old heap[arg0]; heap[arg0] = arg2 if it equals arg1, atomically.</summary>
    public const uint CompareSwap = 4;

    /// <summary>Copies arg2 heap words from heap[arg0] to heap[arg1] (non-overlapping).</summary>
    public const uint Memcpy = 5;

    /// <summary>result 0 = heap[arg0 + arg1 * 256 + (arg2 &amp; 0xFF)]: one step of a DFA whose table starts at arg0.</summary>
    public const uint DfaStep = 6;

    /// <summary>Completes only after the arg0 slots published before it have completed; then bumps EPOCH.</summary>
    public const uint BatchFence = 7;

    /// <summary>Asks the io sidecar for bytes (served by the io sidecar).</summary>
    public const uint LoadMiss = 0xFFFD;

    /// <summary>Appends <c>[arg0 (format id), arg1, arg2, slot index]</c> to the debug log.</summary>
    public const uint Printf = 0xFFFE;

    /// <summary>Runs up to <c>PackedSlot.MaxOps</c> one-argument ops packed into one slot.</summary>
    public const uint PackedSlot = 0x8000_0001;

    /// <summary>
    /// Runs a loaded VIR0 program on the device (docs/vir0.md): arg0 = program id, arg1 = first instruction,
    /// args 2..11 = registers r0..r9, which come back as results 2..11.
    /// </summary>
    public const uint Exec = 0x8000_0002;

    /// <summary>
    /// One worker of a task-graph run (docs/vir0.md): arg0 = graph id. <c>MegakernelHost.RunGraph</c> publishes these;
    /// result 0 = tasks this worker ran.
    /// </summary>
    public const uint GraphWorker = 0x8000_0003;

    /// <summary>Completes DONE and stops the device loop.</summary>
    public const uint Shutdown = 0xFFFF_FFFF;

    /// <summary>Highest opcode of the low system range (0..7).</summary>
    public const uint LowSystemLast = 7;

    /// <summary>First opcode of the high system range 0xFFF0..0xFFFF.</summary>
    public const uint HighSystemFirst = 0xFFF0;

    /// <summary>Last opcode of the high system range 0xFFF0..0xFFFF.</summary>
    public const uint HighSystemLast = 0xFFFF;

    /// <summary>Opcodes with this bit set are system opcodes.</summary>
    public const uint SystemBit = 0x8000_0000;

    /// <summary>First opcode of tenant window 0; window <c>w</c> starts at <c>TenantWindowBase + w * TenantWindowSize</c>.</summary>
    public const uint TenantWindowBase = 0x4000_0000;

    /// <summary>Opcodes per tenant window (2^20).</summary>
    public const uint TenantWindowSize = 1u << 20;

    /// <summary>Whether <paramref name="opcode"/> is reserved for the system (op ≤ 7, 0xFFF0..0xFFFF, or high bit set).</summary>
    public static bool IsSystem(uint opcode) =>
        opcode <= LowSystemLast
        || (opcode >= HighSystemFirst && opcode <= HighSystemLast)
        || (opcode & SystemBit) != 0;

    /// <summary>The tenant window an opcode falls in, or -1 when it is outside every window.</summary>
    public static int TenantWindowOf(uint opcode) =>
        opcode >= TenantWindowBase && (opcode & SystemBit) == 0
            ? (int)((opcode - TenantWindowBase) >> 20)
            : -1;
}
