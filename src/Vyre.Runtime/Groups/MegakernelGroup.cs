using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Vyre.Ring;

namespace Vyre;

/// <summary>
/// Several hosts of one megakernel, one per device (a resident kernel on each GPU, or several CPU hosts), behind the
/// submission API of a single host: <see cref="Submit"/>, <see cref="SubmitAsync"/>, <see cref="PublishBatch"/> and
/// <see cref="WaitBatch"/>. Each submission goes to the member with the fewest slots outstanding; a large batch is split
/// into contiguous parts by the members' free room and its results come back in the caller's order. A member whose
/// device is lost is routed around and, unless turned off, restarted (and prepared again) in the background.
/// Thread-safe. docs/sharing.md.
/// </summary>
public sealed class MegakernelGroup : IAsyncDisposable
{
    /// <summary>Batches up to this size go to one member whole; larger ones are split by free room.</summary>
    public const int SplitThreshold = 1024;

    private readonly MegakernelHost?[] _members;
    private readonly Func<MegakernelHost, Task>? _prepare;
    private readonly bool _restartLost;
    private readonly List<Task> _restarts = [];
    private readonly Lock _gate = new();
    private int _next;
    private int _disposed;

    private MegakernelGroup(MegakernelHost[] members, Func<MegakernelHost, Task>? prepare, bool restartLost)
    {
        _members = members;
        _prepare = prepare;
        _restartLost = restartLost;
    }

    /// <summary>
    /// Starts one member per entry of <paramref name="members"/> with <paramref name="start"/> (the generated
    /// <c>X.StartAsync</c>), runs <paramref name="prepare"/> on each (write the heap, load programs: what a member needs
    /// before it takes work; run again on a restarted member), and groups them. For every GPU of the machine:
    /// <c>MegakernelHost.CudaDevices().Select(d =&gt; new MegakernelOptions { Backend = Backend.Cuda, CudaDevice = d.Index })</c>.
    /// When one fails to start, those already started are shut down and the failure is thrown.
    /// </summary>
    /// <param name="start">Starts the megakernel with given options, e.g. <c>o =&gt; Scan.StartAsync(o)</c>.</param>
    /// <param name="members">The options of each member (1..64).</param>
    /// <param name="prepare">Run on each member before it takes work, or null.</param>
    /// <param name="restartLostMembers">Whether a member whose device is lost is restarted with its own options (default true).</param>
    public static async Task<MegakernelGroup> StartAsync(Func<MegakernelOptions, Task<MegakernelHost>> start, IEnumerable<MegakernelOptions> members, Func<MegakernelHost, Task>? prepare = null, bool restartLostMembers = true)
    {
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(members);
        MegakernelOptions[] options = [.. members];
        if (options.Length is < 1 or > 64 || options.Any(o => o is null))
        {
            throw new ArgumentException($"A group has 1..64 members, each with options; got {options.Length}. Fix: pass one MegakernelOptions per device.", nameof(members));
        }

        var started = new List<MegakernelHost>(options.Length);
        try
        {
            foreach (MegakernelOptions member in options)
            {
                MegakernelHost host = await start(member).ConfigureAwait(false);
                started.Add(host);
                if (prepare is not null)
                {
                    await prepare(host).ConfigureAwait(false);
                }
            }

            if (started.Select(h => h.Name).Distinct().Count() != 1)
            {
                throw new ArgumentException($"The members run different megakernels ({string.Join(", ", started.Select(h => h.Name).Distinct())}). Fix: start the same megakernel on every member.", nameof(start));
            }
        }
        catch
        {
            foreach (MegakernelHost host in started)
            {
                await host.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }

        return new MegakernelGroup([.. started], prepare, restartLostMembers);
    }

    /// <summary>The members serving now (a member being restarted is absent until it is ready).</summary>
    public IReadOnlyList<MegakernelHost> Hosts => [.. _members.Select(m => Volatile.Read(ref m)).OfType<MegakernelHost>().Where(m => m.DeviceLoss is null)];

    /// <summary>Members the group was started with (serving, lost, or restarting).</summary>
    public int MemberCount => _members.Length;

    /// <summary>Runs one slot on the least loaded member and spins until it completes (<see cref="MegakernelHost.Submit(in SlotRequest)"/>).</summary>
    /// <exception cref="DeviceLostException">Every member is lost or restarting.</exception>
    public SlotResult Submit(in SlotRequest request)
    {
        while (true)
        {
            MegakernelHost member = Pick();
            try
            {
                return member.Submit(request);
            }
            catch (Exception refused) when (refused is DeviceLostException or ObjectDisposedException && member.DeviceLoss is not null)
            {
                // Refused before anything was published (lost, or shut down by its restart; a slot published on a lost
            // member ends in FAULT DeviceLost instead): another member takes it.
            }
        }
    }

    /// <summary>Runs one slot on the least loaded member; the result comes when it completes (<see cref="MegakernelHost.SubmitAsync(in SlotRequest, CancellationToken)"/>).</summary>
    public ValueTask<SlotResult> SubmitAsync(in SlotRequest request, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            MegakernelHost member = Pick();
            try
            {
                return member.SubmitAsync(request, cancellationToken);
            }
            catch (Exception refused) when (refused is DeviceLostException or ObjectDisposedException && member.DeviceLoss is not null)
            {
            }
        }
    }

