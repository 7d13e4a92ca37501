using System;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
using NUnit.Framework;
using Vyre.Programs;

namespace Vyre.Runtime.Tests;

/// <summary>The VIR0 format on the host: builder, text form, decoder and validator, and the decoder under hostile input.</summary>
public sealed class Vir0FormatTests
{
    private static Vir0Program Sample()
    {
        var b = new Vir0Builder(fuel: 1000);
        Vir0Label top = b.Label(), done = b.Label();
        b.Ldc(2, 0xDEADBEEF);
        b.Mark(top);
        b.Jz(1, done);
        b.Call(0x101, firstRegister: 0, count: 1);
        b.Op(Vir0Op.Xor, 3, 3, 2);
        b.Loop(1, top);
        b.Mark(done);
        b.Yield();
        b.Halt();
        return b.Build();
    }

    [Test]
    public void Bytes_and_text_round_trip_to_the_same_words()
    {
        Vir0Program program = Sample();
        Vir0Program decoded = Vir0Program.Decode(program.ToBytes());
        Assert.That(decoded.Words.ToArray(), Is.EqualTo(program.Words.ToArray()));
        string text = Vir0Text.Format(program);
        Vir0Program parsed = Vir0Text.Parse(text);
        Assert.That((parsed.Digest, parsed.Words.ToArray()), Is.EqualTo((program.Digest, program.Words.ToArray())), text);
    }

