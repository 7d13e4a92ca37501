using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime.Cuda;

namespace Vyre.Internals;

/// <summary>
/// The sixteen words of a ring slot as a lane read them when it took the slot: on CUDA four 16-byte loads
/// issued together, so the header and the arguments cost one PCIe round trip instead of one per word a handler reads.
/// A handler's results are written through to the ring and kept here, so a result replaces its argument for later reads.
/// On the CPU backends, where a read of the ring is a read of local memory, only the header is read here and the
/// arguments are read when used (reading all sixteen words per slot cost the Managed worker a third of its rate).
/// </summary>
internal struct SlotWords
{
    private uint _w0, _w1, _w2, _w3, _w4, _w5, _w6, _w7, _w8, _w9, _w10, _w11, _w12, _w13, _w14, _w15;

    /// <summary>The opcode word.</summary>
    public readonly uint Opcode => _w1;

    /// <summary>The tenant word.</summary>
    public readonly uint Tenant => _w2;

    /// <summary>Reads the slot whose first word is word <paramref name="slotBase"/> of <paramref name="ring"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static SlotWords Read(SharedWords ring, int slotBase)
    {
        var words = default(SlotWords);
        if (CudaAsm.IsSupported)
        {
            ulong address = ring.Address + ((ulong)slotBase * sizeof(uint));
            Load4(address, out words._w0, out words._w1, out words._w2, out words._w3);
            Load4(address + 16, out words._w4, out words._w5, out words._w6, out words._w7);
            Load4(address + 32, out words._w8, out words._w9, out words._w10, out words._w11);
            Load4(address + 48, out words._w12, out words._w13, out words._w14, out words._w15);
            return words;
        }

        // On the CPU backends a word is read when it is used (SlotContext.Arg): only the header is read here, with plain
        // loads: every claim of a slot (a compare-exchange on each backend) is a full fence before them.
        words._w1 = ring.ReadClaimed(slotBase + SlotLayout.Opcode);
        words._w2 = ring.ReadClaimed(slotBase + SlotLayout.Tenant);
        return words;
    }

    /// <summary>
    /// The slots of a warp's claim, sequences [<paramref name="first"/>, + <paramref name="count"/>) with
    /// <paramref name="count"/> at most a warp: every lane of the warp calls this, and lane <c>i &lt; count</c> gets the
    /// words of sequence <c>first + i</c>. On CUDA the warp reads the claim together, eight slots per round, each lane
    /// sixteen bytes of one slot, so a round is one contiguous 512-byte read of the ring rather than 32 scattered ones
    /// (fewer, larger PCIe reads), and shuffles hand each lane its slot. Elsewhere as <see cref="Read"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static SlotWords ReadClaim(SharedWords ring, int slotCount, uint first, uint count, int lane)
    {
        if (!CudaAsm.IsSupported)
        {
            return (uint)lane < count ? Read(ring, MegakernelBuffers.SlotOf(first + (uint)lane, slotCount) * SlotLayout.WordCount) : default;
        }

        // Every round's load is issued before any shuffle waits for one: the rounds cost one PCIe round trip, not four.
        LoadQuarter(ring, slotCount, first, count, lane, 0, out uint a0, out uint b0, out uint c0, out uint d0);
        LoadQuarter(ring, slotCount, first, count, lane, 1, out uint a1, out uint b1, out uint c1, out uint d1);
        LoadQuarter(ring, slotCount, first, count, lane, 2, out uint a2, out uint b2, out uint c2, out uint d2);
        LoadQuarter(ring, slotCount, first, count, lane, 3, out uint a3, out uint b3, out uint c3, out uint d3);
        var words = default(SlotWords);
        GatherRound(ref words, lane, 0, a0, b0, c0, d0);
        if (count > 8)
        {
            GatherRound(ref words, lane, 1, a1, b1, c1, d1);
        }

        if (count > 16)
        {
            GatherRound(ref words, lane, 2, a2, b2, c2, d2);
        }

        if (count > 24)
        {
            GatherRound(ref words, lane, 3, a3, b3, c3, d3);
        }

        return words;
    }

