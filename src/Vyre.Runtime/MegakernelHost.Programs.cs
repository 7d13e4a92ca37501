using System;
using System.Collections.Frozen;
using System.Collections.Generic;
using System.Threading;
using Vyre.Backends;
using Vyre.Internals;
using Vyre.Programs;

namespace Vyre;

/// <summary>VIR0 programs: loading them into the device's program area (docs/vir0.md).</summary>
public sealed unsafe partial class MegakernelHost
{
    private readonly Lock _programLock = new();
    private readonly Dictionary<(string Digest, uint Tenant), ProgramHandle> _programs = [];
    private int _programWordsUsed;
    private FrozenDictionary<string, uint>? _handlerOpcodes;

    /// <summary>The megakernel's handlers and heap built-ins by name (what <see cref="Vir0Text.Parse"/> resolves <c>call</c> names with).</summary>
    public IReadOnlyDictionary<string, uint> HandlerOpcodes => _handlerOpcodes ??= CallableOpcodes();

    /// <summary>Programs loaded so far.</summary>
    public int ProgramCount
    {
        get
        {
            lock (_programLock)
            {
                return _programs.Count;
            }
        }
    }

    /// <summary>
    /// Loads <paramref name="program"/> into the device's program area for <paramref name="tenant"/> (0: the host's own)
    /// and returns its handle; run it with <see cref="ProgramHandle.Exec"/>. Checks that every call names a handler or
    /// heap built-in of this megakernel and, for a tenant, one its permissions allow now (the device checks again on
    /// every call, so permissions taken away later still hold). A program already loaded for the tenant (same digest)
    /// is not copied again: the same handle comes back. Programs stay loaded until the host stops.
    /// </summary>
    /// <exception cref="ArgumentException">A call names an opcode this megakernel lacks or the tenant may not run.</exception>
    /// <exception cref="InvalidOperationException">EXEC is off, or the program area or table is full.</exception>
    public ProgramHandle LoadProgram(Vir0Program program, uint tenant = 0)
    {
        ArgumentNullException.ThrowIfNull(program);
        using CallScope call = EnterCall();
        if (tenant > ControlWord.TenantCount)
        {
            throw new ArgumentOutOfRangeException(nameof(tenant), $"Tenant {tenant} does not exist (0..{ControlWord.TenantCount}). Fix: load the program for the tenant whose slots run it.");
        }

        if (_backend.ProgramWords == 0)
        {
            throw new InvalidOperationException("EXEC is off for this host: MegakernelOptions.ProgramWords is 0. Fix: start the host with ProgramWords above 0 (default 65,536).");
        }

        CheckCalls(program, tenant);
        lock (_programLock)
        {
            if (_programs.TryGetValue((program.Digest, tenant), out ProgramHandle loaded))
            {
                return loaded;
            }

            uint id = Place(program.Words, tenant, Vir0Format.ProgramKind, out _);
            var handle = new ProgramHandle(id, program.Digest, tenant);
            _programs.Add((program.Digest, tenant), handle);
            return handle;
        }
    }

    /// <summary>Words a program's start is aligned to: one 128-byte cache line.</summary>
    private const int ProgramAlignment = 32;

    /// <summary>
    /// Copies <paramref name="words"/> into the program area and writes its table entry; returns the id. The words first,
    /// then the entry: the device reads the entry with a volatile load and trusts the words behind it only as far as its
    /// own checks go. Everything starts on a fresh 128-byte line, so no device cache holds a stale copy of a line it uses.
    /// Under <see cref="_programLock"/>.
    /// </summary>
    private uint Place(ReadOnlySpan<uint> words, uint tenant, uint kind, out int at)
    {
        if (_programs.Count + _graphs.Count >= Vir0Format.MaxPrograms)
        {
            throw new InvalidOperationException($"{Vir0Format.MaxPrograms} programs and graphs are loaded, the most one megakernel holds. Fix: load fewer distinct ones (the same program twice costs nothing).");
        }

        int room = _backend.ProgramWords - Vir0Format.TableWords;
        int offset = _programWordsUsed;
        long taken = ((long)words.Length + ProgramAlignment - 1) / ProgramAlignment * ProgramAlignment;
        if (offset + taken > room)
        {
            throw new InvalidOperationException($"The program area is full: {offset} of {room} words are taken and this needs {taken}. Fix: raise MegakernelOptions.ProgramWords.");
        }

        uint id = (uint)(_programs.Count + _graphs.Count);
        at = Vir0Format.TableWords + offset;
        WriteDevice(DeviceRegion.Programs, at, words);
        WriteDevice(DeviceRegion.Programs, (int)id * Vir0Format.TableEntryWords, [(uint)at, (uint)words.Length, tenant, kind]);
        _programWordsUsed = offset + (int)taken;
        return id;
    }

    private void CheckCalls(Vir0Program program, uint tenant)
    {
        var callable = new HashSet<uint>(HandlerOpcodes.Values);
        uint mask = tenant == 0 ? 0 : Volatile.Read(ref _backend.Control[ControlWord.TenantMaskFirst + (int)tenant - 1]);
        foreach ((int instruction, uint opcode) in program.Calls())
        {
            if (!callable.Contains(opcode))
            {
                throw new ArgumentException($"Instruction {instruction} calls opcode 0x{opcode:X}, which {Name} has no lane handler or heap built-in for (a warp-wide handler cannot be called from a program). Fix: call one of the opcodes in MegakernelHost.HandlerOpcodes.", nameof(program));
            }

            if (tenant != 0 && !SlotExecutor.IsAuthorized(mask, tenant, opcode))
            {
                throw new ArgumentException($"Instruction {instruction} calls opcode 0x{opcode:X}, which tenant {tenant} may not run under its permissions. Fix: grant them with SetTenantPermissions first, or load the program for another tenant.", nameof(program));
            }
        }
    }

    private FrozenDictionary<string, uint> CallableOpcodes()
    {
        var opcodes = new Dictionary<string, uint>(StringComparer.Ordinal);
        foreach (ProgramNode node in Definition.Template.Nodes)
        {
            // A warp-wide handler is left out: a program runs on one lane (a call of it faults Unsupported on the device).
            bool heapBuiltin = node.Kind == ProgramNodeKind.CallBuiltin && node.Operand is >= Opcodes.Nop and <= Opcodes.DfaStep;
            if ((node.Kind == ProgramNodeKind.CallHandler && !_isGroupOpcode(node.Operand)) || heapBuiltin)
            {
                opcodes.TryAdd(node.Label, node.Operand);
            }
        }

        return opcodes.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
