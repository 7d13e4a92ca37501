namespace Vyre;

/// <summary>How many threads run one slot of a handler (<see cref="OpcodeHandlerAttribute.Width"/>).</summary>
public enum HandlerWidth
{
    /// <summary>One lane runs the slot: <c>static SlotStatus Name(ref SlotContext slot)</c>. The default.</summary>
    Lane = 0,

    /// <summary>
    /// A whole warp runs the slot together, each lane with its index, shuffles, reductions and scratch shared by the group:
    /// <c>static SlotStatus Name&lt;TGroup&gt;(ref SlotContext slot, ref TGroup group) where TGroup : struct, ISlotGroup</c>.
    /// 32 lanes on CUDA and Managed (emulated by threads), 4 on IlgpuCpu (ILGPU's CPU warp). docs/warp-handlers.md.
    /// </summary>
    Warp = 1,
}