    /// <summary>
    /// Publishes <paramref name="requests"/>: whole on the least loaded member up to <see cref="SplitThreshold"/> slots,
    /// else in contiguous parts sized by each member's free room. Wait for it with <see cref="WaitBatch"/>, once. When a
    /// part cannot be published, the parts already published are handed back (freed once they complete) and the error
    /// is thrown.
    /// </summary>
    public GroupBatch PublishBatch(ReadOnlySpan<SlotRequest> requests)
    {
        BatchChecks.ThrowIfEmpty(requests);

        var parts = new List<GroupBatch.Part>();
        try
        {
            int offset = 0;
            int rank = 0;
            foreach (ref readonly SlotRequest request in requests)
            {
                rank = Math.Max(rank, PriorityGate.Rank(request.Priority));
            }

            foreach ((MegakernelHost member, int count) in Split(requests.Length, rank))
            {
                parts.Add(new GroupBatch.Part(member, member.PublishBatch(requests.Slice(offset, count)), offset));
                offset += count;
            }
        }
        catch
        {
            foreach (GroupBatch.Part part in parts)
            {
                part.Host.AbandonBatch(part.Batch);
            }

            throw;
        }

        return new GroupBatch(this, [.. parts], requests.Length);
    }

    /// <summary>
    /// Waits (bounded by each member's wait timeout) for every part of <paramref name="batch"/> and writes the results to
    /// <paramref name="results"/> in the order of the requests. A batch is waited for once.
    /// </summary>
    public void WaitBatch(GroupBatch batch, Span<SlotResult> results)
    {
        BatchChecks.ThrowIfNotWaitable(batch.Group, this, batch.Count, results.Length, nameof(GroupBatch), "group");

        if (!batch.TryBeginWait())
        {
            throw new InvalidOperationException($"The group batch of {batch.Count} slot(s) was already waited for (or another thread is waiting for it). Fix: wait for each batch once.");
        }

        GroupBatch.Part[] parts = batch.Parts!;
        for (int i = 0; i < parts.Length; i++)
        {
            Span<SlotResult> slice = results.Slice(parts[i].Offset, parts[i].Batch.Count);
            try
            {
                parts[i].Host.WaitBatch(parts[i].Batch, slice);
            }
            catch (Exception gone) when (gone is ObjectDisposedException or DeviceLostException && parts[i].Host.DeviceLoss is not null)
            {
                // The member was lost (and perhaps shut down by its restart) before this part was read: its slots ended
                // in FAULT DeviceLost, which is what the caller gets for them.
                slice.Fill(SlotResult.Faulted(FaultCode.DeviceLost, 0));
            }
            catch (Exception) when (i + 1 < parts.Length)
            {
                // The later parts are nobody's any more: freed once they complete.
                for (int j = i + 1; j < parts.Length; j++)
                {
                    parts[j].Host.AbandonBatch(parts[j].Batch);
                }

                throw;
            }
        }
    }

