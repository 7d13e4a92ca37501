using System;
using System.Linq;
using System.Threading.Tasks;
using NUnit.Framework;
using Vyre.Backends;
using Vyre.Programs;

namespace Vyre.Runtime.Tests;

/// <summary>
/// EXEC and VIR0 programs on every backend: results against a plain C# evaluation, faults with the instruction's index,
/// fuel, yield and resume, tenants, the program cache, and a program area the device must not trust.
/// </summary>
public abstract class ProgramSuite
{
    private MegakernelHost _host = null!;

    /// <summary>Options that select the backend under test.</summary>
    protected abstract MegakernelOptions Options();

    /// <summary>Random programs <see cref="Random_programs_give_what_plain_CSharp_gives"/> runs.</summary>
    protected virtual int RandomPrograms => 200;

    /// <summary>Called before the fixture starts: Assert.Ignore when the backend is not present.</summary>
    protected virtual void RequireBackend()
    {
    }

    [OneTimeSetUp]
    public async Task StartHost()
    {
        RequireBackend();
        _host = await TestKernels.StartAsync(Options());
    }

    [OneTimeTearDown]
    public async Task StopHost()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    /// <summary>r0 = r0 + r1 increments, by 1,000 dependent handler calls in one slot.</summary>
    internal static Vir0Program Chain(uint fuel = 10_000)
    {
        var b = new Vir0Builder(fuel);
        Vir0Label top = b.Label();
        b.Mark(top);
        b.Call(TestKernels.Opcodes.Increment, firstRegister: 0, count: 1);
        b.Loop(1, top);
        b.Halt();
        return b.Build();
    }

    [Test]
    public void A_chain_of_dependent_calls_runs_in_one_slot()
    {
        ProgramHandle chain = _host.LoadProgram(Chain());
        SlotResult slot = _host.Submit(chain.Exec(5, 1000));
        ProgramResult result = ProgramResult.Of(slot);
        Assert.That((result.End, result.Pc, result.Register(0), result.Register(1)), Is.EqualTo((Vir0End.Halted, 2u, 1005u, 0u)));
    }

    [Test]
    public void Random_programs_give_what_plain_CSharp_gives()
    {
        var random = new Random(20261201);
        for (int n = 0; n < RandomPrograms; n++)
        {
            (Vir0Program program, uint[] inputs) = Vir0Reference.RandomProgram(random);
            ProgramHandle handle = _host.LoadProgram(program);
            SlotResult slot = _host.Submit(handle.Exec(inputs));
            Vir0Reference.Outcome expected = Vir0Reference.Run(program, inputs);
            Assert.That(slot.State, Is.EqualTo(expected.Fault == FaultCode.None ? SlotState.Done : SlotState.Fault), $"program {n}:\n{Vir0Text.Format(program)}");
            if (expected.Fault != FaultCode.None)
            {
                Assert.That((slot.Fault, slot.FaultDetail), Is.EqualTo((expected.Fault, expected.Pc)), $"program {n}:\n{Vir0Text.Format(program)}");
                continue;
            }

            ProgramResult result = ProgramResult.Of(slot);
            Assert.That((result.End, result.Pc), Is.EqualTo((expected.End, expected.Pc)), $"program {n}");
            Assert.That(Enumerable.Range(0, expected.Carried).Select(result.Register), Is.EqualTo(expected.Registers.Take(expected.Carried)), $"program {n}:\n{Vir0Text.Format(program)}");
        }
    }

    [Test]
    public void Many_programs_in_flight_keep_their_registers_apart()
    {
        ProgramHandle chain = _host.LoadProgram(Chain());
        SlotRequest[] requests = [.. Enumerable.Range(0, 256).Select(i => chain.Exec((uint)i * 1000, (uint)(i % 50) + 1))];
        var results = new SlotResult[requests.Length];
        _host.WaitBatch(_host.PublishBatch(requests), results);
        for (int i = 0; i < results.Length; i++)
        {
            Assert.That(ProgramResult.Of(results[i]).Register(0), Is.EqualTo(((uint)i * 1000) + (uint)(i % 50) + 1), $"slot {i}");
        }
    }

    [Test]
    public void Fuel_bounds_a_run_that_never_ends()
    {
        ProgramHandle spin = _host.LoadProgram(Vir0Text.Parse(".fuel 5000\nagain: addi r0, r0, 1\n jmp again\n"));
        SlotResult slot = _host.Submit(spin.Exec());
        Assert.That((slot.State, slot.Fault), Is.EqualTo((SlotState.Fault, FaultCode.FuelExhausted)));
        Assert.That(slot.FaultDetail, Is.LessThan(2u), "the instruction it stopped at");
    }

