namespace Vyre;

/// <summary>Why a slot ended in <see cref="SlotState.Fault"/>; stored in argument word 0 of the slot.</summary>
public enum FaultCode : uint
{
    /// <summary>No fault.</summary>
    None = 0,

    /// <summary>No handler or built-in has this opcode. Detail: the opcode.</summary>
    UnknownOpcode = 1,

    /// <summary>The slot's tenant may not run this opcode, or the tenant id is out of range. Detail: the tenant.</summary>
    UnauthorizedTenant = 2,

    /// <summary>The handler called <c>SlotContext.Fail</c> or returned <c>SlotStatus.Fault</c>. Detail: the handler's value.</summary>
    HandlerFault = 3,

    /// <summary>An io request failed. Detail: the errno.</summary>
    IoError = 4,

    /// <summary>An argument named memory outside its buffer, or an argument index was out of range. Detail: the offending value.</summary>
    OutOfBounds = 5,

    /// <summary>A bounded loop (a fence wait, a packed slot) ran out of its step budget. Detail: the steps taken.</summary>
    FuelExhausted = 6,

    /// <summary>An argument is malformed (a packed slot with too many ops, a nested packed slot). Detail: the value.</summary>
    BadArgument = 7,

    /// <summary>The opcode needs a facility this megakernel was started without (LOAD_MISS without an io sidecar). Detail: the opcode.</summary>
    Unsupported = 8,

    /// <summary>
    /// The handler threw a .NET exception (a zero divisor, a <c>checked</c> overflow) on the Managed backend, which
    /// catches it so the worker goes on. Detail: the exception's HResult.
    /// </summary>
    HandlerException = 9,

    /// <summary>
    /// The device side was lost while the slot was in flight (a CUDA error such as a trap or an illegal address poisons the
    /// context; or the device loop exited on its own). Written by the host, never by a handler. Detail: the CUDA error
    /// code, or 0. The host refuses new work; start a new one with <c>MegakernelHost.RestartAsync</c>.
    /// </summary>
    DeviceLost = 10,
}