    /// <summary>Shuts every member down (and any member being restarted, once it has started). Never throws.</summary>
    public async ValueTask DisposeAsync()
    {
        Task[] restarts;
        lock (_gate)
        {
            if (_disposed != 0)
            {
                return;
            }

            // Under the lock: a restart is either in this list or sees the group disposed (and disposes what it started).
            Volatile.Write(ref _disposed, 1);
            restarts = [.. _restarts];
        }

        await Task.WhenAll(restarts.Select(r => r.ContinueWith(_ => { }, TaskScheduler.Default))).ConfigureAwait(false);
        foreach (MegakernelHost? member in _members)
        {
            if (member is not null)
            {
                await member.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>The serving member with the fewest slots outstanding (ties: round robin); starts restarts of lost ones it passes.</summary>
    private MegakernelHost Pick()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        int from = (int)((uint)Interlocked.Increment(ref _next) % (uint)_members.Length);
        MegakernelHost? best = null;
        long bestLoad = long.MaxValue;
        string? lost = null;
        for (int i = 0; i < _members.Length; i++)
        {
            int index = (from + i) % _members.Length;
            MegakernelHost? member = Volatile.Read(ref _members[index]);
            if (member?.DeviceLoss is { } reason)
            {
                lost = reason;
                Restart(index, member);
                continue;
            }

            long load = member?.Outstanding ?? long.MaxValue;
            if (load < bestLoad)
            {
                (best, bestLoad) = (member, load);
            }
        }

        return best ?? throw new DeviceLostException($"every member of the group is lost or restarting (the last loss seen: {lost ?? "none; restarts in progress"})");
    }

    /// <summary>
    /// Members and part sizes for a batch of <paramref name="count"/> admitted at priority <paramref name="rank"/>: whole on
    /// the least loaded member when small enough for it, else by free room, each part at most what its member can ever
    /// admit (its ring, and the level's window).
    /// </summary>
    private List<(MegakernelHost Member, int Count)> Split(int count, int rank)
    {
        static int Limit(MegakernelHost member, int rank) => Math.Min(member.SlotCount, member.Priorities.Window(rank));

        MegakernelHost least = Pick();
        IReadOnlyList<MegakernelHost> serving = Hosts;
        if ((count <= SplitThreshold && count <= Limit(least, rank)) || serving.Count <= 1)
        {
            return [(least, count)];
        }

        long capacity = serving.Sum(h => (long)Limit(h, rank));
        if (count > capacity)
        {
            throw new ArgumentException($"A batch of {count} {PriorityGate.Level(rank)} slots cannot fit the group ({capacity} slots in all, by ring and priority window). Fix: split the batch, or raise MegakernelOptions.SlotCount or the priority's window.", "requests");
        }

        // By free room first, each part at most its member's limit; what is left goes where a limit has space.
        long[] room = [.. serving.Select(h => Math.Max(1, h.SlotCount - h.Outstanding))];
        long total = room.Sum();
        int[] shares = new int[serving.Count];
        int given = 0;
        for (int i = 0; i < shares.Length; i++)
        {
            shares[i] = (int)Math.Min(Limit(serving[i], rank), count * room[i] / total);
            given += shares[i];
        }

        for (int i = 0; given < count; i = (i + 1) % shares.Length)
        {
            int more = Math.Min(count - given, Limit(serving[i], rank) - shares[i]);
            shares[i] += more;
            given += more;
        }

        var parts = new List<(MegakernelHost, int)>(serving.Count);
        for (int i = 0; i < shares.Length; i++)
        {
            if (shares[i] > 0)
            {
                parts.Add((serving[i], shares[i]));
            }
        }

        return parts;
    }

    /// <summary>Restarts the lost member at <paramref name="index"/> in the background (once), prepares it, and puts it back.</summary>
    private void Restart(int index, MegakernelHost lost)
    {
        lock (_gate)
        {
            if (!_restartLost || _disposed != 0 || Interlocked.CompareExchange(ref _members[index], null, lost) != lost)
            {
                return;
            }

            _restarts.RemoveAll(t => t.IsCompleted);
            _restarts.Add(Task.Run(() => RestartAsync(index, lost)));
        }
    }

    /// <summary>Starts the replacement of <paramref name="lost"/>, prepares it, and puts it in place <paramref name="index"/> (or disposes it when the group was disposed meanwhile).</summary>
    private async Task RestartAsync(int index, MegakernelHost lost)
    {
        MegakernelHost fresh = await lost.RestartAsync().ConfigureAwait(false);
        try
        {
            if (_prepare is not null)
            {
                await _prepare(fresh).ConfigureAwait(false);
            }
        }
        catch
        {
            // A member that could not be prepared must not serve, nor hold its device.
            await fresh.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        lock (_gate)
        {
            if (_disposed == 0)
            {
                Volatile.Write(ref _members[index], fresh);
                return;
            }
        }

        await fresh.DisposeAsync().ConfigureAwait(false);
    }
}
