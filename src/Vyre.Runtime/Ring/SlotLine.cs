using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Vyre.Internals;

namespace Vyre.Ring;

/// <summary>
/// A whole ring slot (64 bytes, one cache line) written with one 512-bit store, where the CPU has them: the publish path's
/// slot sources build the line in a register (status PUBLISHED, header, arguments) instead of sixteen scalar stores and two
/// copies (one store also needs no ordering between the status and the words: the doorbell, written after it, is what
/// makes a slot claimable). Non-temporal stores were measured as well, and were not faster on the H200 (2026-12-02).
/// </summary>
internal static unsafe class SlotLine
{
    /// <summary>Whether slots are written a line at a time (AVX-512); elsewhere the sources write word by word.</summary>
    public static bool Accelerated => Avx512F.IsSupported;

    /// <summary>Lane <c>k</c> of a slot takes lane <c>k - 4</c> of a vector holding argument words from word 0 (lanes 0..3 are replaced).</summary>
    public static Vector512<uint> ArgumentsToWords { get; } = Vector512.Create(0u, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);

    /// <summary>
    /// Lane <c>k</c> of a slot from a <see cref="SlotRequest"/> read as 16 words (its twelve arguments, opcode, tenant,
    /// priority, and one word past it): the header from lanes 12..14, the arguments from 0..11; lane 0 (the status) is replaced.
    /// </summary>
    public static Vector512<uint> RequestToWords { get; } = Vector512.Create(0u, 12, 13, 14, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);

    /// <summary>
    /// <see cref="RequestToWords"/> for a request read as its words 0..7 and then 7..14 (the last request of a span, past
    /// which nothing may be read): argument words 8..11 and the header sit one lane further up.
    /// </summary>
    public static Vector512<uint> LastRequestToWords { get; } = Vector512.Create(0u, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12);

    /// <summary>Lane <c>k</c> takes word <c>k + 1</c> of a slot (lane 15 takes word 0): the words the express line's entries carry.</summary>
    public static Vector512<uint> ExpressWords { get; } = Vector512.Create(1u, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0);

    /// <summary>All ones in the status lane.</summary>
    public static Vector512<uint> StatusLane { get; } = Vector512.Create(uint.MaxValue, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    /// <summary>PUBLISHED in every lane (blended into the status lane).</summary>
    public static Vector512<uint> Published { get; } = Vector512.Create((uint)SlotState.Published);

    /// <summary>The slot <paramref name="request"/> describes, PUBLISHED, as one line.</summary>
    public static Vector512<uint> Of(in SlotRequest request)
    {
        uint* words = stackalloc uint[SlotLayout.WordCount];
        words[SlotLayout.Status] = (uint)SlotState.Published;
        words[SlotLayout.Opcode] = request.Opcode;
        words[SlotLayout.Tenant] = request.Tenant;
        words[SlotLayout.Priority] = (uint)request.Priority;
        for (int i = 0; i < SlotLayout.ArgumentCount; i++)
        {
            words[SlotLayout.FirstArgument + i] = request.Args[i];
        }

        return Vector512.Load(words);
    }

    /// <summary>All ones in the lanes of argument words <c>0..count - 1</c>.</summary>
    public static Vector512<uint> ArgumentLanes(int count) =>
        Vector512.LessThan(Vector512<uint>.Indices - Vector512.Create((uint)SlotLayout.FirstArgument), Vector512.Create((uint)count));
}
