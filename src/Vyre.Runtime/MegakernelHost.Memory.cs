using System;
using System.Threading;
using Vyre.Backends;
using Vyre.Internals;

namespace Vyre;

/// <summary>The data buffer, the heap, and tenant permissions.</summary>
public sealed unsafe partial class MegakernelHost
{
    private long _hostBytesCopied;

    /// <summary>Held while a tenant's mask is written, to the device's copy and to the control block, so that the two agree.</summary>
    private readonly Lock _tenantMaskLock = new();

    /// <summary>The data buffer's first byte, where the host and io_uring write what handlers read.</summary>
    internal byte* DataPointer => _backend.Data;

    /// <summary>Bytes of the data buffer.</summary>
    public int DataBytes => _backend.DataBytes;

    /// <summary>Copies <paramref name="bytes"/> into the data buffer at <paramref name="offset"/>; handlers read them through <see cref="SlotContext.Bytes"/>.</summary>
    public void WriteData(int offset, ReadOnlySpan<byte> bytes)
    {
        using CallScope call = EnterCall();
        CheckRange(offset, bytes.Length, _backend.DataBytes, "data buffer", "MegakernelOptions.DataBytes");
        bytes.CopyTo(new Span<byte>(_backend.Data + offset, bytes.Length));
        Interlocked.Add(ref _hostBytesCopied, bytes.Length);
        Thread.MemoryBarrier();
    }

    /// <summary>
    /// Copies data-buffer bytes [<paramref name="offset"/>, + <paramref name="into"/>.Length) into <paramref name="into"/>:
    /// what handlers left there for the host (a plain read of host memory on every backend, no device copy).
    /// </summary>
    public void ReadData(int offset, Span<byte> into)
    {
        using CallScope call = EnterCall();
        CheckRange(offset, into.Length, _backend.DataBytes, "data buffer", "MegakernelOptions.DataBytes");
        Thread.MemoryBarrier();
        new ReadOnlySpan<byte>(_backend.Data + offset, into.Length).CopyTo(into);
    }

    /// <summary>Starts copying data-buffer ranges into the heap (a stream's device staging) and returns at once; the caller disposes the result.</summary>
    internal HeapCopy StartDataToHeap(ReadOnlySpan<DataToHeap> copies)
    {
        using CallScope call = EnterCall();
        return _backend.StartDataToHeap(copies);
    }

    /// <summary>Reads the round-trip trace (<see cref="RoundTripTrace"/>; benchmarks), <c>TraceEntries * RoundTripTrace.WordsPerEntry</c> words.</summary>
    internal void ReadTrace(Span<uint> into)
    {
        using CallScope call = EnterCall();
        ReadDevice(DeviceRegion.Trace, 0, into);
    }

    /// <summary>Copies heap words [<paramref name="offset"/>, + <paramref name="into"/>.Length) into <paramref name="into"/>.</summary>
    public void ReadHeap(int offset, Span<uint> into)
    {
        using CallScope call = EnterCall();
        CheckRange(offset, into.Length, _backend.HeapWords, "heap", "MegakernelOptions.HeapWords");
        if (!into.IsEmpty)
        {
            ReadDevice(DeviceRegion.Heap, offset, into);
        }
    }

    /// <summary>Writes heap words at <paramref name="offset"/> (for tables the built-ins read, such as a DFA).</summary>
    public void WriteHeap(int offset, ReadOnlySpan<uint> words)
    {
        using CallScope call = EnterCall();
        CheckRange(offset, words.Length, _backend.HeapWords, "heap", "MegakernelOptions.HeapWords");
        if (!words.IsEmpty)
        {
            WriteDevice(DeviceRegion.Heap, offset, words);
        }
    }

    /// <summary>
    /// Sets what tenant <paramref name="tenant"/> (1..29) may run; slots of a tenant with no permissions end in FAULT. Every
    /// slot checked after this returns is checked against the new permissions.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A tenant outside 1..29.</exception>
    /// <exception cref="ArgumentException">A permission outside <see cref="TenantPermissions.All"/>.</exception>
    public void SetTenantPermissions(uint tenant, TenantPermissions permissions)
    {
        using CallScope call = EnterCall();
        if (tenant is 0 or > ControlWord.TenantCount)
        {
            throw new ArgumentOutOfRangeException(nameof(tenant), $"Tenant {tenant} has no mask word (tenants 1..{ControlWord.TenantCount}; tenant 0 may run everything). Fix: use a tenant in 1..{ControlWord.TenantCount}.");
        }

        ThrowIfUnknownPermissions(permissions);
        int index = (int)tenant - 1;
        lock (_tenantMaskLock)
        {
            // The device checks slots against its copy in device memory (DeviceStateWord.TenantMasksFirst; reading the
            // control word cost a PCIe round trip per slot): the copy first, synchronously, then the host's own word. A
            // lost device runs nothing any more: its copy is left as it was.
            if (DeviceLoss is null)
            {
                _backend.Write(DeviceRegion.State, DeviceStateWord.TenantMasksFirst + index, [(uint)permissions]);
            }

            Volatile.Write(ref _backend.Control[ControlWord.TenantMaskFirst + index], (uint)permissions);
        }
    }

    private static void CheckRange(int offset, int length, int size, string what, string option)
    {
        if (offset < 0 || (long)offset + length > size)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"[{offset}, {(long)offset + length}) is outside the {what} of {size}. Fix: stay inside it or raise {option}.");
        }
    }
}
