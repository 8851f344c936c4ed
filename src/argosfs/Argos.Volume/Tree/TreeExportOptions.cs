namespace Argos.Volume.Tree;

public sealed record TreeExportOptions
{
    public Action<TreeProgress>? Progress { get; init; }
}
