using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Threading;
using Vyre.Internals;

namespace Vyre.Ring;

/// <summary>
/// What a publish writes into the ring, however the caller holds it: one <see cref="HostRing"/> publish path serves both
/// a span of requests (<see cref="RequestSource"/>) and a uniform batch of packed argument words (<see cref="UniformSource"/>).
/// </summary>
internal unsafe interface ISlotSource
{
    /// <summary>Slots in the batch.</summary>
    int Count { get; }

    /// <summary>The public parameter that held the batch, for messages.</summary>
    string ParameterName { get; }

    /// <summary>
    /// The priority rank the batch is admitted at (its least urgent slot's) and its tenant (-1 when its slots differ in
    /// tenant or priority).
    /// </summary>
    int Classify(out int tenant);

    /// <summary>Adds each slot to <c>publishedBy[tenant * PriorityGate.Levels + rank]</c> (a batch of mixed tenant or priority).</summary>
    void CountEach(long[] publishedBy);

    /// <summary>
    /// Writes slot <paramref name="index"/> at <paramref name="slot"/>, PUBLISHED: one 64-byte store where
    /// <see cref="SlotLine.Accelerated"/>, else words 1..15 and then the status.
    /// </summary>
    void Write(int index, uint* slot);

    /// <summary>Appends the batch to the replay log (only while one records).</summary>
    void Record(ReplayRecorder recorder, long first);
}

/// <summary>A batch held as one <see cref="SlotRequest"/> per slot.</summary>
internal readonly unsafe ref struct RequestSource(ReadOnlySpan<SlotRequest> requests) : ISlotSource
{
    private readonly ReadOnlySpan<SlotRequest> _requests = requests;

    public int Count => _requests.Length;

    public string ParameterName => "requests";

    public int Classify(out int tenant)
    {
        int rank = 0;
        tenant = (int)_requests[0].Tenant;
        SlotPriority priority = _requests[0].Priority;
        foreach (ref readonly SlotRequest request in _requests)
        {
            rank = Math.Max(rank, PriorityGate.Rank(request.Priority));
            if (request.Tenant != (uint)tenant || request.Priority != priority)
            {
                tenant = -1;
            }
        }

        return rank;
    }

    public void CountEach(long[] publishedBy)
    {
        foreach (ref readonly SlotRequest request in _requests)
        {
            publishedBy[((int)request.Tenant * PriorityGate.Levels) + PriorityGate.Rank(request.Priority)]++;
        }
    }

    public void Write(int index, uint* slot)
    {
        ref readonly SlotRequest request = ref _requests[index];
        if (SlotLine.Accelerated)
        {
            ref uint first = ref Unsafe.As<SlotRequest, uint>(ref Unsafe.AsRef(in request));
            Vector512<uint> line = index < _requests.Length - 1
                // Sixteen words from the request: its 15 (arguments, opcode, tenant, priority) and the next request's first.
                ? Avx512F.PermuteVar16x32(Vector512.LoadUnsafe(ref first), SlotLine.RequestToWords)
                // The last request: no word past it is read (words 0..7, then 7..14).
                : Avx512F.PermuteVar16x32(Vector512.Create(Vector256.LoadUnsafe(ref first), Vector256.LoadUnsafe(ref first, 7)), SlotLine.LastRequestToWords);
            Vector512.ConditionalSelect(SlotLine.StatusLane, SlotLine.Published, line).Store(slot);
            return;
        }

        UniformSource.WriteHeader(slot, in request);
        ReadOnlySpan<uint> args = request.Args;
        for (int i = 0; i < SlotLayout.ArgumentCount; i++)
        {
            slot[SlotLayout.FirstArgument + i] = args[i];
        }

        Volatile.Write(ref slot[SlotLayout.Status], (uint)SlotState.Published);
    }

    public void Record(ReplayRecorder recorder, long first) => recorder.Record(first, _requests);
}

/// <summary>
/// A uniform batch: every slot has the template's opcode, tenant, priority and argument words, except its first
/// <c>argsPerSlot</c> argument words, which come from <c>args</c> (slot <c>i</c> takes words
/// <c>[i · argsPerSlot, (i + 1) · argsPerSlot)</c>). The caller checked the shape (<c>MegakernelHost.ValidateUniform</c>).
/// </summary>
internal readonly unsafe ref struct UniformSource : ISlotSource
{
    private readonly SlotRequest _template;
    private readonly ReadOnlySpan<uint> _args;
    private readonly int _perSlot;

    /// <summary>The template's slot, PUBLISHED, as one line; and the lanes a slot's own argument words replace.</summary>
    private readonly Vector512<uint> _line;
    private readonly Vector512<uint> _own;

    public UniformSource(in SlotRequest template, ReadOnlySpan<uint> args, int argsPerSlot)
    {
        _template = template;
        _args = args;
        _perSlot = argsPerSlot;
        if (SlotLine.Accelerated)
        {
            _line = SlotLine.Of(in template);
            _own = SlotLine.ArgumentLanes(argsPerSlot);
        }
    }

    public int Count => _args.Length / _perSlot;

    public string ParameterName => "args";

    public int Classify(out int tenant)
    {
        tenant = (int)_template.Tenant;
        return PriorityGate.Rank(_template.Priority);
    }

    public void CountEach(long[] publishedBy) =>
        publishedBy[((int)_template.Tenant * PriorityGate.Levels) + PriorityGate.Rank(_template.Priority)] += Count;

    public void Write(int index, uint* slot)
    {
        int at = index * _perSlot;
        if (SlotLine.Accelerated && at + Vector512<uint>.Count <= _args.Length)
        {
            Vector512<uint> given = Vector512.LoadUnsafe(ref MemoryMarshal.GetReference(_args), (nuint)at);
            Vector512.ConditionalSelect(_own, Avx512F.PermuteVar16x32(given, SlotLine.ArgumentsToWords), _line).Store(slot);
            return;
        }

        WriteHeader(slot, in _template);
        ReadOnlySpan<uint> defaults = _template.Args;
        for (int i = 0; i < SlotLayout.ArgumentCount; i++)
        {
            slot[SlotLayout.FirstArgument + i] = i < _perSlot ? _args[at + i] : defaults[i];
        }

        Volatile.Write(ref slot[SlotLayout.Status], (uint)SlotState.Published);
    }

    public void Record(ReplayRecorder recorder, long first) => recorder.Record(first, Requests());

    /// <summary>Writes words 1..3 of a slot (opcode, tenant, priority) from <paramref name="request"/>.</summary>
    public static void WriteHeader(uint* slot, in SlotRequest request)
    {
        slot[SlotLayout.Opcode] = request.Opcode;
        slot[SlotLayout.Tenant] = request.Tenant;
        slot[SlotLayout.Priority] = (uint)request.Priority;
    }

    /// <summary>The batch as one request per slot (the replay log, and per-slot checks of opcodes whose arguments are checked).</summary>
    public SlotRequest[] Requests()
    {
        var requests = new SlotRequest[Count];
        for (int i = 0; i < requests.Length; i++)
        {
            SlotRequest request = _template;
            for (int w = 0; w < _perSlot; w++)
            {
                request.SetArgument(w, _args[(i * _perSlot) + w]);
            }

            requests[i] = request;
        }

        return requests;
    }
}
