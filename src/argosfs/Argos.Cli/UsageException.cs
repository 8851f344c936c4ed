namespace Argos.Cli;

/// <summary>A mistake in how the command was called: printed as one line, exit status 2.</summary>
public sealed class UsageException(string message) : Exception(message);
