using System;
using System.Collections.Concurrent;
using System.Threading;
using System.Threading.Tasks;
using Vyre.Ring;

namespace Vyre;

/// <summary>
/// One tenant of a shared megakernel (<see cref="MegakernelHost.RegisterTenant"/>): everything it submits carries its
/// tenant id, stamped here, so code that holds only the handle cannot act as another tenant; at most
/// <see cref="MaxOutstanding"/> of its slots are in flight at once (a submission at the quota waits, bounded by the host's
/// <see cref="MegakernelOptions.WaitTimeout"/>, while other tenants go on); it can be quiesced (no new work, what is in
/// flight drains) and revoked. Thread-safe. docs/sharing.md.
/// </summary>
public sealed class TenantHandle : IAsyncDisposable
{
    private const int Open = 0;
    private const int Quiescing = 1;
    private const int Revoked = 2;

    private readonly MegakernelHost _host;
    private readonly SemaphoreSlim _quota;
    private readonly ConcurrentDictionary<long, int> _batches = new();
    private int _state;
    private int _disposed;

    internal TenantHandle(MegakernelHost host, uint id, int maxOutstanding)
    {
        _host = host;
        Id = id;
        MaxOutstanding = maxOutstanding;
        _quota = new SemaphoreSlim(maxOutstanding, maxOutstanding);
    }

    /// <summary>The tenant id its slots carry (1..29).</summary>
    public uint Id { get; }

    /// <summary>Most slots of this tenant in flight at once.</summary>
    public int MaxOutstanding { get; }

    /// <summary>Slots of this tenant in flight now (published and not yet waited for).</summary>
    public int Outstanding => MaxOutstanding - _quota.CurrentCount;

    /// <summary>Whether the handle still accepts work (not quiesced, revoked or disposed).</summary>
    public bool IsOpen => Volatile.Read(ref _state) == Open;

    /// <summary>Publishes one slot as this tenant and waits for it (<see cref="MegakernelHost.Submit(in SlotRequest)"/>).</summary>
    /// <exception cref="ArgumentException">The request names another tenant.</exception>
    /// <exception cref="InvalidOperationException">The handle was quiesced, revoked or disposed.</exception>
    /// <exception cref="TimeoutException">The tenant stayed at its quota for the host's wait timeout.</exception>
    public SlotResult Submit(in SlotRequest request)
    {
        SlotRequest stamped = Stamp(request);
        Enter(1);
        try
        {
            return _host.Submit(stamped);
        }
        finally
        {
            _quota.Release();
        }
    }

    /// <summary>Publishes one slot as this tenant; the task completes with its result (<see cref="MegakernelHost.SubmitAsync(in SlotRequest, CancellationToken)"/>).</summary>
    public async ValueTask<SlotResult> SubmitAsync(SlotRequest request, CancellationToken cancellationToken = default)
    {
        SlotRequest stamped = Stamp(request);
        ThrowIfClosed();
        if (!await _quota.WaitAsync(_host.WaitTimeout, cancellationToken).ConfigureAwait(false))
        {
            throw AtQuota(1);
        }

        try
        {
            ThrowIfClosed();
            return await _host.SubmitAsync(stamped, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _quota.Release();
        }
    }

    /// <summary>
    /// Publishes a batch as this tenant (<see cref="MegakernelHost.PublishBatch(ReadOnlySpan{SlotRequest})"/>); it counts against the quota until
    /// <see cref="WaitBatch(SlotBatch, Span{SlotResult})"/> on this handle. A batch larger than the quota is refused.
    /// </summary>
    public SlotBatch PublishBatch(ReadOnlySpan<SlotRequest> requests)
    {
        ThrowIfOverQuota(requests.Length, nameof(requests));
        var stamped = new SlotRequest[requests.Length];
        for (int i = 0; i < requests.Length; i++)
        {
            stamped[i] = Stamp(requests[i]);
        }

        // Checked before the quota, once: a batch the host would refuse must not wait for room first.
        BatchChecks.ThrowIfEmpty(requests);
        _host.Validate(stamped);
        Enter(requests.Length);
        try
        {
            return Published(_host.PublishChecked(stamped));
        }
        catch
        {
            _quota.Release(requests.Length);
            throw;
        }
    }

    /// <summary>
    /// Publishes a uniform batch as this tenant (<see cref="MegakernelHost.PublishBatch(in SlotRequest, ReadOnlySpan{uint}, int)"/>);
    /// it counts against the quota until it is waited for on this handle. A batch larger than the quota is refused.
    /// </summary>
    public SlotBatch PublishBatch(in SlotRequest template, ReadOnlySpan<uint> args, int argsPerSlot)
    {
        // The shape before the quota, once: a batch the host would refuse must not wait for room first.
        SlotRequest stamped = Stamp(template);
        int count = args.Length / _host.ValidateUniform(in stamped, args, argsPerSlot);
        ThrowIfOverQuota(count, nameof(args));
        Enter(count);
        try
        {
            return Published(_host.PublishChecked(in stamped, args, argsPerSlot));
        }
        catch
        {
            _quota.Release(count);
            throw;
        }
    }

    private void ThrowIfOverQuota(int count, string parameter)
    {
        if (count > MaxOutstanding)
        {
            throw new ArgumentException($"A batch of {count} slots is more than tenant {Id}'s quota of {MaxOutstanding}. Fix: split it, or register the tenant with a larger maxOutstanding.", parameter);
        }
    }

    /// <summary>Records a batch published through this handle, for its wait.</summary>
    private SlotBatch Published(SlotBatch batch)
    {
        _batches[batch.First] = batch.Count;
        return batch;
    }

    /// <summary>Waits for a batch this handle published (<see cref="MegakernelHost.WaitBatch(SlotBatch, Span{SlotResult})"/>) and gives its slots back to the quota.</summary>
    /// <exception cref="ArgumentException">The batch was not published through this handle (or was waited for already).</exception>
    public void WaitBatch(SlotBatch batch, Span<SlotResult> results)
    {
        int count = TakeBatch(batch);
        try
        {
            _host.WaitBatch(batch, results);
        }
        catch (ArgumentException)
        {
            // Refused before anything was waited for (a span too short): the batch is still this handle's to wait for.
            _batches[batch.First] = count;
            throw;
        }
        catch
        {
            _quota.Release(count);
            throw;
        }

        _quota.Release(count);
    }

    /// <summary>Waits for a batch this handle published, packed (<see cref="MegakernelHost.WaitBatch(SlotBatch, Span{SlotState}, Span{uint}, int)"/>), and gives its slots back to the quota; returns how many faulted.</summary>
    /// <exception cref="ArgumentException">The batch was not published through this handle (or was waited for already).</exception>
    public int WaitBatch(SlotBatch batch, Span<SlotState> states, Span<uint> results, int resultsPerSlot)
    {
        int count = TakeBatch(batch);
        int faulted;
        try
        {
            faulted = _host.WaitBatch(batch, states, results, resultsPerSlot);
        }
        catch (ArgumentException)
        {
            _batches[batch.First] = count; // refused before anything was waited for, as above
            throw;
        }
        catch
        {
            _quota.Release(count);
            throw;
        }

        _quota.Release(count);
        return faulted;
    }

    /// <summary>Removes <paramref name="batch"/> from this handle's published batches, or throws when it is not one of them.</summary>
    private int TakeBatch(SlotBatch batch)
    {
        if (!_batches.TryRemove(batch.First, out int count) || count != batch.Count)
        {
            throw new ArgumentException($"The batch was not published through tenant {Id}'s handle, or was waited for already. Fix: wait for a batch on the handle that published it, once.", nameof(batch));
        }

        return count;
    }

    /// <summary>
    /// Stops accepting work (every new submission throws <see cref="InvalidOperationException"/>) and waits, bounded by the
    /// host's wait timeout, until what is in flight has been waited for. The tenant's permissions stay.
    /// </summary>
    /// <exception cref="TimeoutException">Slots were still outstanding after the wait timeout.</exception>
    public async Task QuiesceAsync(CancellationToken cancellationToken = default)
    {
        Interlocked.CompareExchange(ref _state, Quiescing, Open);
        DateTime deadline = DateTime.UtcNow + _host.WaitTimeout;
        int taken = 0;
        try
        {
            while (taken < MaxOutstanding)
            {
                TimeSpan left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero || !await _quota.WaitAsync(left, cancellationToken).ConfigureAwait(false))
                {
                    throw new TimeoutException($"Tenant {Id} still had {MaxOutstanding - taken} slot(s) outstanding after {_host.WaitTimeout.TotalSeconds:0.#} s. Fix: wait for its batches, or revoke it.");
                }

                taken++;
            }
        }
        finally
        {
            if (taken > 0)
            {
                _quota.Release(taken);
            }
        }
    }

