using ILGPU;
using Vyre.Programs;

namespace Vyre.Internals;

/// <summary>
/// GRAPH_WORKER: one worker of a task-graph run (docs/vir0.md, "Task graphs"). The host resets the graph's run state
/// (counters, a queue holding the tasks with no predecessors) and publishes some worker slots; each worker takes a
/// ticket (the next queue position), waits for the task put there, runs each task's program, and for each successor counts one predecessor down; a
/// successor whose count reaches zero is put on the queue by the worker that ended its last predecessor. No host round
/// trip between tasks: the host hears from the workers when the graph has ended (or a task faulted). Every word of the
/// graph is checked before use, as for programs.
/// </summary>
internal static class TaskGraphRunner
{
    /// <summary>Polls between reads of the fault word and the host's stop words while a worker waits for a ready task.</summary>
    private const int PollsPerStopCheck = 64;

    public static void Run<TDispatcher>(MegakernelBuffers buffers, ref SlotContext slot, uint tenant)
        where TDispatcher : struct, IMegakernelDispatcher
    {
        SharedWords area = buffers.Programs;
        uint id = slot.Arg(0);
        if (area.Length <= Vir0Format.TableWords)
        {
            slot.Fail(FaultCode.Unsupported, Opcodes.GraphWorker);
            return;
        }

        if (tenant != 0)
        {
            slot.Fail(FaultCode.UnauthorizedTenant, tenant); // Graphs are the host's own.
            return;
        }

        if (id >= Vir0Format.MaxPrograms)
        {
            slot.Fail(FaultCode.BadArgument, id);
            return;
        }

        int entry = (int)id * Vir0Format.TableEntryWords;
        uint offset = area.Read(entry);
        uint length = area.Read(entry + 1);
        if (length == 0 || area.Read(entry + 3) != Vir0Format.GraphKind || offset < Vir0Format.TableWords || (ulong)offset + length > (ulong)area.Length)
        {
            slot.Fail(FaultCode.BadArgument, id);
            return;
        }

        int graph = (int)offset;
        uint tasks = area.Read(graph + 1);
        uint successors = area.Read(graph + 2);
        if (area.Read(graph) != GraphLayout.Magic || tasks - 1 >= GraphLayout.MaxTasks || successors > GraphLayout.MaxSuccessors
            || GraphLayout.Length(tasks, successors) != length)
        {
            slot.Fail(FaultCode.BadArgument, id);
            return;
        }

        int records = graph + GraphLayout.HeaderWords;
        int list = records + ((int)tasks * GraphLayout.TaskWords);
        int state = graph + (int)GraphLayout.StateOffset(tasks, successors);
        int pending = state + GraphLayout.StateHeaderWords;
        int queue = pending + (int)tasks;
        uint ran = 0;
        int polls = 0;
        while (true)
        {
            // A ticket queue: each worker takes the next queue position with one atomic and waits on that position alone,
            // so waiting workers do not all compete for one word. Exactly one task is put at each position below the task
            // count, so a ticket past it means every task has been taken.
            uint head = Atomic.Add(ref area.View[state + GraphLayout.Head], 1u);
            if (head >= tasks)
            {
                break;
            }

            // The pusher takes the position before it writes the task: wait for the word.
            uint task;
            while ((task = area.Read(queue + (int)head)) == GraphLayout.Empty)
            {
                MegakernelLoop.IdlePause();
                if (++polls % PollsPerStopCheck == 0)
                {
                    if (area.Read(state + GraphLayout.Fault) != 0)
                    {
                        slot.SetResult(0, ran); // Another worker's task faulted: the run is over.
                        return;
                    }

                    if (Stopping(buffers))
                    {
                        slot.Fail(FaultCode.FuelExhausted, ran); // The kernel is stopping: the run is cut short.
                        return;
                    }
                }
            }

            MemoryFence.DeviceLevel(); // What the task's predecessors wrote is seen before it runs.
            if (task >= tasks)
            {
                Abandon(area, state, ref slot, FaultCode.BadArgument, task);
                return;
            }

            int record = records + ((int)task * GraphLayout.TaskWords);
            bool ended = ProgramInterpreter.RunTask<TDispatcher>(
                buffers, ref slot, area.ReadClaimed(record), area.ReadClaimed(record + 1), area.ReadClaimed(record + 2), area.ReadClaimed(record + 3), area.ReadClaimed(record + 4));
            if (!ended)
            {
                // The task's fault stays on this slot; its detail becomes the task (the instruction is lost).
                FaultCode code = slot.Fault;
                slot.ClearFault();
                Abandon(area, state, ref slot, code, task);
                return;
            }

            MemoryFence.DeviceLevel(); // What the task wrote is seen before any successor can be taken.
            uint first = area.ReadClaimed(record + GraphLayout.FirstSuccessorWord);
            uint count = area.ReadClaimed(record + GraphLayout.SuccessorCountWord);
            if ((ulong)first + count > successors)
            {
                Abandon(area, state, ref slot, FaultCode.BadArgument, task);
                return;
            }

            for (uint k = 0; k < count; k++)
            {
                uint next = area.ReadClaimed(list + (int)(first + k));
                if (next >= tasks)
                {
                    Abandon(area, state, ref slot, FaultCode.BadArgument, task);
                    return;
                }

                if (Atomic.Add(ref area.View[pending + (int)next], uint.MaxValue) == 1)
                {
                    uint at = Atomic.Add(ref area.View[state + GraphLayout.Tail], 1u);
                    if (at >= tasks)
                    {
                        Abandon(area, state, ref slot, FaultCode.BadArgument, task);
                        return;
                    }

                    area.Write(queue + (int)at, next);
                    MemoryFence.DeviceLevel();
                }
            }

            Atomic.Add(ref area.View[state + GraphLayout.Done], 1u);
            ran++;
        }

        slot.SetResult(0, ran);
    }

    /// <summary>Whether the kernel is asked to stop (its stop word, or the host's shutdown word).</summary>
    private static bool Stopping(in MegakernelBuffers buffers) =>
        buffers.State.Read(DeviceStateWord.Stop) != 0 || buffers.Control.Read(ControlWord.Shutdown) != 0;

    /// <summary>Records <paramref name="code"/> with <paramref name="detail"/> on this worker and tells every other worker to stop.</summary>
    private static void Abandon(SharedWords area, int state, ref SlotContext slot, FaultCode code, uint detail)
    {
        slot.Fail(code, detail);
        Atomic.CompareExchange(ref area.View[state + GraphLayout.Fault], 0u, detail + 1);
        MemoryFence.DeviceLevel();
    }
}
