using System.Runtime.Intrinsics.X86;

namespace Argos.Erasure.Kernels;

/// <summary>The SIMD width a codec computes with. Chosen once from the CPU; tests force each one.</summary>
internal enum EcKernel
{
    Scalar = 0,
    Vector128 = 1,   // SSSE3 pshufb
    Vector256 = 2,   // AVX2 vpshufb ymm
    Vector512 = 3,   // AVX-512BW vpshufb zmm
}

// Selection happens once, from the X86 IsSupported properties. Under the JIT they reflect the CPU the
// process runs on. Under NativeAOT only SSSE3 (and other pre-AVX sets) is a true run-time check: AVX2
// and AVX-512 count as supported only if the binary's baseline (IlcInstructionSet) includes them,
// because the compiler may then use VEX/EVEX encodings anywhere. So a default-baseline AOT binary runs
// the Vector128 kernel everywhere SSSE3 exists and the scalar one elsewhere (e.g. QEMU's qemu64 CPU);
// an x86-64-v3 baseline gets Vector256, x86-64-v4 gets Vector512 (and then needs such a CPU).
internal static class EcKernels
{
    /// <summary>The widest kernel this CPU (and runtime configuration, e.g. DOTNET_EnableAVX512F=0) runs.</summary>
    public static readonly EcKernel Best =
        Avx512BW.IsSupported ? EcKernel.Vector512 :
        Avx2.IsSupported ? EcKernel.Vector256 :
        Ssse3.IsSupported ? EcKernel.Vector128 :
        EcKernel.Scalar;

    public static bool IsSupported(EcKernel kernel) => kernel switch
    {
        EcKernel.Scalar => true,
        EcKernel.Vector128 => Ssse3.IsSupported,
        EcKernel.Vector256 => Avx2.IsSupported,
        EcKernel.Vector512 => Avx512BW.IsSupported,
        _ => false,
    };

    /// <summary>The next narrower kernel, used for buffers shorter than one vector.</summary>
    public static EcKernel Narrower(EcKernel kernel) => kernel switch
    {
        EcKernel.Vector512 => EcKernel.Vector256,
        EcKernel.Vector256 => EcKernel.Vector128,
        _ => EcKernel.Scalar,
    };
}
