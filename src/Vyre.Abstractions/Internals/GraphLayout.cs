namespace Vyre.Internals;

/// <summary>
/// A task graph in the program area (docs/vir0.md, "Task graphs"), written by the host's <c>LoadGraph</c> and run by
/// <see cref="TaskGraphRunner"/>: a header, the tasks, the successor lists, then the run state, whose words only
/// atomics and volatile loads touch while a run is on.
/// </summary>
internal static class GraphLayout
{
    /// <summary>Word 0: the bytes "VGR0".</summary>
    public const uint Magic = 0x3052_4756;

    /// <summary>Header: magic, task count, successor count, 0.</summary>
    public const int HeaderWords = 4;

    /// <summary>Per task: program id, r0, r1, r2, r3, predecessor count, first successor, successor count.</summary>
    public const int TaskWords = 8;

    /// <summary>Registers a task's record gives its program (r0..r3).</summary>
    public const int TaskRegisters = 4;

    /// <summary>Task word: the number of tasks that must end first.</summary>
    public const int PendingWord = 5;

    /// <summary>Task word: index of its first successor in the successor list.</summary>
    public const int FirstSuccessorWord = 6;

    /// <summary>Task word: number of successors.</summary>
    public const int SuccessorCountWord = 7;

    /// <summary>Most tasks in one graph.</summary>
    public const int MaxTasks = 1 << 20;

    /// <summary>Most dependencies in one graph.</summary>
    public const int MaxSuccessors = 1 << 22;

    /// <summary>State word (from the state's start): the queue position the next task is taken from.</summary>
    public const int Head = 0;

    /// <summary>State word: the queue position the next ready task is put at.</summary>
    public const int Tail = 32;

    /// <summary>State word: tasks ended.</summary>
    public const int Done = 64;

    /// <summary>State word: 0, or 1 + the task that faulted (every worker then stops).</summary>
    public const int Fault = 96;

    /// <summary>State words before the per-task counters: head, tail, done and fault, each on a 128-byte line.</summary>
    public const int StateHeaderWords = 128;

    /// <summary>A queue position no task has been written to yet.</summary>
    public const uint Empty = 0xFFFF_FFFF;

    /// <summary>Where the run state starts, from the graph's first word (a 128-byte line of its own).</summary>
    public static long StateOffset(long tasks, long successors) => (HeaderWords + (tasks * TaskWords) + successors + 31) / 32 * 32;

    /// <summary>The graph's whole length in words: structure, then state (head line, pending counters, queue).</summary>
    public static long Length(long tasks, long successors) => StateOffset(tasks, successors) + StateHeaderWords + (2 * tasks);
}