    [Test]
    public void A_run_past_the_last_instruction_faults_at_that_instruction()
    {
        // The words after a program are another program's or zero (which reads as halt): neither may run.
        ProgramHandle straight = _host.LoadProgram(Vir0Text.Parse(".fuel 100\nmovi r0, 7\naddi r0, r0, 1\n"));
        SlotResult slot = _host.Submit(straight.Exec());
        Assert.That((slot.State, slot.Fault, slot.FaultDetail), Is.EqualTo((SlotState.Fault, FaultCode.BadArgument, 1u)));

        ProgramHandle looped = _host.LoadProgram(Vir0Text.Parse(".fuel 100\ntop: addi r0, r0, 1\nloop r1, top\n"));
        SlotResult after = _host.Submit(looped.Exec(0, 3));
        Assert.That((after.State, after.Fault, after.FaultDetail), Is.EqualTo((SlotState.Fault, FaultCode.BadArgument, 1u)), "a loop that ends falls through");
    }

    [Test]
    public void A_faulting_handler_ends_the_program_with_the_instruction_index()
    {
        ProgramHandle program = _host.LoadProgram(Vir0Text.Parse($".fuel 100\nmovi r0, 7\nmovi r1, 1\ncall {TestKernels.Opcodes.Reject}, r0, 1\nhalt\n"));
        SlotResult slot = _host.Submit(program.Exec());
        Assert.That((slot.State, slot.Fault, slot.FaultDetail), Is.EqualTo((SlotState.Fault, FaultCode.HandlerFault, 2u)));

        ProgramHandle outside = _host.LoadProgram(Vir0Text.Parse($".fuel 100\nmovi r0, 5\ncall {TestKernels.Opcodes.ArgOutOfRange}, r0, 1\nhalt\n"));
        SlotResult bounds = _host.Submit(outside.Exec());
        Assert.That((bounds.Fault, bounds.FaultDetail), Is.EqualTo((FaultCode.OutOfBounds, 1u)), "argument 5 of a one-argument call is out of bounds");

        ProgramHandle io = _host.LoadProgram(Vir0Text.Parse($".fuel 100\ncall {TestKernels.Opcodes.WaitForNothing}, r0, 0\nhalt\n"));
        SlotResult waits = _host.Submit(io.Exec());
        Assert.That((waits.Fault, waits.FaultDetail), Is.EqualTo((FaultCode.BadArgument, 0u)), "a program cannot wait for io");
    }

    [Test]
    public void The_next_slot_on_a_faulted_ring_slot_starts_clean()
    {
        ProgramHandle reject = _host.LoadProgram(Vir0Text.Parse($".fuel 10\ncall {TestKernels.Opcodes.Reject}, r0, 1\nhalt\n"));
        ProgramHandle chain = _host.LoadProgram(Chain());
        for (int i = 0; i < 2 * _host.SlotCount; i++)
        {
            SlotResult slot = _host.Submit(i % 2 == 0 ? reject.Exec(1) : chain.Exec(0, 3));
            Assert.That(slot.State, Is.EqualTo(i % 2 == 0 ? SlotState.Fault : SlotState.Done), $"slot {i}");
        }
    }

    [Test]
    public void Heap_built_ins_are_callable()
    {
        string text = $".fuel 100\nmovi r0, 40\nmovi r1, 0xCAFE\ncall {Opcodes.StoreU32}, r0, 2\nmovi r2, 40\ncall {Opcodes.LoadU32}, r2, 1\nhalt\n";
        ProgramHandle program = _host.LoadProgram(Vir0Text.Parse(text, _host.HandlerOpcodes));
        Assert.That(ProgramResult.Of(_host.Submit(program.Exec())).Register(2), Is.EqualTo(0xCAFEu));
    }

    [Test]
    public void Calls_may_name_handlers_in_the_text_form()
    {
        ProgramHandle program = _host.LoadProgram(Vir0Text.Parse(".fuel 10\ncall Increment, r3, 1\nhalt\n", _host.HandlerOpcodes));
        Assert.That(ProgramResult.Of(_host.Submit(program.Exec(0, 0, 0, 41))).Register(3), Is.EqualTo(42u));
    }

