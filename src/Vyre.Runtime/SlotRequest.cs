using System;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Vyre.Internals;

namespace Vyre;

/// <summary>Twelve argument or result words, stored inline.</summary>
[InlineArray(SlotLayout.ArgumentCount)]
public struct SlotWords
{
    private uint _first;
}

/// <summary>
/// One slot to publish: an opcode, up to twelve argument words, a tenant and a priority. A value: build it with the
/// constructor and the <c>With...</c> methods (typed words for <see cref="int"/>, <see cref="float"/> and
/// <see cref="ulong"/>, which a handler reads back with <see cref="SlotContext.ArgInt32"/>, <see cref="SlotContext.ArgSingle"/>
/// and <see cref="SlotContext.ArgUInt64"/>).
/// </summary>
public struct SlotRequest
{
    /// <summary>Argument words a slot carries.</summary>
    public const int MaxArguments = SlotLayout.ArgumentCount;

    private SlotWords _args;

    /// <summary>A request for <paramref name="opcode"/> with <paramref name="args"/> (at most <see cref="MaxArguments"/>).</summary>
    public SlotRequest(uint opcode, params ReadOnlySpan<uint> args)
    {
        if (args.Length > SlotLayout.ArgumentCount)
        {
            throw new ArgumentException($"A slot carries at most {SlotLayout.ArgumentCount} argument words; got {args.Length}. Fix: pass the rest through the data buffer or the heap.", nameof(args));
        }

        Opcode = opcode;
        args.CopyTo(_args);
    }

    /// <summary>The opcode.</summary>
    public uint Opcode { get; init; }

    /// <summary>The tenant (0 is the host's own; 1..29 are checked against their masks).</summary>
    public uint Tenant { get; init; }

    /// <summary>How urgent the slot is (word 3): the host admits slots into the ring by priority (docs/sharing.md). A batch is admitted at its least urgent request's priority.</summary>
    public SlotPriority Priority { get; init; }

    /// <summary>The argument words.</summary>
    [UnscopedRef]
    public readonly ReadOnlySpan<uint> Args => _args;

    /// <summary>This request with argument word <paramref name="index"/> set to <paramref name="value"/>.</summary>
    public readonly SlotRequest WithArgument(int index, uint value)
    {
        SlotRequest copy = this;
        copy.SetArgument(index, value);
        return copy;
    }

    /// <summary>This request with argument word <paramref name="index"/> holding <paramref name="value"/> (two's complement).</summary>
    public readonly SlotRequest WithArgument(int index, int value) => WithArgument(index, (uint)value);

    /// <summary>This request with argument word <paramref name="index"/> holding the bits of <paramref name="value"/>.</summary>
    public readonly SlotRequest WithArgument(int index, float value) => WithArgument(index, BitConverter.SingleToUInt32Bits(value));

    /// <summary>This request with argument words <paramref name="index"/> (low) and <paramref name="index"/> + 1 (high) holding <paramref name="value"/>.</summary>
    public readonly SlotRequest WithArgument(int index, ulong value)
    {
        CheckIndex(index + 1);
        return WithArgument(index, (uint)value).WithArgument(index + 1, (uint)(value >> 32));
    }

    /// <summary>Sets argument word <paramref name="index"/> in place (the runtime's own builders).</summary>
    internal void SetArgument(int index, uint value)
    {
        CheckIndex(index);
        _args[index] = value;
    }

    private static void CheckIndex(int index)
    {
        if ((uint)index >= SlotLayout.ArgumentCount)
        {
            throw new ArgumentOutOfRangeException(nameof(index), $"Argument word {index} does not exist: a slot has words 0..{SlotLayout.ArgumentCount - 1} (a ulong takes two). Fix: use an index in that range.");
        }
    }
}

/// <summary>What a slot ended with: its state and the twelve result words (the argument words as the handler left them).</summary>
public struct SlotResult
{
    private SlotWords _words;

    /// <summary><see cref="SlotState.Done"/> or <see cref="SlotState.Fault"/>.</summary>
    public SlotState State { readonly get; internal set; }

    /// <summary>The result words.</summary>
    [UnscopedRef]
    public readonly ReadOnlySpan<uint> Words => _words;

    /// <summary>Whether the slot completed.</summary>
    public readonly bool IsDone => State == SlotState.Done;

    /// <summary>The fault code, or <see cref="FaultCode.None"/> when the slot completed.</summary>
    public readonly FaultCode Fault => State == SlotState.Fault ? (FaultCode)_words[0] : FaultCode.None;

    /// <summary>The fault's detail word.</summary>
    public readonly uint FaultDetail => State == SlotState.Fault ? _words[1] : 0;

    /// <summary>Result word <paramref name="index"/>.</summary>
    public readonly uint this[int index] => _words[index];

    /// <summary>Result word <paramref name="index"/> as an <see cref="int"/> (two's complement).</summary>
    public readonly int GetInt32(int index) => (int)_words[index];

    /// <summary>Result word <paramref name="index"/> as the <see cref="float"/> whose bits it holds.</summary>
    public readonly float GetSingle(int index) => BitConverter.UInt32BitsToSingle(_words[index]);

    /// <summary>Result words <paramref name="index"/> (low) and <paramref name="index"/> + 1 (high) as a <see cref="ulong"/>.</summary>
    public readonly ulong GetUInt64(int index) => _words[index] | ((ulong)_words[index + 1] << 32);

    /// <summary>A FAULT result made on the host for work that never reached a slot (a failed read).</summary>
    internal static SlotResult Faulted(FaultCode code, uint detail)
    {
        var result = new SlotResult { State = SlotState.Fault };
        result._words[0] = (uint)code;
        result._words[1] = detail;
        return result;
    }

    /// <summary>Copies the result words out of the ring.</summary>
    internal void SetWords(ReadOnlySpan<uint> words) => words.CopyTo(_words);

    /// <summary>Sets the twelve words from <paramref name="words"/> (a completed ring slot's): one fixed-size copy the JIT unrolls, not a copy call per slot.</summary>
    internal unsafe void SetWords(uint* words) =>
        Unsafe.CopyBlockUnaligned(ref Unsafe.As<SlotWords, byte>(ref _words), ref *(byte*)words, SlotLayout.ArgumentCount * sizeof(uint));

    /// <inheritdoc/>
    public override readonly string ToString() =>
        State == SlotState.Fault ? $"Fault {Fault} (detail {FaultDetail})" : $"{State} [{_words[0]}, {_words[1]}, {_words[2]}, ...]";
}
