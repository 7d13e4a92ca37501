using System;
using System.Collections.Generic;
using Vyre.Programs;

namespace Vyre.Runtime.Tests;

/// <summary>
/// VIR0 as docs/vir0.md specifies it, in plain C#, written apart from the device's interpreter: what a program run must
/// give. Calls are to the test kernel's Increment (r[a] += 1) and Reject (a handler fault) only.
/// </summary>
internal static class Vir0Reference
{
    public sealed record Outcome(FaultCode Fault, uint Pc, Vir0End End, uint[] Registers, int Carried);

    public static Outcome Run(Vir0Program program, uint[] inputs)
    {
        int count = program.Registers;
        uint[] r = new uint[count];
        int carried = Math.Min(count, 10);
        for (int i = 0; i < carried && i < inputs.Length; i++)
        {
            r[i] = inputs[i];
        }

        uint pc = 0;
        for (uint used = 0; used < program.Fuel; used++)
        {
            Vir0Instruction x = program.Instruction((int)pc);
            uint b = r[x.Op == Vir0Op.Call ? 0 : x.B], c = r[x.C];
            uint next = pc + 1;
            switch (x.Op)
            {
                case Vir0Op.Halt: return new(FaultCode.None, pc, Vir0End.Halted, r, carried);
                case Vir0Op.Yield: return new(FaultCode.None, pc + 1, Vir0End.Yielded, r, carried);
                case Vir0Op.Fail: return new(FaultCode.HandlerFault, pc, Vir0End.Halted, r, carried);
                case Vir0Op.MovI: r[x.A] = x.Immediate; break;
                case Vir0Op.Mov: r[x.A] = b; break;
                case Vir0Op.Ldc: r[x.A] = program.Constants[(int)x.Immediate]; break;
                case Vir0Op.Add: r[x.A] = unchecked(b + c); break;
                case Vir0Op.Sub: r[x.A] = unchecked(b - c); break;
                case Vir0Op.Mul: r[x.A] = unchecked(b * c); break;
                case Vir0Op.DivU or Vir0Op.RemU when c == 0: return new(FaultCode.BadArgument, pc, Vir0End.Halted, r, carried);
                case Vir0Op.DivU: r[x.A] = b / c; break;
                case Vir0Op.RemU: r[x.A] = b % c; break;
                case Vir0Op.And: r[x.A] = b & c; break;
                case Vir0Op.Or: r[x.A] = b | c; break;
                case Vir0Op.Xor: r[x.A] = b ^ c; break;
                case Vir0Op.Shl: r[x.A] = b << (int)(c % 32); break;
                case Vir0Op.ShrU: r[x.A] = b >> (int)(c % 32); break;
                case Vir0Op.AddI: r[x.A] = unchecked(b + x.Immediate); break;
                case Vir0Op.Eq: r[x.A] = b == c ? 1u : 0u; break;
                case Vir0Op.Ne: r[x.A] = b != c ? 1u : 0u; break;
                case Vir0Op.LtU: r[x.A] = b < c ? 1u : 0u; break;
                case Vir0Op.LtS: r[x.A] = (int)b < (int)c ? 1u : 0u; break;
                case Vir0Op.Jmp: next = x.Immediate; break;
                case Vir0Op.Jz: next = r[x.A] == 0 ? x.Immediate : next; break;
                case Vir0Op.Jnz: next = r[x.A] != 0 ? x.Immediate : next; break;
                case Vir0Op.Loop:
                    r[x.A] = unchecked(r[x.A] - 1);
                    next = r[x.A] != 0 ? x.Immediate : next;
                    break;
                case Vir0Op.Call when x.Immediate == TestKernels.Opcodes.Increment:
                    r[x.A] = unchecked(r[x.A] + 1);
                    break;
                case Vir0Op.Call: return new(FaultCode.HandlerFault, pc, Vir0End.Halted, r, carried);
                default: throw new InvalidOperationException($"operation {x.Op}");
            }

            pc = next;
        }

        return new(FaultCode.FuelExhausted, pc, Vir0End.Halted, r, carried);
    }

    /// <summary>A random valid program of 1..40 instructions and its inputs: every operation, jumps both ways, calls, faults now and then.</summary>
    public static (Vir0Program Program, uint[] Inputs) RandomProgram(Random random)
    {
        int registers = 1 + random.Next(16);
        var b = new Vir0Builder(fuel: (uint)(1 + random.Next(400))) { Registers = registers };
        int length = 1 + random.Next(40);
        var labels = new List<Vir0Label>();
        for (int i = 0; i <= length; i++)
        {
            labels.Add(b.Label());
        }

        int R() => random.Next(registers);
        uint Value() => random.Next(4) switch { 0 => 0, 1 => (uint)random.Next(8), 2 => uint.MaxValue - (uint)random.Next(4), _ => (uint)random.Next() };
        for (int i = 0; i < length; i++)
        {
            b.Mark(labels[i]);
            Vir0Label target = labels[random.Next(length + 1)];
            int pick = random.Next(30);
            switch (pick)
            {
                case 0: b.Yield(); break;
                case 1: if (random.Next(4) == 0) { b.Fail(); } else { b.Halt(); } break;
                case 2: b.MovI(R(), Value()); break;
                case 3: b.Mov(R(), R()); break;
                case 4: b.Ldc(R(), Value()); break;
                case 5: b.AddI(R(), R(), Value()); break;
                case 6: b.Jmp(target); break;
                case 7: b.Jz(R(), target); break;
                case 8: b.Jnz(R(), target); break;
                case 9: b.Loop(R(), target); break;
                case 10: b.Call(random.Next(8) == 0 ? TestKernels.Opcodes.Reject : TestKernels.Opcodes.Increment, R(), 1); break;
                default:
                    Vir0Op op = (Vir0Op)random.Next((int)Vir0Op.Add, (int)Vir0Op.LtS + 1);
                    if (op == Vir0Op.AddI)
                    {
                        op = Vir0Op.Add;
                    }

                    b.Op(op, R(), R(), R());
                    break;
            }
        }

        b.Mark(labels[length]);
        b.Halt();
        uint[] inputs = new uint[random.Next(Math.Min(registers, 10) + 1)];
        for (int i = 0; i < inputs.Length; i++)
        {
            inputs[i] = Value();
        }

        return (b.Build(), inputs);
    }
}
