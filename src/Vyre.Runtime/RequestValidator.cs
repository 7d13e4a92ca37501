using System;
using Vyre.Internals;

namespace Vyre;

/// <summary>Checks a request before anything is written, so a bad one leaves the ring untouched.</summary>
internal static class RequestValidator
{
    public static void Validate(in SlotRequest request, int slotCount)
    {
        ValidateHeader(in request);
        ValidateArguments(in request, slotCount);
    }

    /// <summary>Checks what a uniform batch's slots share: the opcode, tenant and priority (not the argument words).</summary>
    public static void ValidateHeader(in SlotRequest request)
    {
        uint opcode = request.Opcode;
        if (request.Tenant > ControlWord.TenantCount)
        {
            throw new ArgumentOutOfRangeException(nameof(request), $"Tenant {request.Tenant} is outside 0..{ControlWord.TenantCount}. Fix: use tenant 0 (the host) or a tenant 1..{ControlWord.TenantCount} given permissions with SetTenantPermissions.");
        }

        if (request.Priority > SlotPriority.Background)
        {
            throw new ArgumentOutOfRangeException(nameof(request), $"Priority {(uint)request.Priority} is not a SlotPriority value. Fix: use SlotPriority.Critical, High, Normal, Low or Background.");
        }

        if (opcode == Opcodes.Shutdown)
        {
            throw new ArgumentException("SHUTDOWN is not submitted by hand: it would stop the megakernel under other submitters. Fix: call DisposeAsync on the host.", nameof(request));
        }

        if (Opcodes.IsSystem(opcode) && !IsBuiltin(opcode))
        {
            throw new ArgumentException($"Opcode 0x{opcode:X} is in the system range (0..7, 0xFFF0..0xFFFF, or the high bit set) but is no built-in. Fix: use a built-in from Vyre.Opcodes or a handler opcode from X.Opcodes.", nameof(request));
        }
    }

    /// <summary>Whether <see cref="ValidateArguments"/> looks at the argument words of <paramref name="opcode"/> at all.</summary>
    public static bool ChecksArguments(uint opcode) => opcode is Opcodes.BatchFence or Opcodes.PackedSlot;

    /// <summary>Checks the argument words of the opcodes whose arguments the device trusts (<see cref="ChecksArguments"/>).</summary>
    public static void ValidateArguments(in SlotRequest request, int slotCount)
    {
        uint opcode = request.Opcode;
        if (opcode == Opcodes.BatchFence && request.Args[0] >= (uint)slotCount)
        {
            throw new ArgumentException($"BATCH_FENCE waits for {request.Args[0]} earlier slots, but the ring holds {slotCount}. Fix: fence at most SlotCount - 1 slots.", nameof(request));
        }

        if (opcode == Opcodes.PackedSlot)
        {
            ValidatePacked(in request);
        }
    }

    private static void ValidatePacked(in SlotRequest request)
    {
        uint count = request.Args[0];
        if (count == 0 || count > PackedSlot.MaxOps)
        {
            throw new ArgumentException($"A packed slot carries 1..{PackedSlot.MaxOps} ops (the device runs exactly as many); got {count}. Fix: split the ops over several slots.", nameof(request));
        }

        for (int op = 0; op < (int)count; op++)
        {
            uint inner = request.Args[1 + (2 * op)];
            if (SlotExecutor.IsLoopLevel(inner) || (Opcodes.IsSystem(inner) && !IsBuiltin(inner)))
            {
                throw new ArgumentException($"Packed op {op} has opcode 0x{inner:X}, which cannot run inside a packed slot. Fix: pack only handlers and the built-ins 0..6.", nameof(request));
            }
        }
    }

    private static bool IsBuiltin(uint opcode) =>
        opcode <= Opcodes.BatchFence || opcode == Opcodes.LoadMiss || opcode == Opcodes.Printf || opcode == Opcodes.PackedSlot || opcode == Opcodes.Exec || opcode == Opcodes.GraphWorker;
}