    [Test]
    public void A_yielded_run_resumes_where_it_stopped()
    {
        var b = new Vir0Builder(fuel: 100);
        Vir0Label top = b.Label();
        b.Mark(top);
        b.AddI(0, 0, 1);
        b.Yield();
        b.Loop(1, top);
        b.Halt();
        ProgramHandle handle = _host.LoadProgram(b.Build());
        SlotResult slot = _host.Submit(handle.Exec(0, 4));
        int runs = 1;
        while (ProgramResult.Of(slot).End == Vir0End.Yielded)
        {
            slot = _host.Submit(handle.Resume(slot));
            runs++;
        }

        Assert.That((runs, ProgramResult.Of(slot).Register(0)), Is.EqualTo((5, 4u)), "four yields, then the halt");
    }

    [Test]
    public void The_same_program_is_loaded_once()
    {
        Vir0Program program = Vir0Text.Parse(".fuel 3\nmovi r9, 99\nhalt\n");
        ProgramHandle first = _host.LoadProgram(program);
        int count = _host.ProgramCount;
        ProgramHandle again = _host.LoadProgram(Vir0Program.Decode(program.ToBytes()));
        Assert.That((again, _host.ProgramCount), Is.EqualTo((first, count)));
        Assert.That(ProgramResult.Of(_host.Submit(again.Exec())).Register(9), Is.EqualTo(99u));
    }

    [Test]
    public void Exec_refuses_ids_with_no_program()
    {
        SlotResult unknown = _host.Submit(Opcodes.Exec, Vir0Format.MaxPrograms - 1);
        Assert.That((unknown.Fault, unknown.FaultDetail), Is.EqualTo((FaultCode.BadArgument, (uint)Vir0Format.MaxPrograms - 1)));
        SlotResult past = _host.Submit(Opcodes.Exec, uint.MaxValue);
        Assert.That((past.Fault, past.FaultDetail), Is.EqualTo((FaultCode.BadArgument, uint.MaxValue)));
        ProgramHandle chain = _host.LoadProgram(Chain());
        SlotResult entry = _host.Submit(Opcodes.Exec, chain.Id, 3);
        Assert.That((entry.Fault, entry.FaultDetail), Is.EqualTo((FaultCode.BadArgument, 3u)), "entry past the program's three instructions");
    }

    [Test]
    public void A_program_calls_only_what_its_megakernel_has()
    {
        Vir0Program foreign = Vir0Text.Parse(".fuel 10\ncall 0x7777, r0, 1\nhalt\n");
        Assert.That(() => _host.LoadProgram(foreign), Throws.ArgumentException.With.Message.Contains("0x7777").And.Message.Contains("Fix:"));
    }

    [Test]
    public void Tenants_run_only_their_programs_and_opcodes()
    {
        _host.SetTenantPermissions(4, TenantPermissions.User | TenantPermissions.System);
        string text = $".fuel 10\nmovi r0, 60\nmovi r1, 1\ncall {Opcodes.StoreU32}, r0, 2\ncall {TestKernels.Opcodes.Increment}, r1, 1\nhalt\n";
        ProgramHandle owned = _host.LoadProgram(Vir0Text.Parse(text), tenant: 4);
        Assert.That(ProgramResult.Of(_host.Submit(owned.Exec())).Register(1), Is.EqualTo(2u), "tenant 4 runs its own program");

        ProgramHandle hosts = _host.LoadProgram(Chain());
        SlotResult other = _host.Submit(hosts.Exec(1, 2) with { Tenant = 4 });
        Assert.That(other.Fault, Is.EqualTo(FaultCode.UnauthorizedTenant), "the host's program is not tenant 4's");

        _host.SetTenantPermissions(4, TenantPermissions.User);
        SlotResult revoked = _host.Submit(owned.Exec());
        Assert.That((revoked.Fault, revoked.FaultDetail), Is.EqualTo((FaultCode.UnauthorizedTenant, 2u)), "the device checks each call against the permissions of now: StoreU32 needs System");
        Assert.That(() => _host.LoadProgram(Vir0Text.Parse(text + "; again\n"), tenant: 4), Throws.ArgumentException.With.Message.Contains("tenant 4"));

        _host.SetTenantPermissions(4, TenantPermissions.OwnWindow);
        SlotResult none = _host.Submit(owned.Exec());
        Assert.That((none.Fault, none.FaultDetail), Is.EqualTo((FaultCode.UnauthorizedTenant, 4u)), "EXEC itself needs User");
    }

    /// <summary>heap[r2] = max(heap[r0], heap[r1]) + 1: a task whose value says how deep it is, if its predecessors ran first.</summary>
    private const string DeeperThanPredecessors = """
        .fuel 100
            call LoadU32, r0, 1
            call LoadU32, r1, 1
            ltu r3, r0, r1
            jz r3, keep
            mov r0, r1
        keep:
            addi r5, r0, 1
            mov r4, r2
            call StoreU32, r4, 2
            halt
        """;