    /// <summary>Round <paramref name="round"/> of <see cref="ReadClaim"/>: lane <c>l</c> loads quarter <c>l % 4</c> of claimed slot <c>8 · round + l / 4</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void LoadQuarter(SharedWords ring, int slotCount, uint first, uint count, int lane, int round, out uint a, out uint b, out uint c, out uint d)
    {
        a = b = c = d = 0;
        uint slot = (uint)((round * 8) + (lane / 4));
        if (slot < count)
        {
            uint index = (uint)MegakernelBuffers.SlotOf(first + slot, slotCount);
            Load4(ring.Address + (((ulong)index * SlotLayout.WordCount) + ((ulong)(lane % 4) * 4)) * sizeof(uint), out a, out b, out c, out d);
        }
    }

    /// <summary>Lanes <c>8 · round .. + 7</c> gather their slot's four quarters from lanes <c>4 · (l % 8) .. + 3</c>, which loaded them in round <paramref name="round"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GatherRound(ref SlotWords words, int lane, int round, uint a, uint b, uint c, uint d)
    {
        int from = (lane % 8) * 4;
        uint w0 = Warp.Shuffle(a, from), w1 = Warp.Shuffle(b, from), w2 = Warp.Shuffle(c, from), w3 = Warp.Shuffle(d, from);
        uint w4 = Warp.Shuffle(a, from + 1), w5 = Warp.Shuffle(b, from + 1), w6 = Warp.Shuffle(c, from + 1), w7 = Warp.Shuffle(d, from + 1);
        uint w8 = Warp.Shuffle(a, from + 2), w9 = Warp.Shuffle(b, from + 2), w10 = Warp.Shuffle(c, from + 2), w11 = Warp.Shuffle(d, from + 2);
        uint w12 = Warp.Shuffle(a, from + 3), w13 = Warp.Shuffle(b, from + 3), w14 = Warp.Shuffle(c, from + 3), w15 = Warp.Shuffle(d, from + 3);
        if (lane / 8 == round)
        {
            words = new SlotWords
            {
                _w0 = w0, _w1 = w1, _w2 = w2, _w3 = w3, _w4 = w4, _w5 = w5, _w6 = w6, _w7 = w7,
                _w8 = w8, _w9 = w9, _w10 = w10, _w11 = w11, _w12 = w12, _w13 = w13, _w14 = w14, _w15 = w15,
            };
        }
    }

    /// <summary>
    /// The slot lanes 0..3 of a warp read, sixteen bytes each (<see cref="Load4"/>): every lane of the warp calls this,
    /// and every lane gets the sixteen words.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static SlotWords Gather(uint a, uint b, uint c, uint d) => new()
    {
        _w0 = Warp.Shuffle(a, 0),
        _w1 = Warp.Shuffle(b, 0),
        _w2 = Warp.Shuffle(c, 0),
        _w3 = Warp.Shuffle(d, 0),
        _w4 = Warp.Shuffle(a, 1),
        _w5 = Warp.Shuffle(b, 1),
        _w6 = Warp.Shuffle(c, 1),
        _w7 = Warp.Shuffle(d, 1),
        _w8 = Warp.Shuffle(a, 2),
        _w9 = Warp.Shuffle(b, 2),
        _w10 = Warp.Shuffle(c, 2),
        _w11 = Warp.Shuffle(d, 2),
        _w12 = Warp.Shuffle(a, 3),
        _w13 = Warp.Shuffle(b, 3),
        _w14 = Warp.Shuffle(c, 3),
        _w15 = Warp.Shuffle(d, 3),
    };

    /// <summary>
    /// The words of a slot read from the express line (<see cref="ControlWord.ExpressFirst"/>): lane <c>l &lt; 8</c> holds
    /// entries <c>2l</c> and <c>2l + 1</c>, entry <c>k</c> word <c>k + 1</c> in its low half; on every lane of the warp. The
    /// status word reads PUBLISHED (the line carries no status).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static SlotWords FromExpress(ulong even, ulong odd) => new()
    {
        _w0 = (uint)SlotState.Published,
        _w1 = Warp.Shuffle((uint)even, 0),
        _w2 = Warp.Shuffle((uint)odd, 0),
        _w3 = Warp.Shuffle((uint)even, 1),
        _w4 = Warp.Shuffle((uint)odd, 1),
        _w5 = Warp.Shuffle((uint)even, 2),
        _w6 = Warp.Shuffle((uint)odd, 2),
        _w7 = Warp.Shuffle((uint)even, 3),
        _w8 = Warp.Shuffle((uint)odd, 3),
        _w9 = Warp.Shuffle((uint)even, 4),
        _w10 = Warp.Shuffle((uint)odd, 4),
        _w11 = Warp.Shuffle((uint)even, 5),
        _w12 = Warp.Shuffle((uint)odd, 5),
        _w13 = Warp.Shuffle((uint)even, 6),
        _w14 = Warp.Shuffle((uint)odd, 6),
        _w15 = Warp.Shuffle((uint)even, 7),
    };

