using Argos.Platform.Native;

namespace Argos.Native.Tests;

public class NativeLibrariesTests
{
    [Theory]
    [InlineData(NativeLibraries.Zstd, "ZSTD_versionNumber")]
    [InlineData(NativeLibraries.Lz4, "LZ4_versionNumber")]
    [InlineData(NativeLibraries.Sodium, "sodium_init")]
    public void RuntimeSonameFallback_LoadsEachLibrary(string name, string export)
    {
        // The fallback used when the unversioned libX.so (from -dev packages) is absent.
        Assert.True(NativeLibraries.TryLoadRuntimeSoname(name, out IntPtr handle), $"{name}: no runtime soname found");
        Assert.NotEqual(IntPtr.Zero, System.Runtime.InteropServices.NativeLibrary.GetExport(handle, export));
    }

    [Fact]
    public void RuntimeSonameFallback_UnknownName_False() => Assert.False(NativeLibraries.TryLoadRuntimeSoname("libnope", out _));
}
