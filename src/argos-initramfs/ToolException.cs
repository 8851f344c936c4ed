namespace Argos.Initramfs;

/// <summary>A failure the user can act on: <see cref="Exception.Message"/> names what failed,
/// <see cref="Hint"/> how to fix it. Program prints both and exits with <see cref="ExitCode"/>.</summary>
public sealed class ToolException(string message, string hint, int exitCode = 1) : Exception(message)
{
    public string Hint { get; } = hint;
    public int ExitCode { get; } = exitCode;
}
