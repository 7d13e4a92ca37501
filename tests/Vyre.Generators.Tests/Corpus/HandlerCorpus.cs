using static Vyre.Generators.Tests.Corpus.IlgpuVerdict;

namespace Vyre.Generators.Tests.Corpus;

/// <summary>
/// The handlers of the corpus and their labels. A label is what ILGPU 1.5.3 does with the handler: <see cref="Runs"/>
/// and <see cref="Fails"/> are checked on every run of the tests (ILGPU's CPU accelerator); <see cref="FailsOnGpu"/>
/// was found on the GPU machine (no PTX for it, or the driver's JIT refuses it, or a wrong value there) and is
/// checked here as far as the CPU can: its CPU accelerator runs it.
/// </summary>
internal static class HandlerCorpus
{
    public static CorpusCase[] All { get; } =
    [
        // Integer arithmetic and bits.
        new("add", Runs, "slot.SetResult(0, a + b);"),
        new("multiply_wraps", Runs, "slot.SetResult(0, a * 0x9E3779B9u);"),
        new("divide_and_remainder", Runs, "slot.SetResult(0, a / b);\nslot.SetResult(1, a % b);"),
        new("shifts_and_xor", Runs, "slot.SetResult(0, (a << 3) ^ (b >> 1));"),
        new("rotate_left", Runs, "slot.SetResult(0, uint.RotateLeft(a, 5));"),
        new("pop_count", Runs, "slot.SetResult(0, (uint)System.Numerics.BitOperations.PopCount(a * 12345u));"),
        new("leading_zeros", Runs, "slot.SetResult(0, (uint)System.Numerics.BitOperations.LeadingZeroCount(a));"),
        new("is_power_of_two", Runs, "slot.SetResult(0, uint.IsPow2(a + 1) ? 1u : 2u);"),
        new("math_min_max", Runs, "slot.SetResult(0, Math.Min(Math.Max(a, 1u), 9u));"),
        new("math_abs", Runs, "slot.SetResult(0, Math.Abs((int)b - (int)a));"),
        new("signed_division", Runs, "int x = -(int)a / (int)b;\nslot.SetResult(0, x);"),
        new("unsigned_long", Runs, "ulong v = ((ulong)a * b) << 40;\nslot.SetResult(0, v);"),
        new("signed_long", Runs, "long v = -(long)a * b;\nslot.SetResult(0, (ulong)v);"),
        new("checked_without_overflow", Runs, "slot.SetResult(0, checked(a * b));"),
        new("char_arithmetic", Runs, "char c = (char)('a' + a);\nslot.SetResult(0, (uint)c);"),
        new("narrow_conversions", Runs, "byte lo = (byte)(a * 100);\nushort mid = (ushort)(b * 30000);\nslot.SetResult(0, lo + (uint)mid);"),
        new("boolean_logic", Runs, "bool odd = (a & 1) != 0, big = b > 2;\nslot.SetResult(0, odd && !big ? 1u : odd ^ big ? 2u : 3u);"),
        new("argument_as_ulong", Runs, "slot.SetResult(0, slot.ArgUInt64(0) * 3);"),

        // Floating point.
        new("float_arithmetic", Runs, "float x = (a * 0.5f) + b;\nslot.SetResult(0, x);"),
        new("float_to_uint", Runs, "slot.SetResult(0, (uint)(a * 1.5f));"),
        new("mathf_sqrt", Runs, "slot.SetResult(0, MathF.Sqrt(a));"),
        new("mathf_min_max_abs", Runs, "slot.SetResult(0, MathF.Abs(MathF.Max(a, b) - 10f));"),
        new("math_sqrt_double", Runs, "slot.SetResult(0, (float)Math.Sqrt((double)a));"),
        new("double_arithmetic", Runs, "double d = a * 0.5;\nslot.SetResult(0, (uint)(d * b));"),
        new("float_bits", Fails, "slot.SetResult(0, BitConverter.SingleToUInt32Bits(a * 0.25f)); //!"),
        new("float_from_bits", Fails, "slot.SetResult(0, BitConverter.UInt32BitsToSingle(a << 23) + 1f); //!"),
        new("argument_as_float", Runs, "slot.SetResult(0, slot.ArgSingle(0) * 2f);"),

        // Control flow.
        new("for_loop", Runs, "uint s = 0;\nfor (uint i = 0; i < a; i++)\n{\n    s += i * i;\n}\nslot.SetResult(0, s);"),
        new("while_loop", Runs, "uint n = a + 20, steps = 0;\nwhile (n != 1 && steps < 1000)\n{\n    n = (n & 1) == 0 ? n / 2 : (3 * n) + 1;\n    steps++;\n}\nslot.SetResult(0, steps);"),
        new("do_while", Runs, "uint x = a, n = 0;\ndo\n{\n    x >>= 1;\n    n++;\n}\nwhile (x != 0);\nslot.SetResult(0, n);"),
        new("break_and_continue", Runs, "uint s = 0;\nfor (uint i = 0; i < 100; i++)\n{\n    if (i % b == 0) { continue; }\n    if (i > a * 5) { break; }\n    s += i;\n}\nslot.SetResult(0, s);"),
        new("switch_statement", Runs, "uint r;\nswitch (a % 4)\n{\n    case 0: r = 10; break;\n    case 1: r = 20; break;\n    case 3: r = 40; break;\n    default: r = 99; break;\n}\nslot.SetResult(0, r);"),
        new("switch_expression", Runs, "slot.SetResult(0, (a % 3) switch { 0 => b, 1 => b * 2, _ => b * 3 });"),
        new("enum_switch", Runs, "Op op = (Op)(a % 2);\nslot.SetResult(0, op == Op.Add ? a + b : a - b);", Types: "public enum Op : uint { Add, Sub }"),
        new("early_return", Runs, "if (a > 5)\n{\n    slot.SetResult(0, 1u);\n    return SlotStatus.Done;\n}\nslot.SetResult(0, 2u);"),

        // Methods and structs of the user's own.
        new("static_helper", Runs, "slot.SetResult(0, Mix(a) + Mix(b));", Members: "private static uint Mix(uint x) => x ^ (x >> 7) ^ (x << 3);"),
        new("out_parameters", Runs, "Split(a * 0x10001u, out uint hi, out uint lo);\nslot.SetResult(0, hi);\nslot.SetResult(1, lo);", Members: "private static void Split(uint x, out uint hi, out uint lo)\n{\n    hi = x >> 16;\n    lo = x & 0xFFFF;\n}"),
        new("ref_local", Runs, "uint v = a;\nref uint r = ref v;\nr += b;\nslot.SetResult(0, v);"),
        new("ref_parameter", Runs, "uint v = a;\nBump(ref v, b);\nslot.SetResult(0, v);", Members: "private static void Bump(ref uint x, uint by) => x += by * 2;"),
        new("const_field", Runs, "slot.SetResult(0, (a ^ Seed) * 16777619u);", Members: "private const uint Seed = 2166136261u;"),
        new("static_readonly_scalar", Runs, "slot.SetResult(0, a * Prime);", Members: "private static readonly uint Prime = 16777619u;"),
        new("struct_with_method", Runs, "var acc = default(Acc);\nacc.Add(a);\nacc.Add(b);\nslot.SetResult(0, acc.Sum);", Types: "public struct Acc\n{\n    public uint Sum;\n    public void Add(uint v) => Sum += v * 3;\n}"),
        new("readonly_struct_constructor", Runs, "var p = new Pair(a, b);\nslot.SetResult(0, p.Total);", Types: "public readonly struct Pair\n{\n    public Pair(uint x, uint y)\n    {\n        X = x;\n        Y = y;\n    }\n\n    public uint X { get; }\n\n    public uint Y { get; }\n\n    public uint Total => X + (Y * 10);\n}"),
        new("struct_operator", Runs, "var v = new V2(a, b) + new V2(1, 2);\nslot.SetResult(0, v.X * v.Y);", Types: "public readonly struct V2\n{\n    public readonly uint X, Y;\n\n    public V2(uint x, uint y)\n    {\n        X = x;\n        Y = y;\n    }\n\n    public static V2 operator +(V2 l, V2 r) => new(l.X + r.X, l.Y + r.Y);\n}"),
        new("value_tuple", Runs, "(uint x, uint y) t = (a, b);\nslot.SetResult(0, t.x * t.y);"),
        new("static_local_function", Runs, "static uint Square(uint x) => x * x;\nslot.SetResult(0, Square(a) + Square(b));"),
        new("local_function_capturing_nothing", Runs, "uint Square(uint x) => x * x;\nslot.SetResult(0, Square(a));"),
        new("generic_struct_constraint", Runs, "slot.SetResult(0, Apply(default(Twice), a));", Members: "private static uint Apply<T>(T step, uint x)\n    where T : struct, IStep => step.Apply(x);", Types: "public interface IStep\n{\n    uint Apply(uint x);\n}\n\npublic struct Twice : IStep\n{\n    public uint Apply(uint x) => x * 2;\n}"),

        // Vyre and ILGPU in a handler.
        new("heap_words", Runs, "SlotView<uint> w = slot.Words(0, 4);\nw[1] = a;\nslot.SetResult(0, w[1] + b);"),
        new("heap_atomic", Runs, "SlotView<uint> w = slot.Words(8, 1);\nw[0] = 0;\nAtomic.Add(ref w[0], a);\nslot.SetResult(0, w[0]);"),
        new("data_bytes", Runs, "SlotView<byte> d = slot.Bytes(0, 4);\nd[2] = (byte)a;\nslot.SetResult(0, d[2] + 1u);"),
        new("view_slice_and_cast", Runs, "SlotView<byte> d = slot.Bytes(0, 16);\nd.Cast<uint>()[1] = a;\nslot.SetResult(0, d.Slice(4, 4)[0]);"),
        new("interlocked_add", Runs, "SlotView<uint> w = slot.Words(12, 1);\nw[0] = a;\nSystem.Threading.Interlocked.Add(ref w[0], b);\nslot.SetResult(0, w[0]);"),
        new("debug_assert", Runs, "System.Diagnostics.Debug.Assert(a != 0);\nslot.SetResult(0, a);"),
        new("inline_ptx_guarded", Runs, "if (ILGPU.Runtime.Cuda.CudaAsm.IsSupported)\n{\n    ILGPU.Runtime.Cuda.CudaAsm.Emit(\"membar.gl;\");\n}\n\nslot.SetResult(0, a + 1);"),
        new("unsafe_as", Runs, "float f = a;\nslot.SetResult(0, Unsafe.As<float, uint>(ref f));"),
        new("ilgpu_xmath_free_intrinsic", Runs, "slot.SetResult(0, IntrinsicMath.Max(a, b));"),

        // ILGPU cannot compile these (its CPU accelerator refuses them too).
        new("math_clamp", Fails, "slot.SetResult(0, Math.Clamp(a, 1u, 9u)); //!"),
        new("math_round_digits", Fails, "slot.SetResult(0, (float)Math.Round(a / 3.0, 2)); //!"),
        new("uint_log2", Fails, "slot.SetResult(0, uint.Log2(a)); //!"),
        new("char_is_digit", Fails, "slot.SetResult(0, char.IsDigit((char)(a + 48)) ? 1u : 0u); //!"),
        new("create_truncating", Fails, "slot.SetResult(0, uint.CreateTruncating((long)a * 3)); //!"),
        new("decimal_arithmetic", Fails, "slot.SetResult(0, (uint)(a * 1.5m)); //!"),
        new("uint128", Fails, "UInt128 x = (UInt128)a * b; //!\nslot.SetResult(0, (uint)x);"),
        new("half", Fails, "slot.SetResult(0, (float)(System.Half)(float)a); //!"),
        new("using_statement", Fails, "using (var scope = new Scope()) //!\n{\n    slot.SetResult(0, a);\n}", Types: "public struct Scope : IDisposable\n{\n    public void Dispose()\n    {\n    }\n}"),
        new("static_readonly_array", Fails, "slot.SetResult(0, Table[a & 3]); //!", Members: "private static readonly uint[] Table = [1, 2, 3, 4];"),
        new("array_field_of_struct", Fails, "Holder h = default;\nslot.SetResult(0, h.Items is null ? a : 0u); //!", Types: "public struct Holder\n{\n    public uint[]? Items;\n}"),
        new("typeof_test", Fails, "slot.SetResult(0, typeof(uint) == typeof(int) ? 1u : a); //!"),
        new("explicit_layout_union", Fails, "U u = default; //!\nu.F = a;\nslot.SetResult(0, u.I);", Types: "[StructLayout(LayoutKind.Explicit)]\npublic struct U\n{\n    [FieldOffset(0)]\n    public float F;\n\n    [FieldOffset(0)]\n    public uint I;\n}"),
        new("inline_array_first_element", Runs, "Four f = default;\nf[0] = a;\nslot.SetResult(0, f[0] + b);", Types: "[InlineArray(4)]\npublic struct Four\n{\n    private uint _element;\n}"),
        new("inline_array_other_element", Fails, "Four f = default;\nf[0] = a;\nf[3] = b; //!\nslot.SetResult(0, f[0] + f[3]);", Types: "[InlineArray(4)]\npublic struct Four\n{\n    private uint _element;\n}"),
        new("span_stackalloc", Fails, "Span<uint> s = stackalloc uint[4]; s[0] = a; slot.SetResult(0, s[0]); //!"),
        new("array_view_host_call", Fails, "ArrayView<uint> v = default;\nv.MemSetToZero(); //!\nslot.SetResult(0, a);"),
        new("console", Fails, "Console.WriteLine(a); //!"),
        new("console_in_helper", Fails, "Log(a);", Members: "private static void Log(uint v) => Console.WriteLine(v); //!"),
        new("string_local", Fails, "string s = \"x\"; //!\nslot.SetResult(0, (uint)s.Length);"),
        new("to_string", Fails, "slot.SetResult(0, (uint)a.ToString().Length); //!"),
        new("class_allocation", Fails, "var box = new Box(); //!\nslot.SetResult(0, box.V);", Types: "public sealed class Box\n{\n    public uint V;\n}"),
        new("local_array_of_constant_size", Runs, "uint[] arr = new uint[4];\narr[0] = a;\narr[3] = b;\nslot.SetResult(0, arr[0] * arr[3]);"),
        new("bitconverter_get_bytes", Fails, "slot.SetResult(0, BitConverter.GetBytes(a)[0]); //!"),
        new("throw", Fails, "if (a > 100) throw new InvalidOperationException(); //!\nslot.SetResult(0, a);"),
        new("try_finally", Fails, "try //!\n{\n    slot.SetResult(0, a);\n}\nfinally\n{\n    slot.SetResult(1, b);\n}"),
        new("lambda", Fails, "Func<uint, uint> f = x => x + 1; //!\nslot.SetResult(0, f(a));"),
        new("boxing", Fails, "object o = a; //!\nslot.SetResult(0, o is uint u ? u : 0u);"),
        new("recursion", RefusedByVyre, "slot.SetResult(0, Fact(a));", Members: "private static uint Fact(uint n) => n <= 1 ? 1 : n * Fact(n - 1); //!"),
        new("static_mutable_field", Fails, "s_count++; //!\nslot.SetResult(0, a);", Members: "private static uint s_count;"),
        new("warp_shuffle", RefusedByVyre, "slot.SetResult(0, Warp.Shuffle(a, 0)); //!"),
        new("group_barrier", RefusedByVyre, "Group.Barrier(); //!\nslot.SetResult(0, a);"),

        // Helpers in an assembly of the user's own: the analyzer leaves them to the build step, which judges their IL.
        new("helper_in_library", Runs, "slot.SetResult(0, CorpusLib.Mix.Hash(a + b));", Library: "public static class Mix\n{\n    public static uint Hash(uint x) => (x * 0x9E3779B9u) ^ (x >> 7);\n}"),
        new("struct_operator_in_library", Runs, "var p = new CorpusLib.Pair { X = a, Y = b } + new CorpusLib.Pair { X = 1, Y = 2 };\nslot.SetResult(0, p.X * p.Y);", Library: "public struct Pair\n{\n    public uint X;\n    public uint Y;\n\n    public static Pair operator +(Pair l, Pair r) => new() { X = l.X + r.X, Y = l.Y + r.Y };\n}"),
        new("console_in_library", Fails, "slot.SetResult(0, CorpusLib.Noisy.Echo(a)); //!", Library: "public static class Noisy\n{\n    public static uint Echo(uint x)\n    {\n        Console.WriteLine(x);\n        return x;\n    }\n}"),
        new("class_in_library", Fails, "slot.SetResult(0, CorpusLib.Boxes.Make(a)); //!", Library: "public sealed class Box\n{\n    public uint V;\n}\n\npublic static class Boxes\n{\n    public static uint Make(uint x) => new Box { V = x }.V;\n}"),
        new("copysign_in_library", FailsOnGpu, "slot.SetResult(0, CorpusLib.Sign.Negative(a)); //!", Library: "public static class Sign\n{\n    public static float Negative(uint x) => (float)Math.CopySign((double)x, -1.0);\n}"),
        new("double_sin_in_library", FailsOnGpu, "slot.SetResult(0, CorpusLib.Wave.Of(a)); //!", Library: "public static class Wave\n{\n    public static float Of(uint x) => (float)Math.Sin((double)x);\n}"),

        // ILGPU's CPU accelerator runs these; the GPU cannot (labelled on the H200: no PTX, the driver's JIT, or a wrong value).
        new("math_sin_double", FailsOnGpu, "slot.SetResult(0, (float)Math.Sin((double)a)); //!"),
        new("math_cos_double", FailsOnGpu, "slot.SetResult(0, (float)Math.Cos((double)a)); //!"),
        new("math_exp_double", FailsOnGpu, "slot.SetResult(0, (float)Math.Exp((double)a)); //!"),
        new("math_log_double", FailsOnGpu, "slot.SetResult(0, (float)Math.Log((double)a)); //!"),
        new("math_pow_double", FailsOnGpu, "slot.SetResult(0, (float)Math.Pow((double)a, 1.5)); //!"),
        new("mathf_exp", FailsOnGpu, "slot.SetResult(0, MathF.Exp(a)); //!"),
        new("mathf_log", FailsOnGpu, "slot.SetResult(0, MathF.Log(a)); //!"),
        new("mathf_pow", FailsOnGpu, "slot.SetResult(0, MathF.Pow(a, 1.5f)); //!"),
        new("math_log2_double", FailsOnGpu, "slot.SetResult(0, (float)Math.Log2((double)a)); //!"),
        new("mathf_fused_multiply_add", FailsOnGpu, "slot.SetResult(0, MathF.FusedMultiplyAdd(a, b, 0.5f)); //!"),
        new("math_copysign", FailsOnGpu, "slot.SetResult(0, (float)Math.CopySign((double)a, -1.0)); //!"),
    ];
}
