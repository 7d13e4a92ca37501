using System.Threading;
using Vyre.Internals;

namespace Vyre.Ring;

/// <summary>A LOAD_MISS request as the device wrote it in the io queue (none of its words trusted yet).</summary>
internal readonly record struct IoRequest(uint Op, uint File, uint DataOffset, ulong FileOffset, uint Length, uint Sequence);

/// <summary>
/// The host's side of the io queue (<see cref="IoQueueLayout"/>): takes the device's LOAD_MISS requests in ticket
/// order, freeing each entry at once, and says whether the host serves them. The slot a request comes from is
/// finished through <see cref="HostRing.FinishIo"/>.
/// </summary>
internal sealed unsafe class IoRequests(uint* queue, uint* control)
{
    private uint _consumed;

    /// <summary>Tells the device whether LOAD_MISS is served (until then it ends in FAULT Unsupported).</summary>
    public bool Served
    {
        set => Volatile.Write(ref control[ControlWord.IoServiceState], value ? 1u : 0u);
    }

    /// <summary>Takes the request with the next ticket if the device has published it, and frees its entry.</summary>
    public bool TryTake(out IoRequest request)
    {
        uint* entry = queue + ((int)(_consumed % IoQueueLayout.Capacity) * IoQueueLayout.EntryWords);
        if (Volatile.Read(ref entry[IoQueueLayout.Status]) != (uint)SlotState.Published)
        {
            request = default;
            return false;
        }

        request = new IoRequest(
            entry[IoQueueLayout.Op],
            entry[IoQueueLayout.Source],
            entry[IoQueueLayout.Destination],
            entry[IoQueueLayout.OffsetLow] | ((ulong)entry[IoQueueLayout.OffsetHigh] << 32),
            entry[IoQueueLayout.Bytes],
            entry[IoQueueLayout.Tag]);
        Volatile.Write(ref entry[IoQueueLayout.Status], (uint)SlotState.Empty);
        _consumed++;
        Volatile.Write(ref control[ControlWord.IoConsumed], _consumed);
        return true;
    }
}
