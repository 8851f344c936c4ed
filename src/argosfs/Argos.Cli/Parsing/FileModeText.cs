using System.Globalization;

namespace Argos.Cli.Parsing;

/// <summary>
/// Permission modes as chmod(1) takes them: octal digits ("755", "0755", "4755"), or with an explicit
/// radix prefix "0o755" / "0x1ed". Values above 0o177777 (type bits included) are refused.
/// </summary>
public static class FileModeText
{
    public static bool TryParse(string text, out uint mode, out string error)
    {
        mode = 0;
        var s = text.Trim();
        bool ok;
        if (s.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            ok = uint.TryParse(s.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out mode);
        }
        else
        {
            var digits = s.StartsWith("0o", StringComparison.OrdinalIgnoreCase) ? s[2..] : s;
            ok = digits.Length > 0 && digits.All(c => c is >= '0' and <= '7');
            if (ok)
            {
                foreach (var c in digits)
                {
                    if (mode > (uint.MaxValue >> 3)) { ok = false; break; }
                    mode = (mode << 3) | (uint)(c - '0');
                }
            }
        }
        if (!ok || mode > 0xFFFF)
        {
            error = $"mode '{text}' is not a valid mode; write octal digits like 755 or 0o4755, or hex like 0x1ed";
            mode = 0;
            return false;
        }
        error = "";
        return true;
    }

    public static uint Parse(string text) =>
        TryParse(text, out var mode, out var error) ? mode : throw new UsageException(error);
}
