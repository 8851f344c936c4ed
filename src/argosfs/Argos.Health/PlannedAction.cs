namespace Argos.Health;

public enum AlertSeverity
{
    Info,
    Warning,
    Critical,
}

/// <summary>What the planner asks for. Alerts carry a stable code for scripts and monitoring.</summary>
public abstract record PlannedAction;

/// <summary>Read and verify every shard, rebuilding bad or missing ones from the survivors.</summary>
public sealed record ScrubAction(string Reason) : PlannedAction;

public sealed record AlertAction(AlertSeverity Severity, string Code, string Message) : PlannedAction;
