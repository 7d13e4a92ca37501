using System;
using System.Collections.Generic;
using Vyre.Internals;

namespace Vyre.Programs;

/// <summary>
/// Tasks and their dependencies, to run on the device without the host between tasks (docs/vir0.md, "Task graphs").
/// A task is a loaded program and up to four registers (r0..r3; the rest start at zero); tasks share data through the
/// heap. <see cref="AddDependency"/> says a task may start only after another has ended. Load it with
/// <see cref="MegakernelHost.LoadGraph"/>, run it with <see cref="MegakernelHost.RunGraph"/> as often as needed.
/// </summary>
public sealed class TaskGraph
{
    private readonly List<(ProgramHandle Program, uint R0, uint R1, uint R2, uint R3)> _tasks = [];
    private readonly List<(int Before, int After)> _edges = [];

    /// <summary>Number of tasks.</summary>
    public int TaskCount => _tasks.Count;

    /// <summary>Number of dependencies.</summary>
    public int DependencyCount => _edges.Count;

    /// <summary>Adds a task that runs <paramref name="program"/> with <paramref name="registers"/> in r0..r3; returns its index.</summary>
    public int AddTask(ProgramHandle program, params ReadOnlySpan<uint> registers)
    {
        if (registers.Length > GraphLayout.TaskRegisters)
        {
            throw new ArgumentException($"A task carries r0..r{GraphLayout.TaskRegisters - 1}; {registers.Length} registers were given. Fix: pass at most {GraphLayout.TaskRegisters}, and the rest through the heap.", nameof(registers));
        }

        if (program.Tenant != 0)
        {
            throw new ArgumentException($"Program {program.Id} was loaded for tenant {program.Tenant}; graphs run as the host (tenant 0). Fix: load the program for tenant 0.", nameof(program));
        }

        if (_tasks.Count >= GraphLayout.MaxTasks)
        {
            throw new InvalidOperationException($"A graph has at most {GraphLayout.MaxTasks} tasks. Fix: split the work into several graphs.");
        }

        Span<uint> r = stackalloc uint[GraphLayout.TaskRegisters];
        registers.CopyTo(r);
        _tasks.Add((program, r[0], r[1], r[2], r[3]));
        return _tasks.Count - 1;
    }

    /// <summary>Task <paramref name="after"/> starts only once task <paramref name="before"/> has ended.</summary>
    public void AddDependency(int before, int after)
    {
        if ((uint)before >= (uint)_tasks.Count || (uint)after >= (uint)_tasks.Count)
        {
            throw new ArgumentOutOfRangeException(before < 0 || before >= _tasks.Count ? nameof(before) : nameof(after), $"Tasks are 0..{_tasks.Count - 1}; the dependency {before} → {after} names another. Fix: add the tasks first and use the indexes AddTask returned.");
        }

        if (before == after)
        {
            throw new ArgumentException($"Task {before} cannot wait for itself. Fix: drop the dependency.", nameof(after));
        }

        if (_edges.Count >= GraphLayout.MaxSuccessors)
        {
            throw new InvalidOperationException($"A graph has at most {GraphLayout.MaxSuccessors} dependencies. Fix: split the work into several graphs.");
        }

        _edges.Add((before, after));
    }

    /// <summary>The programs the tasks run (each once).</summary>
    internal IEnumerable<ProgramHandle> Programs()
    {
        var seen = new HashSet<ProgramHandle>();
        foreach (var task in _tasks)
        {
            if (seen.Add(task.Program))
            {
                yield return task.Program;
            }
        }
    }