    /// <summary>The words lane <paramref name="source"/> holds, on every lane of the warp (a warp-wide slot's, for the whole group).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly SlotWords From(int source) => new()
    {
        _w0 = Warp.Shuffle(_w0, source),
        _w1 = Warp.Shuffle(_w1, source),
        _w2 = Warp.Shuffle(_w2, source),
        _w3 = Warp.Shuffle(_w3, source),
        _w4 = Warp.Shuffle(_w4, source),
        _w5 = Warp.Shuffle(_w5, source),
        _w6 = Warp.Shuffle(_w6, source),
        _w7 = Warp.Shuffle(_w7, source),
        _w8 = Warp.Shuffle(_w8, source),
        _w9 = Warp.Shuffle(_w9, source),
        _w10 = Warp.Shuffle(_w10, source),
        _w11 = Warp.Shuffle(_w11, source),
        _w12 = Warp.Shuffle(_w12, source),
        _w13 = Warp.Shuffle(_w13, source),
        _w14 = Warp.Shuffle(_w14, source),
        _w15 = Warp.Shuffle(_w15, source),
    };

    /// <summary>Word <paramref name="index"/> (0..15).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly uint Get(int index) => index switch
    {
        0 => _w0,
        1 => _w1,
        2 => _w2,
        3 => _w3,
        4 => _w4,
        5 => _w5,
        6 => _w6,
        7 => _w7,
        8 => _w8,
        9 => _w9,
        10 => _w10,
        11 => _w11,
        12 => _w12,
        13 => _w13,
        14 => _w14,
        _ => _w15,
    };

    /// <summary>Keeps <paramref name="value"/> as word <paramref name="index"/> (0..15).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Set(int index, uint value)
    {
        switch (index)
        {
            case 0: _w0 = value; break;
            case 1: _w1 = value; break;
            case 2: _w2 = value; break;
            case 3: _w3 = value; break;
            case 4: _w4 = value; break;
            case 5: _w5 = value; break;
            case 6: _w6 = value; break;
            case 7: _w7 = value; break;
            case 8: _w8 = value; break;
            case 9: _w9 = value; break;
            case 10: _w10 = value; break;
            case 11: _w11 = value; break;
            case 12: _w12 = value; break;
            case 13: _w13 = value; break;
            case 14: _w14 = value; break;
            default: _w15 = value; break;
        }
    }

    /// <summary>
    /// Two 8-byte entries of the express line in one 16-byte load that no cache may answer (<c>ld.global.cv</c>, as
    /// <see cref="Load4"/>: not volatile, so the eight lanes' loads go out as one request). Each 8-byte entry
    /// is read whole: its tag and its word come from the same host store.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadPair(ulong address, out ulong even, out ulong odd)
    {
        var o0 = default(Output<ulong>);
        var o1 = default(Output<ulong>);
        Input<ulong> at = address;
        CudaAsm.EmitRef("ld.global.cv.v2.u64 {%0, %1}, [%2];", ref o0, ref o1, ref at);
        (even, odd) = (o0.Value, o1.Value);
    }

    /// <summary>
    /// One 16-byte load of host-mapped memory that no cache may answer (<c>ld.global.cv</c>; the address is 16-byte
    /// aligned: slots are 64 bytes). Not volatile: the four loads of a slot may be in flight together (volatile loads
    /// were measured to go one after the other, a PCIe round trip each).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Load4(ulong address, out uint a, out uint b, out uint c, out uint d)
    {
        var o0 = default(Output<uint>);
        var o1 = default(Output<uint>);
        var o2 = default(Output<uint>);
        var o3 = default(Output<uint>);
        Input<ulong> at = address;
        CudaAsm.EmitRef("ld.global.cv.v4.u32 {%0, %1, %2, %3}, [%4];", ref o0, ref o1, ref o2, ref o3, ref at);
        (a, b, c, d) = (o0.Value, o1.Value, o2.Value, o3.Value);
    }
}
