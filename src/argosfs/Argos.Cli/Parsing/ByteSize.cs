using System.Globalization;

namespace Argos.Cli.Parsing;

/// <summary>
/// Sizes as people write them: plain bytes ("4096", "1_048_576"), binary suffixes K/M/G/T, KiB/MiB/GiB/TiB
/// (×1024, as truncate(1) reads "1G"), and decimal KB/MB/GB/TB (×1000). Case-insensitive; overflow is an error.
/// </summary>
public static class ByteSize
{
    public static bool TryParse(string text, out ulong bytes, out string error)
    {
        bytes = 0;
        var s = text.Trim().Replace("_", "", StringComparison.Ordinal);
        var split = 0;
        while (split < s.Length && char.IsAsciiDigit(s[split])) split++;
        if (split == 0)
        {
            error = $"size '{text}' does not start with a number; write e.g. 256MiB, 1G or 4096";
            return false;
        }
        if (!ulong.TryParse(s.AsSpan(0, split), NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            error = $"size '{text}' is too large";
            return false;
        }
        ulong multiplier = s[split..].ToLowerInvariant() switch
        {
            "" or "b" => 1,
            "k" or "ki" or "kib" => 1UL << 10,
            "m" or "mi" or "mib" => 1UL << 20,
            "g" or "gi" or "gib" => 1UL << 30,
            "t" or "ti" or "tib" => 1UL << 40,
            "kb" => 1_000,
            "mb" => 1_000_000,
            "gb" => 1_000_000_000,
            "tb" => 1_000_000_000_000,
            _ => 0,
        };
        if (multiplier == 0)
        {
            error = $"size '{text}' has an unknown unit '{s[split..]}'; use B, K/KiB, M/MiB, G/GiB, T/TiB or KB/MB/GB/TB";
            return false;
        }
        if (number > ulong.MaxValue / multiplier)
        {
            error = $"size '{text}' is too large";
            return false;
        }
        bytes = number * multiplier;
        error = "";
        return true;
    }

    public static ulong Parse(string text) =>
        TryParse(text, out var bytes, out var error) ? bytes : throw new UsageException(error);

    public static string Format(ulong bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{bytes} B")
            : string.Create(CultureInfo.InvariantCulture, $"{value:0.#} {units[unit]}");
    }
}
