using System.Globalization;
using Argos.Platform.Native;

namespace Argos.DataPath.Codecs;

/// <summary>A pool's or file's compression choice: codec and (zstd only) level.</summary>
public readonly record struct CompressionSettings
{
    public CompressionSettings(CompressionCodec codec, int level = 0)
    {
        if (!Enum.IsDefined(codec))
        {
            throw new ArgumentOutOfRangeException(nameof(codec), codec, "unknown compression codec; use none, zstd or lz4");
        }

        if (codec == CompressionCodec.Zstd)
        {
            level = level == 0 ? Zstd.DefaultLevel : level;
            if (level < Zstd.MinLevel || level > Zstd.MaxLevel)
            {
                throw new ArgumentOutOfRangeException(nameof(level), level,
                    $"zstd level must be {Zstd.MinLevel}..{Zstd.MaxLevel} (0 = default {Zstd.DefaultLevel})");
            }
        }
        else if (level != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(level), level, $"{codec} takes no level; only zstd does (e.g. zstd:3)");
        }

        Codec = codec;
        Level = level;
    }

    public static CompressionSettings Default => new(CompressionCodec.Zstd, Zstd.DefaultLevel);
    public static CompressionSettings None => new(CompressionCodec.None);

    public CompressionCodec Codec { get; }

    /// <summary>zstd compression level (1..22, negatives are the fast levels); 0 for other codecs.</summary>
    public int Level { get; }

    /// <summary>Parses "none", "lz4", "zstd" or "zstd:N" (case-insensitive).</summary>
    public static CompressionSettings Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string value = text.Trim().ToLowerInvariant();
        int colon = value.IndexOf(':');
        string name = colon < 0 ? value : value[..colon];
        string? levelText = colon < 0 ? null : value[(colon + 1)..];
        CompressionCodec codec = name switch
        {
            "none" or "off" => CompressionCodec.None,
            "zstd" => CompressionCodec.Zstd,
            "lz4" => CompressionCodec.Lz4,
            _ => throw new FormatException($"unknown compression '{text}'; use none, lz4, zstd or zstd:LEVEL"),
        };

        int level = 0;
        if (levelText is not null
            && (codec != CompressionCodec.Zstd
                || !int.TryParse(levelText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out level)))
        {
            throw new FormatException($"bad compression '{text}': only zstd takes a level, as zstd:LEVEL (e.g. zstd:3)");
        }

        try
        {
            return new CompressionSettings(codec, level);
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new FormatException($"bad compression '{text}': {e.Message}", e);
        }
    }

    public override string ToString()
        => Codec == CompressionCodec.Zstd ? string.Create(CultureInfo.InvariantCulture, $"zstd:{Level}") : Codec.ToString().ToLowerInvariant();
}
