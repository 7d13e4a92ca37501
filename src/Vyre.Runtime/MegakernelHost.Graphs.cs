using System;
using System.Collections.Generic;
using Vyre.Backends;
using Vyre.Internals;
using Vyre.Programs;

namespace Vyre;

/// <summary>Task graphs: loading them into the program area and running them on the device (docs/vir0.md, "Task graphs").</summary>
public sealed unsafe partial class MegakernelHost
{
    private readonly Dictionary<uint, LoadedGraph> _graphs = [];

    /// <summary>
    /// Loads <paramref name="graph"/> into the device's program area and returns its handle. Every task's program must be
    /// loaded in this host (for tenant 0); the dependencies must not form a cycle.
    /// </summary>
    /// <exception cref="ArgumentException">A task names a program this host did not load.</exception>
    /// <exception cref="InvalidOperationException">EXEC is off, the graph is empty or has a cycle, or the program area or table is full.</exception>
    public GraphHandle LoadGraph(TaskGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        using CallScope call = EnterCall();
        if (_backend.ProgramWords == 0)
        {
            throw new InvalidOperationException("EXEC is off for this host: MegakernelOptions.ProgramWords is 0. Fix: start the host with ProgramWords above 0 (default 65,536).");
        }

        uint[] words = graph.Encode(out int stateStart);
        lock (_programLock)
        {
            foreach (ProgramHandle program in graph.Programs())
            {
                if (!_programs.TryGetValue((program.Digest, 0), out ProgramHandle loaded) || loaded != program)
                {
                    throw new ArgumentException($"A task runs program {program.Id} ({program.Digest[..12]}…), which this host did not load. Fix: load it with this host's LoadProgram and use the handle it returns.", nameof(graph));
                }
            }

            uint id = Place(words, 0, Vir0Format.GraphKind, out int at);
            _graphs.Add(id, new LoadedGraph(at, graph.TaskCount, words[stateStart..], stateStart));
            return new GraphHandle(id, graph.TaskCount);
        }
    }

    /// <summary>
    /// Runs <paramref name="graph"/> once on the device: resets its state, publishes <paramref name="workers"/> worker slots
    /// (0: as many as the graph has tasks, at most 256 and half the ring), and waits until every task has ended or one
    /// faulted. Between tasks nothing goes through the host. One run of a graph at a time.
    /// </summary>
    /// <exception cref="ArgumentException">The handle is not of this host.</exception>
    /// <exception cref="InvalidOperationException">The graph is already running (or a run of it timed out: its workers may still be on the device, so it stays busy; load it again).</exception>
    /// <exception cref="TimeoutException">The run did not end within <see cref="MegakernelOptions.WaitTimeout"/>.</exception>
    public GraphRun RunGraph(GraphHandle graph, int workers = 0)
    {
        LoadedGraph loaded;
        lock (_programLock)
        {
            if (!_graphs.TryGetValue(graph.Id, out loaded!) || loaded.Tasks != graph.TaskCount)
            {
                throw new ArgumentException($"Graph {graph.Id} was not loaded by this host. Fix: use the handle this host's LoadGraph returned.", nameof(graph));
            }

            if (loaded.Running)
            {
                throw new InvalidOperationException($"Graph {graph.Id} is running already (or an earlier run of it did not end in time, and its workers may still be on the device); a graph's state is one run's. Fix: wait for that run, or load the graph again to run it again at once.");
            }

            loaded.Running = true;
        }

        bool ended = false;
        try
        {
            int most = Math.Max(1, Math.Min(256, SlotCount / 2));
            if (workers < 0 || workers > most)
            {
                ended = true; // Nothing was published.
                throw new ArgumentOutOfRangeException(nameof(workers), workers, $"Workers are 0 (choose) or 1..{most} (at most 256 and half the ring). Fix: give a count in that range.");
            }

            int count = workers == 0 ? Math.Min(loaded.Tasks, most) : workers;
            using (EnterCall())
            {
                WriteDevice(DeviceRegion.Programs, loaded.Offset + loaded.StateStart, loaded.ResetState);
            }

            var requests = new SlotRequest[count];
            Array.Fill(requests, new SlotRequest(Opcodes.GraphWorker, graph.Id));
            var results = new SlotResult[count];
            WaitBatch(PublishBatch(requests), results);
            ended = true;
            FaultCode fault = FaultCode.None;
            int faultTask = -1;
            foreach (SlotResult result in results)
            {
                if (!result.IsDone && fault == FaultCode.None)
                {
                    // The worker whose task faulted says which; a worker cut short by a stopping kernel names none.
                    fault = result.Fault;
                    faultTask = fault == FaultCode.FuelExhausted ? -1 : (int)result.FaultDetail;
                }
            }

            // The device's count of ended tasks (a faulted worker's slot cannot say how many it ran before).
            Span<uint> done = stackalloc uint[1];
            using (EnterCall())
            {
                ReadDevice(DeviceRegion.Programs, loaded.Offset + loaded.StateStart + GraphLayout.Done, done);
            }

            return new GraphRun((int)done[0], fault, faultTask);
        }
        finally
        {
            // A run whose workers may still be on the device (the wait timed out, or failed) keeps its graph busy: a new run
            // would reset the state under them. Such a graph is loaded again to run again.
            if (ended)
            {
                lock (_programLock)
                {
                    loaded.Running = false;
                }
            }
        }
    }

    /// <summary>Where a loaded graph is, and the words that reset its run state.</summary>
    private sealed class LoadedGraph(int offset, int tasks, uint[] resetState, int stateStart)
    {
        public int Offset { get; } = offset;

        public int Tasks { get; } = tasks;

        public uint[] ResetState { get; } = resetState;

        public int StateStart { get; } = stateStart;

        public bool Running { get; set; }
    }
}
