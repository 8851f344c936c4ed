using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace Argos.Platform.Native;

/// <summary>
/// The three native codec libraries and how they are found.
/// </summary>
/// <remarks>
/// Published binary (native AOT): the Cli project lists each name as <c>DirectPInvoke</c> and links the
/// static archive (<c>NativeLibrary Include="/usr/lib/x86_64-linux-gnu/libzstd.a"</c>), so calls bind at
/// link time and nothing here runs. Under the JIT (tests, dotnet run) the runtime probes
/// <c>libzstd.so</c>, which only the -dev packages install; when that probe fails, the
/// <see cref="AssemblyLoadContext.ResolvingUnmanagedDll"/> fallback below tries the versioned runtime
/// sonames. It is an event (multicast), not <c>NativeLibrary.SetDllImportResolver</c>, so it cannot clash
/// with another resolver registered for this assembly, and it runs only after the default probe failed.
/// </remarks>
public static class NativeLibraries
{
    public const string Zstd = "libzstd";
    public const string Lz4 = "liblz4";
    public const string Sodium = "libsodium";

    private static int s_registered;

    /// <summary>Registers the soname fallback once; called from each binding's static constructor.</summary>
    internal static void EnsureFallbackRegistered()
    {
        if (Interlocked.Exchange(ref s_registered, 1) == 0)
        {
            AssemblyLoadContext.Default.ResolvingUnmanagedDll += ResolveVersionedSoname;
        }
    }

    /// <summary>Loads a codec library by its runtime soname (libzstd.so.1, liblz4.so.1, libsodium.so.23).</summary>
    public static bool TryLoadRuntimeSoname(string libraryName, out IntPtr handle)
    {
        string[] candidates = libraryName switch
        {
            Zstd => ["libzstd.so.1"],
            Lz4 => ["liblz4.so.1"],
            Sodium => ["libsodium.so.23", "libsodium.so.26"],
            _ => [],
        };
        foreach (string candidate in candidates)
        {
            if (NativeLibrary.TryLoad(candidate, out handle))
            {
                return true;
            }
        }

        handle = IntPtr.Zero;
        return false;
    }

    private static IntPtr ResolveVersionedSoname(Assembly assembly, string libraryName)
        => assembly == typeof(NativeLibraries).Assembly && TryLoadRuntimeSoname(libraryName, out IntPtr handle) ? handle : IntPtr.Zero;
}
