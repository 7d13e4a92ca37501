using System;

namespace Vyre;

/// <summary>
/// Marks a <c>static partial class</c> whose <see cref="OpcodeHandlerAttribute"/> methods the Vyre
/// generator compiles into one megakernel: opcode constants, a dispatcher, ILGPU kernel entry points and
/// a Program template.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class MegakernelAttribute : Attribute
{
}

/// <summary>
/// Marks a handler: <c>public static SlotStatus Name(ref SlotContext slot)</c> in a
/// <see cref="MegakernelAttribute"/> class. The opcode must be outside the system range
/// (<see cref="Opcodes.IsSystem"/>) and unique within the megakernel. With <see cref="Width"/> =
/// <see cref="HandlerWidth.Warp"/> a whole warp runs each slot and the handler takes the group as well:
/// <c>public static SlotStatus Name&lt;TGroup&gt;(ref SlotContext slot, ref TGroup group) where TGroup : struct, ISlotGroup</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class OpcodeHandlerAttribute : Attribute
{
    /// <summary>Declares the handler for <paramref name="opcode"/>.</summary>
    public OpcodeHandlerAttribute(uint opcode) => Opcode = opcode;

    /// <summary>The opcode this handler serves.</summary>
    public uint Opcode { get; }

    /// <summary>How many threads run one slot: a lane (the default) or a whole warp.</summary>
    public HandlerWidth Width { get; set; }
}
