using System;

namespace Vyre.Ring;

/// <summary>The argument checks every batch API shares (<see cref="MegakernelHost"/> and <see cref="MegakernelGroup"/>), so their errors read alike.</summary>
internal static class BatchChecks
{
    /// <summary>Throws when <paramref name="requests"/> is empty.</summary>
    public static void ThrowIfEmpty(ReadOnlySpan<SlotRequest> requests)
    {
        if (requests.IsEmpty)
        {
            throw new ArgumentException("The batch is empty. Fix: pass at least one request.", nameof(requests));
        }
    }

    /// <summary>
    /// Throws when a batch bound to <paramref name="owner"/> is waited for on <paramref name="waiter"/> (a default value's
    /// owner is null), or when <paramref name="resultsLength"/> cannot hold its <paramref name="count"/> results.
    /// </summary>
    /// <param name="owner">What the batch is bound to.</param>
    /// <param name="waiter">What it is waited for on.</param>
    /// <param name="count">Slots in the batch.</param>
    /// <param name="resultsLength">Entries the caller's results span holds.</param>
    /// <param name="batchType">The batch type's name, for the message.</param>
    /// <param name="publisher">"host" or "group", for the message.</param>
    /// <param name="span">The span's parameter name, for the message.</param>
    public static void ThrowIfNotWaitable(object? owner, object waiter, int count, int resultsLength, string batchType, string publisher, string span = "results")
    {
        if (!ReferenceEquals(owner, waiter))
        {
            throw new ArgumentException(owner is null
                ? $"The batch is not one PublishBatch returned (a default {batchType}). Fix: pass the value PublishBatch returned."
                : $"The batch was published by another {publisher}. Fix: wait for a batch on the {publisher} that published it.", "batch");
        }

        if (resultsLength < count)
        {
            throw new ArgumentException($"{span} holds {resultsLength} entries but the batch has {count}. Fix: pass a span of at least batch.Count entries.", span);
        }
    }

    /// <summary>
    /// Throws when <paramref name="perSlot"/> is outside 0..12 or a packed results span of <paramref name="resultsLength"/>
    /// words cannot hold <paramref name="perSlot"/> words for each of <paramref name="count"/> slots.
    /// </summary>
    public static void ThrowIfResultWordsShort(int count, int resultsLength, int perSlot)
    {
        if (perSlot is < 0 or > SlotRequest.MaxArguments)
        {
            throw new ArgumentOutOfRangeException("resultsPerSlot", $"resultsPerSlot is {perSlot}; a slot has 0..{SlotRequest.MaxArguments} result words. Fix: pass how many of each slot's result words to copy.");
        }

        if (resultsLength < (long)count * perSlot)
        {
            throw new ArgumentException($"results holds {resultsLength} words but the batch's {count} slots need {(long)count * perSlot} ({perSlot} each). Fix: pass a span of at least batch.Count * resultsPerSlot words.", "results");
        }
    }
}
