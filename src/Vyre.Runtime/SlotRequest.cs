using System;
using System.Runtime.CompilerServices;
using Vyre.Internals;

namespace Vyre;

/// <summary>Twelve argument or result words, stored inline.</summary>
[InlineArray(SlotLayout.ArgumentCount)]
public struct SlotWords
{
    private uint _first;
}

/// <summary>One slot to publish: an opcode, up to twelve arguments, a tenant and a priority.</summary>
public struct SlotRequest
{
    /// <summary>A request for <paramref name="opcode"/> with <paramref name="args"/> (at most 12).</summary>
    public SlotRequest(uint opcode, params ReadOnlySpan<uint> args)
    {
        if (args.Length > SlotLayout.ArgumentCount)
        {
            throw new ArgumentException($"A slot carries at most {SlotLayout.ArgumentCount} argument words; got {args.Length}. Fix: pass the rest through the data buffer or the heap.", nameof(args));
        }

        Opcode = opcode;
        args.CopyTo(Args);
    }

    /// <summary>The opcode.</summary>
    public uint Opcode { get; set; }

    /// <summary>The tenant (0 is the host's own; 1..29 are checked against their masks).</summary>
    public uint Tenant { get; set; }

    /// <summary>The priority class (carried in word 3).</summary>
    public uint Priority { get; set; }

    /// <summary>The argument words.</summary>
    public SlotWords Args;
}

/// <summary>What a slot ended with.</summary>
public struct SlotResult
{
    /// <summary><see cref="SlotState.Done"/> or <see cref="SlotState.Fault"/>.</summary>
    public SlotState State { get; internal set; }

    /// <summary>The result words (the argument words as the handler left them).</summary>
    public SlotWords Words;

    /// <summary>A FAULT result made on the host for work that never reached a slot (a failed read).</summary>
    internal static SlotResult Faulted(FaultCode code, uint detail)
    {
        var result = new SlotResult { State = SlotState.Fault };
        result.Words[0] = (uint)code;
        result.Words[1] = detail;
        return result;
    }

    /// <summary>Whether the slot completed.</summary>
    public readonly bool IsDone => State == SlotState.Done;

    /// <summary>The fault code, or <see cref="FaultCode.None"/> when the slot completed.</summary>
    public readonly FaultCode Fault => State == SlotState.Fault ? (FaultCode)Words[0] : FaultCode.None;

    /// <summary>The fault's detail word.</summary>
    public readonly uint FaultDetail => State == SlotState.Fault ? Words[1] : 0;

    /// <summary>Result word <paramref name="index"/>.</summary>
    public readonly uint this[int index] => Words[index];

    /// <inheritdoc/>
    public override readonly string ToString() =>
        State == SlotState.Fault ? $"Fault {Fault} (detail {FaultDetail})" : $"{State} [{Words[0]}, {Words[1]}, {Words[2]}, ...]";
}