    [Test]
    public void The_header_holds_what_the_spec_says()
    {
        Vir0Program program = Sample();
        ReadOnlySpan<uint> w = program.Words;
        Assert.That((w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]), Is.EqualTo((0x30524956u, 1u, (uint)w.Length, 4u, 1u, 7u, 1000u, 0u)));
        Assert.That(w[16], Is.EqualTo(0xDEADBEEFu), "the constants follow the header");
        Assert.That((w[17], w[18]), Is.EqualTo(((uint)Vir0Op.Ldc | (2u << 8), 0u)), "then two words per instruction");
        Assert.That(program.Digest, Is.EqualTo(IndependentDigest(w.ToArray())));
    }

    [Test]
    public void The_text_form_takes_labels_constants_comments_and_names()
    {
        string text = """
            ; counts r0 up r1 times
            .fuel 100           # a bound
            .const big 0x80000000
            start: ldc r2, big
            again:
                call Increment, r0, 1
                loop r1, again
                addi r3, r3, -1
                halt
            """;
        Vir0Program program = Vir0Text.Parse(text, new System.Collections.Generic.Dictionary<string, uint> { ["Increment"] = 0x101 });
        Assert.That((program.InstructionCount, program.Registers, program.Constants[0]), Is.EqualTo((5, 4, 0x80000000u)));
        Assert.That(program.Instruction(2), Is.EqualTo(new Vir0Instruction(Vir0Op.Loop, 1, 0, 0, 1)));
        Assert.That(program.Instruction(3).Immediate, Is.EqualTo(uint.MaxValue));
    }

    [TestCase("halt", "fuel")]
    [TestCase(".fuel 10\n", "no instructions")]
    [TestCase(".fuel 10\nfrob r1\nhalt", "line 2")]
    [TestCase(".fuel 10\njmp nowhere", "nowhere")]
    [TestCase(".fuel 10\nmovi r64, 1\nhalt", "r64")]
    [TestCase(".fuel 10\nadd r1, r2\nhalt", "3 operand")]
    [TestCase(".fuel 10\nldc r0, 3\nhalt", "constant 3")]
    [TestCase(".fuel 0\nhalt", "fuel 0")]
    [TestCase(".fuel 10\nmovi r0, 0x1FFFFFFFF\nhalt", "32-bit")]
    [TestCase(".fuel 10\ncall 0xFFFF, r0, 1\nhalt", "loop-level")]
    [TestCase(".fuel 10\ncall 0x101, r0, 13\nhalt", "at most 12")]
    [TestCase(".fuel 10\na: halt\na: halt", "twice")]
    [TestCase(".registers 2\n.fuel 10\nmov r0, r5\nhalt", "r5")]
    public void The_text_form_refuses_with_the_line_and_a_fix(string text, string says)
    {
        Assert.That(() => Vir0Text.Parse(text), Throws.TypeOf<Vir0FormatException>().With.Message.Contains(says).And.Message.Contains("Fix:"));
    }

    [Test]
    public void The_decoder_names_each_broken_rule()
    {
        uint[] good = Sample().Words.ToArray();
        Check(good[..10], "header");
        Check(With(good, 0, 0x12345678), "magic");
        Check(With(good, 1, 2), "version 2");
        Check(With(good, 2, 99), "says 99 words");
        Check(With(good, 3, 0), "0 registers");
        Check(With(good, 3, 65), "65 registers");
        Check(With(good, 6, 0), "fuel is 0");
        Check(With(good, 7, 1), "flags");
        Check(With(good, 20, good[20] ^ 1), "digest", redigest: false);
        Check(With(good, 17, 0xFF), "operation 255", expectInstruction: 0);
        Check(With(good, 17, (uint)Vir0Op.Ldc | (9u << 8)), "r9", expectInstruction: 0);
        Check(With(good, 18, 5), "constant 5", expectInstruction: 0);
        Check(With(good, 20, 99), "jumps to 99", expectInstruction: 1);
        Check(With(good, 29, (uint)Vir0Op.Yield | (1u << 24)), "operand c", expectInstruction: 6);
        Check(With(good, 30, 7), "no immediate", expectInstruction: 6);
        Assert.That(() => Vir0Program.Decode(new byte[7]), Throws.TypeOf<Vir0FormatException>().With.Message.Contains("whole 32-bit words"));
        Assert.That(() => Vir0Program.Decode(new byte[(Vir0Program.MaxWords + 1) * 4]), Throws.TypeOf<Vir0FormatException>().With.Message.Contains("at most"));
    }

    [Test]
    public void The_builder_refuses_what_the_format_forbids()
    {
        Assert.That(() => new Vir0Builder(0), Throws.TypeOf<ArgumentOutOfRangeException>());
        var b = new Vir0Builder(10);
        Assert.That(() => b.MovI(64, 1), Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("Fix:"));
        Assert.That(() => b.Call(0x101, 0, 13), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => b.Op(Vir0Op.Jmp, 0, 0, 0), Throws.ArgumentException);
        Vir0Label never = b.Label();
        b.Jmp(never);
        Assert.That(() => b.Build(), Throws.TypeOf<Vir0FormatException>().With.Message.Contains("never marked"));
        Assert.That(() => new Vir0Builder(10).Mark(new Vir0Label(3)), Throws.ArgumentException);
    }

    /// <summary>
    /// Random words, truncations, bit flips and re-digested mutations of valid programs: the decoder either accepts (and
    /// then the program re-encodes to the same words) or refuses with a <see cref="Vir0FormatException"/> that says why;
    /// no other exception, no hang. A fixed seed, bounded by count and by time.
    /// </summary>
    [Test]
    public void The_decoder_survives_hostile_input()
    {
        var random = new Random(14);
        var clock = Stopwatch.StartNew();
        int accepted = 0, refused = 0;
        for (int round = 0; round < 20_000 && clock.Elapsed < TimeSpan.FromSeconds(20); round++)
        {
            uint[] words = Mutate(random, round);
            byte[] bytes = new byte[words.Length * 4];
            for (int i = 0; i < words.Length; i++)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * 4), words[i]);
            }

            if (round % 7 == 0 && bytes.Length > 0)
            {
                bytes = bytes[..random.Next(bytes.Length)]; // Truncated anywhere, also inside a word.
            }

            if (Vir0Program.TryDecode(bytes, out Vir0Program? program, out string? error))
            {
                accepted++;
                Assert.That(program!.ToBytes(), Is.EqualTo(bytes), $"round {round}: an accepted program re-encodes to its bytes");
            }
            else
            {
                refused++;
                Assert.That(error, Does.Contain("Fix:"), $"round {round}");
            }
        }

        Assert.That((accepted, refused), Is.GreaterThan((100, 100)).Using<(int, int)>((x, y) => x.Item1 > y.Item1 && x.Item2 > y.Item2 ? 1 : -1), "both outcomes are reached");
    }

    [Test]
    public void The_text_form_survives_hostile_input()
    {
        var random = new Random(15);
        string[] tokens = ["halt", "call", "loop", "movi", "r0", "r63", "r99", ",", ":", ".fuel", ".const", ".registers", "x:", "x", "0x", "-", "99999999999", "1", "\n", ";", " ", "jmp", "ldc", "k0", "\t", "\u00e9"];
        for (int round = 0; round < 5_000; round++)
        {
            var text = new System.Text.StringBuilder(".fuel 50\n");
            int length = random.Next(40);
            for (int i = 0; i < length; i++)
            {
                text.Append(tokens[random.Next(tokens.Length)]).Append(random.Next(3) == 0 ? " " : string.Empty);
            }

            try
            {
                Vir0Text.Parse(text.ToString());
            }
            catch (Vir0FormatException e)
            {
                Assert.That(e.Message, Does.Contain("Fix:"), text.ToString());
            }
        }
    }

    private static uint[] Mutate(Random random, int round)
    {
        (Vir0Program program, _) = Vir0Reference.RandomProgram(random);
        uint[] words = program.Words.ToArray();
        switch (round % 4)
        {
            case 0:
                uint[] noise = new uint[random.Next(64)];
                for (int i = 0; i < noise.Length; i++)
                {
                    noise[i] = (uint)random.NextInt64(0, 1L << 32);
                }

                if (noise.Length > 2 && random.Next(2) == 0)
                {
                    noise[0] = Vir0Format.Magic; // Past the magic, into the rest of the header.
                    noise[1] = Vir0Format.Version;
                    noise[2] = (uint)noise.Length;
                }

                return noise;
            case 1:
                words[random.Next(words.Length)] ^= 1u << random.Next(32); // The digest catches it.
                return words;
            default:
                int flips = 1 + random.Next(3);
                for (int f = 0; f < flips; f++)
                {
                    int at = random.Next(Vir0Format.HeaderWords + 1, words.Length + 1) - 1;
                    at = at < Vir0Format.DigestWord ? at : Math.Max(at, Vir0Format.HeaderWords);
                    words[at] ^= 1u << random.Next(32);
                }

                Redigest(words);
                return words;
        }
    }

    private static void Check(uint[] words, string says, bool redigest = true, int expectInstruction = -1)
    {
        uint[] copy = (uint[])words.Clone();
        if (redigest && copy.Length >= Vir0Format.HeaderWords)
        {
            Redigest(copy);
        }

        var e = Assert.Throws<Vir0FormatException>(() => Vir0Program.Decode(copy))!;
        Assert.That(e.Message, Does.Contain(says).And.Contain("Fix:"));
        Assert.That(e.Instruction, Is.EqualTo(expectInstruction), e.Message);
    }

    private static uint[] With(uint[] words, int index, uint value)
    {
        uint[] copy = (uint[])words.Clone();
        copy[index] = value;
        return copy;
    }

    /// <summary>Writes the digest the spec defines (SHA-256 of words 0..7 and 16..end, little-endian) into words 8..15.</summary>
    private static void Redigest(uint[] words)
    {
        byte[] digest = Convert.FromHexString(IndependentDigest(words));
        for (int i = 0; i < 8; i++)
        {
            words[Vir0Format.DigestWord + i] = BinaryPrimitives.ReadUInt32LittleEndian(digest.AsSpan(i * 4));
        }
    }

    private static string IndependentDigest(uint[] words)
    {
        byte[] bytes = new byte[(words.Length - 8) * 4];
        for (int i = 0, o = 0; i < words.Length; i++)
        {
            if (i is >= 8 and < 16)
            {
                continue;
            }

            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(o), words[i]);
            o += 4;
        }

        return Convert.ToHexStringLower(SHA256.HashData(bytes));
    }
}