    [Test]
    public void A_task_graph_runs_every_task_after_its_predecessors()
    {
        ProgramHandle deeper = _host.LoadProgram(Vir0Text.Parse(DeeperThanPredecessors, _host.HandlerOpcodes));
        const uint Zero = 9_000, Cells = 10_000;
        (int layers, int width) = GraphShape;
        var graph = new TaskGraph();
        var random = new Random(11);
        for (int l = 0; l < layers; l++)
        {
            for (int i = 0; i < width; i++)
            {
                uint own = Cells + (uint)((l * width) + i);
                if (l == 0)
                {
                    graph.AddTask(deeper, Zero, Zero, own);
                    continue;
                }

                int a = random.Next(width), b = (a + 1 + random.Next(width - 1)) % width;
                int task = graph.AddTask(deeper, Cells + (uint)(((l - 1) * width) + a), Cells + (uint)(((l - 1) * width) + b), own);
                graph.AddDependency(((l - 1) * width) + a, task);
                graph.AddDependency(((l - 1) * width) + b, task);
            }
        }

        GraphHandle handle = _host.LoadGraph(graph);
        for (int run = 0; run < 2; run++)
        {
            _host.WriteHeap((int)Cells, new uint[layers * width]);
            GraphRun result = _host.RunGraph(handle);
            Assert.That(result, Is.EqualTo(new GraphRun(layers * width, FaultCode.None, -1)), $"run {run}");
            uint[] cells = new uint[layers * width];
            _host.ReadHeap((int)Cells, cells);
            Assert.That(cells, Is.EqualTo(Enumerable.Range(0, layers * width).Select(t => (uint)(t / width) + 1).ToArray()), $"run {run}: every task one deeper than its deepest predecessor");
        }
    }

    /// <summary>Layers and tasks per layer of the graph test.</summary>
    protected virtual (int Layers, int Width) GraphShape => (20, 50);

    [Test]
    public void A_faulting_task_stops_the_graph_and_is_named()
    {
        ProgramHandle increment = _host.LoadProgram(Chain());
        ProgramHandle reject = _host.LoadProgram(Vir0Text.Parse($".fuel 10\ncall {TestKernels.Opcodes.Reject}, r0, 1\nhalt\n"));
        var graph = new TaskGraph();
        for (int i = 0; i < 30; i++)
        {
            graph.AddTask(i == 12 ? reject : increment, 0, 1);
            if (i > 0)
            {
                graph.AddDependency(i - 1, i);
            }
        }

        GraphRun run = _host.RunGraph(_host.LoadGraph(graph), workers: 4);
        Assert.That((run.Fault, run.FaultTask, run.TasksRun), Is.EqualTo((FaultCode.HandlerFault, 12, 12)), "the chain ends at task 12, which faulted");
    }

    [Test]
    public void Graphs_are_checked_on_the_host_and_on_the_device()
    {
        ProgramHandle chain = _host.LoadProgram(Chain());
        var cycle = new TaskGraph();
        cycle.AddTask(chain);
        cycle.AddTask(chain);
        cycle.AddTask(chain);
        cycle.AddDependency(0, 1);
        cycle.AddDependency(1, 2);
        cycle.AddDependency(2, 1);
        Assert.That(() => _host.LoadGraph(cycle), Throws.InvalidOperationException.With.Message.Contains("cycle").And.Message.Contains("Fix:"));
        Assert.That(() => cycle.AddDependency(0, 7), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => cycle.AddTask(chain, 1, 2, 3, 4, 5), Throws.ArgumentException);

        var foreign = new TaskGraph();
        foreign.AddTask(new ProgramHandle(chain.Id, new string('0', 64), 0));
        Assert.That(() => _host.LoadGraph(foreign), Throws.ArgumentException.With.Message.Contains("did not load"));

        var one = new TaskGraph();
        one.AddTask(chain, 1, 1);
        GraphHandle graph = _host.LoadGraph(one);
        Assert.That(() => _host.RunGraph(graph, workers: 100_000), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => _host.RunGraph(new GraphHandle(graph.Id + 1, 1)), Throws.ArgumentException);
        Assert.That(_host.RunGraph(graph), Is.EqualTo(new GraphRun(1, FaultCode.None, -1)));

        // A worker slot naming a program, EXEC naming a graph, ids past the table: refused by the device.
        Assert.That(_host.Submit(Opcodes.GraphWorker, chain.Id).Fault, Is.EqualTo(FaultCode.BadArgument));
        Assert.That(_host.Submit(Opcodes.Exec, graph.Id).Fault, Is.EqualTo(FaultCode.BadArgument));
        Assert.That(_host.Submit(Opcodes.GraphWorker, uint.MaxValue).Fault, Is.EqualTo(FaultCode.BadArgument));
    }