    /// <summary>
    /// The graph's words as <see cref="GraphLayout"/> lays them out, the run state included and reset (so the same words
    /// also serve to reset it before each run: <paramref name="stateStart"/> says where that part starts). Throws when the
    /// dependencies form a cycle.
    /// </summary>
    internal uint[] Encode(out int stateStart)
    {
        if (_tasks.Count == 0)
        {
            throw new InvalidOperationException("The graph has no tasks. Fix: add at least one with AddTask.");
        }

        int n = _tasks.Count;
        int[] pending = new int[n];
        int[] successorCount = new int[n];
        foreach ((int before, int after) in _edges)
        {
            pending[after]++;
            successorCount[before]++;
        }

        int[] firstSuccessor = new int[n];
        for (int i = 1; i < n; i++)
        {
            firstSuccessor[i] = firstSuccessor[i - 1] + successorCount[i - 1];
        }

        uint[] list = new uint[_edges.Count];
        int[] fill = (int[])firstSuccessor.Clone();
        foreach ((int before, int after) in _edges)
        {
            list[fill[before]++] = (uint)after;
        }

        CheckAcyclic(pending, firstSuccessor, successorCount, list);
        long length = GraphLayout.Length(n, list.Length);
        uint[] words = new uint[length];
        words[0] = GraphLayout.Magic;
        words[1] = (uint)n;
        words[2] = (uint)list.Length;
        for (int i = 0; i < n; i++)
        {
            int at = GraphLayout.HeaderWords + (i * GraphLayout.TaskWords);
            (ProgramHandle program, uint r0, uint r1, uint r2, uint r3) = _tasks[i];
            words[at] = program.Id;
            words[at + 1] = r0;
            words[at + 2] = r1;
            words[at + 3] = r2;
            words[at + 4] = r3;
            words[at + GraphLayout.PendingWord] = (uint)pending[i];
            words[at + GraphLayout.FirstSuccessorWord] = (uint)firstSuccessor[i];
            words[at + GraphLayout.SuccessorCountWord] = (uint)successorCount[i];
        }

        list.CopyTo(words, GraphLayout.HeaderWords + (n * GraphLayout.TaskWords));
        stateStart = (int)GraphLayout.StateOffset(n, list.Length);
        int counters = stateStart + GraphLayout.StateHeaderWords;
        int queue = counters + n;
        int roots = 0;
        words.AsSpan(queue, n).Fill(GraphLayout.Empty);
        for (int i = 0; i < n; i++)
        {
            words[counters + i] = (uint)pending[i];
            if (pending[i] == 0)
            {
                words[queue + roots++] = (uint)i;
            }
        }

        words[stateStart + GraphLayout.Tail] = (uint)roots;
        return words;
    }

    private static void CheckAcyclic(int[] pending, int[] firstSuccessor, int[] successorCount, uint[] list)
    {
        int[] left = (int[])pending.Clone();
        var ready = new Stack<int>();
        for (int i = 0; i < left.Length; i++)
        {
            if (left[i] == 0)
            {
                ready.Push(i);
            }
        }

        int ended = 0;
        while (ready.Count > 0)
        {
            int task = ready.Pop();
            ended++;
            for (int k = 0; k < successorCount[task]; k++)
            {
                int next = (int)list[firstSuccessor[task] + k];
                if (--left[next] == 0)
                {
                    ready.Push(next);
                }
            }
        }

        if (ended != left.Length)
        {
            int stuck = Array.FindIndex(left, c => c > 0);
            throw new InvalidOperationException($"The dependencies form a cycle (task {stuck} is on one or waits for one), so the graph could never end. Fix: remove a dependency of the cycle.");
        }
    }
}

/// <summary>A task graph loaded into one megakernel (<see cref="MegakernelHost.LoadGraph"/>).</summary>
/// <param name="Id">The graph's entry in the device's program table.</param>
/// <param name="TaskCount">Its number of tasks.</param>
public readonly record struct GraphHandle(uint Id, int TaskCount);

/// <summary>How a run of a task graph ended (<see cref="MegakernelHost.RunGraph"/>).</summary>
/// <param name="TasksRun">Tasks that ended (all of them when <see cref="Fault"/> is <see cref="FaultCode.None"/>).</param>
/// <param name="Fault">The fault that stopped the run, or <see cref="FaultCode.None"/>.</param>
/// <param name="FaultTask">The task that faulted (with <see cref="Fault"/>), else -1.</param>
public readonly record struct GraphRun(int TasksRun, FaultCode Fault, int FaultTask)
{
    /// <summary>Whether every task ended without a fault.</summary>
    public bool Succeeded => Fault == FaultCode.None;
}