    /// <summary>
    /// Revokes the tenant at once: its permissions become <see cref="TenantPermissions.None"/>, so its slots not yet run end
    /// in FAULT <see cref="FaultCode.UnauthorizedTenant"/>, and every new submission throws.
    /// </summary>
    public void Revoke()
    {
        Volatile.Write(ref _state, Revoked);
        _host.SetTenantPermissions(Id, TenantPermissions.None);
    }

    /// <summary>Revokes the tenant, waits (bounded) for what it has in flight, and frees its id for another registration.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Volatile.Write(ref _state, Revoked);
        try
        {
            _host.SetTenantPermissions(Id, TenantPermissions.None);
            DateTime deadline = DateTime.UtcNow + _host.WaitTimeout;
            while (Outstanding > 0 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(1).ConfigureAwait(false);
            }
        }
        catch (ObjectDisposedException)
        {
            // The host shut down first: nothing of this tenant's runs any more.
        }
        finally
        {
            _host.ReleaseTenant(this);
        }
    }

    private SlotRequest Stamp(in SlotRequest request)
    {
        if (request.Tenant != 0 && request.Tenant != Id)
        {
            throw new ArgumentException($"The request names tenant {request.Tenant}, but this handle is tenant {Id}. Fix: leave SlotRequest.Tenant unset; the handle stamps its own.", nameof(request));
        }

        return request with { Tenant = Id };
    }

    private void Enter(int slots)
    {
        ThrowIfClosed();
        DateTime deadline = DateTime.UtcNow + _host.WaitTimeout;
        for (int taken = 0; taken < slots; taken++)
        {
            TimeSpan left = deadline - DateTime.UtcNow;
            if (left < TimeSpan.Zero || !_quota.Wait(left))
            {
                if (taken > 0)
                {
                    _quota.Release(taken);
                }

                throw AtQuota(slots);
            }
        }

        if (!IsOpen)
        {
            _quota.Release(slots);
            ThrowIfClosed();
        }
    }

    private TimeoutException AtQuota(int slots) =>
        new($"Tenant {Id} had its quota of {MaxOutstanding} slot(s) in flight for {_host.WaitTimeout.TotalSeconds:0.#} s, and {slots} more did not fit. Fix: wait for this tenant's earlier slots, or register it with a larger maxOutstanding.");

    private void ThrowIfClosed()
    {
        int state = Volatile.Read(ref _state);
        if (state != Open)
        {
            throw new InvalidOperationException($"Tenant {Id}'s handle was {(state == Quiescing ? "quiesced" : "revoked")}: it accepts no new work. Fix: register a new tenant for new work.");
        }
    }
}
