using System;

namespace Vyre.Ring;

/// <summary>
/// Where a completed slot's state and result words go: one <see cref="HostRing"/> take path serves both
/// <see cref="SlotResult"/> values (<see cref="ResultSink"/>) and packed result words (<see cref="WordSink"/>).
/// </summary>
internal unsafe interface ISlotSink
{
    /// <summary>Takes slot <paramref name="index"/> of the range: its final <paramref name="state"/> and its twelve argument words at <paramref name="words"/>.</summary>
    void Take(int index, SlotState state, uint* words);
}

/// <summary>Results as one <see cref="SlotResult"/> per slot.</summary>
internal readonly unsafe ref struct ResultSink(Span<SlotResult> results) : ISlotSink
{
    private readonly Span<SlotResult> _results = results;

    public void Take(int index, SlotState state, uint* words)
    {
        ref SlotResult result = ref _results[index];
        result.State = state;
        result.SetWords(words);
    }
}

/// <summary>
/// Results packed: slot <c>i</c>'s state in <c>states[i]</c> and its first <c>perSlot</c> result words at
/// <c>words[i · perSlot]</c> (for a FAULT slot: the fault code, then the detail). Counts the faulted slots.
/// </summary>
internal unsafe ref struct WordSink(Span<SlotState> states, Span<uint> words, int perSlot) : ISlotSink
{
    private readonly Span<SlotState> _states = states;
    private readonly Span<uint> _words = words;
    private readonly int _perSlot = perSlot;

    /// <summary>Slots taken in FAULT.</summary>
    public int Faulted { get; private set; }

    public void Take(int index, SlotState state, uint* words)
    {
        _states[index] = state;
        // A few words: a loop, not a copy call per slot.
        Span<uint> into = _words.Slice(index * _perSlot, _perSlot);
        for (int i = 0; i < into.Length; i++)
        {
            into[i] = words[i];
        }

        Faulted += state == SlotState.Fault ? 1 : 0;
    }
}
