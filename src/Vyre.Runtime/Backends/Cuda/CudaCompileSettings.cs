using ILGPU;

namespace Vyre.Backends.Cuda;

/// <summary>
/// How ILGPU compiles a megakernel for CUDA, the same in the build step and at start (src/Vyre.Build links this file):
/// the kernel that ships must be the one the runtime would compile.
/// Conservative inlining: ILGPU's default inlines every handler into the dispatcher and the dispatcher into the
/// device loop, which for 256 handlers took 54 s and 3.5 GB to compile on the 2-core build machine; conservative
/// inlining keeps handlers as PTX functions (small methods are still inlined) and took 3.5 s and 160 MB
/// (docs/build-step.md).
/// </summary>
internal static class CudaCompileSettings
{
    public static Context.Builder Apply(Context.Builder builder) => builder.Inlining(InliningMode.Conservative);
}
