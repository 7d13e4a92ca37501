using System.ComponentModel;

namespace Vyre.Internals;

/// <summary>
/// Node kinds of the Program IR the generator builds for every megakernel. This file is compiled into
/// the generator as well (linked), so the template the build writes and the runtime reads agree.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public enum ProgramNodeKind : byte
{
    /// <summary>The root: the persistent loop that runs until SHUTDOWN, the stop word or a stale heartbeat.</summary>
    PersistentLoop = 1,

    /// <summary>The forwarder: the one thread that reads host words while idle and republishes them.</summary>
    Forward = 2,

    /// <summary>Lane 0 of a warp claims up to a warp of sequence numbers.</summary>
    Claim = 3,

    /// <summary>The tenant mask check.</summary>
    TenantCheck = 4,

    /// <summary>The dispatch tree's root.</summary>
    Dispatch = 5,

    /// <summary>Binary search: operand is the pivot; children below then at-or-above.</summary>
    Split = 6,

    /// <summary>A jump table over a dense range: operand is the lowest opcode.</summary>
    JumpTable = 7,

    /// <summary>A call to a user handler: operand is its opcode.</summary>
    CallHandler = 8,

    /// <summary>A call to a built-in in the dispatch tree: operand is its opcode.</summary>
    CallBuiltin = 9,

    /// <summary>A built-in the loop runs itself (fence, printf, shutdown, packed, load miss): operand is its opcode.</summary>
    LoopBuiltin = 10,

    /// <summary>Completion: payload, system fence, status last, counters.</summary>
    Complete = 11,

    /// <summary>A buffer the kernel binds: operand is its residence (0 host-mapped, 1 device).</summary>
    Buffer = 12,
}