    [Test]
    public void A_damaged_program_area_faults_slots_and_harms_nothing_else()
    {
        ProgramHandle chain = _host.LoadProgram(Chain(fuel: 1_000));
        var random = new Random(7);
        uint[] table = new uint[Vir0Format.TableEntryWords];
        var backend = (IMegakernelBackend)typeof(MegakernelHost).GetField("_backend", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(_host)!;
        backend.Read(DeviceRegion.Programs, (int)chain.Id * Vir0Format.TableEntryWords, table);
        uint[] original = new uint[table[1]];
        backend.Read(DeviceRegion.Programs, (int)table[0], original);
        try
        {
            for (int round = 0; round < 300; round++)
            {
                uint[] damaged = (uint[])original.Clone();
                int flips = 1 + random.Next(8);
                for (int f = 0; f < flips; f++)
                {
                    int word = random.Next(damaged.Length);
                    damaged[word] = round % 3 == 0 ? (uint)random.Next() : damaged[word] ^ (1u << random.Next(32));
                }

                backend.Write(DeviceRegion.Programs, (int)table[0], damaged);
                SlotResult slot = _host.Submit(chain.Exec(0, 1 + (uint)random.Next(1000), 0xAAAA, 0xBBBB));
                Assert.That(slot.State, Is.AnyOf(SlotState.Done, SlotState.Fault), $"round {round}");
                Assert.That(_host.Submit(TestKernels.Opcodes.Increment, 41)[0], Is.EqualTo(42u), $"round {round}: the megakernel still serves");
            }
        }
        finally
        {
            backend.Write(DeviceRegion.Programs, (int)table[0], original);
        }

        Assert.That(ProgramResult.Of(_host.Submit(chain.Exec(1, 9))).Register(0), Is.EqualTo(10u));
    }

    [Test]
    public Task Exec_is_off_with_no_program_words() => WithOwnHostAsync(0, host =>
    {
        Assert.That(() => host.LoadProgram(Chain()), Throws.InvalidOperationException.With.Message.Contains("ProgramWords"));
        SlotResult slot = host.Submit(Opcodes.Exec, 0);
        Assert.That((slot.Fault, slot.FaultDetail), Is.EqualTo((FaultCode.Unsupported, Opcodes.Exec)));
    });

    [Test]
    public Task A_full_program_area_says_so() => WithOwnHostAsync(64, host =>
    {
        host.LoadProgram(Chain());
        host.LoadProgram(Chain(fuel: 9));
        Assert.That(() => host.LoadProgram(Chain(fuel: 8)), Throws.InvalidOperationException.With.Message.Contains("MegakernelOptions.ProgramWords"));
    });

    /// <summary>Runs <paramref name="test"/> on a host of its own with <paramref name="programWords"/>; the fixture's host is stopped meanwhile (CUDA runs one resident kernel per process).</summary>
    private async Task WithOwnHostAsync(int programWords, Action<MegakernelHost> test)
    {
        MegakernelOptions options = Options();
        await _host.DisposeAsync();
        try
        {
            await using MegakernelHost host = await TestKernels.StartAsync(new MegakernelOptions
            {
                Backend = options.Backend, SlotCount = 64, DataBytes = 4096, ProgramWords = programWords,
            });
            test(host);
        }
        finally
        {
            _host = await TestKernels.StartAsync(options);
        }
    }
}

[TestFixture]
public sealed class ManagedPrograms : ProgramSuite
{
    protected override MegakernelOptions Options() => BackendOptions.Managed(256);
}

[TestFixture]
public sealed class IlgpuCpuPrograms : ProgramSuite
{
    protected override int RandomPrograms => 60;

    protected override (int Layers, int Width) GraphShape => (6, 12);

    protected override MegakernelOptions Options() => BackendOptions.IlgpuCpu(256);
}

[TestFixture]
[Category("Gpu")]
public sealed class CudaPrograms : ProgramSuite
{
    protected override void RequireBackend() => BackendOptions.RequireCuda();

    protected override MegakernelOptions Options() => BackendOptions.Cuda(256);
}
