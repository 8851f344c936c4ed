using Argos.Volume;

namespace Argos.Volume.Tests;

/// <summary>A pool of sparse image files in a temp directory, removed on dispose.</summary>
public sealed class TempPool : IDisposable
{
    public TempPool(int members = 3, int k = 2, int m = 1, string size = "256MiB", string compression = "zstd", ulong incompatFeatures = Argos.Format.Pool.FeatureFlags.KnownIncompat)
    {
        Directory = Path.Combine(Path.GetTempPath(), "argos-vol-" + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(Directory);
        Images = Enumerable.Range(0, members).Select(i => Path.Combine(Directory, $"m{i}.img")).ToArray();
        ArgosVolume.Create(Images, new VolumeCreateOptions
        {
            K = k,
            M = m,
            PoolName = "test",
            ImageSizeBytes = size.EndsWith("MiB", StringComparison.Ordinal) ? long.Parse(size[..^3]) << 20 : long.Parse(size),
            Compression = DataPath.Codecs.CompressionSettings.Parse(compression),
            IncompatFeatures = incompatFeatures,
        });
    }

    public string Directory { get; }
    public string[] Images { get; }

    public ArgosVolume Open(bool readOnly = false, IEnumerable<string>? images = null) =>
        ArgosVolume.Open((images ?? Images).ToList(), new VolumeOpenOptions { ReadOnly = readOnly });

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}
