using HandlebarsDotNet;

namespace Argos.Initramfs.Templates;

/// <summary>Values substituted into the templates ({{name}} in Handlebars syntax).</summary>
public sealed record TemplateModel
{
    public string Version { get; init; } = ToolInfo.Version;
    public string DocUrl { get; init; } = "file:/usr/share/doc/argos/boot.md";
    /// <summary>Path of argosfs inside the initramfs.</summary>
    public string ArgosfsBin { get; init; } = "/sbin/argosfs";
    /// <summary>Path of the host's argosfs binary that dracut/mkinitcpio copy into the image.</summary>
    public string ArgosfsSource { get; init; } = "/usr/sbin/argosfs";
    /// <summary>Kernel modules the root needs, space-separated.</summary>
    public string Modules { get; init; } = string.Join(' ', KernelModules.Required);
    /// <summary>Extra modules the builtin /init loads for a plain block root (the ext4 baseline).</summary>
    public string BlockRootModules { get; init; } = string.Join(' ', KernelModules.BlockRoot);
    /// <summary>Path of argosfs in the booted system (systemd units).</summary>
    public string SystemArgosfs { get; init; } = "/usr/sbin/argosfs";
    /// <summary>Where helper scripts of the booted system are installed.</summary>
    public string LibexecDir { get; init; } = "/usr/lib/argosfs";
    /// <summary>Host directory holding argosfs-lib.sh and friends for mkinitcpio's add_file.</summary>
    public string LibSource { get; init; } = "/usr/lib/argosfs";

    public IReadOnlyDictionary<string, object> ToDictionary() => new Dictionary<string, object>
    {
        ["version"] = Version,
        ["docUrl"] = DocUrl,
        ["argosfsBin"] = ArgosfsBin,
        ["argosfsSource"] = ArgosfsSource,
        ["modules"] = Modules,
        ["blockRootModules"] = BlockRootModules,
        ["systemArgosfs"] = SystemArgosfs,
        ["libexecDir"] = LibexecDir,
        ["libSource"] = LibSource,
    };
}

/// <summary>Renders templates with Handlebars.Net: no HTML escaping (these are shell scripts and
/// unit files), and an unknown {{name}} is an error rather than an empty string.</summary>
public sealed class TemplateRenderer
{
    private readonly IHandlebars _handlebars;
    private readonly IReadOnlyDictionary<string, object> _values;

    public TemplateRenderer(TemplateModel model)
    {
        _handlebars = Handlebars.Create(new HandlebarsConfiguration
        {
            NoEscape = true,
            ThrowOnUnresolvedBindingExpression = true,
        });
        _values = model.ToDictionary();
    }

    public string Render(string key, string text)
    {
        try
        {
            return _handlebars.Compile(text)(_values);
        }
        catch (Exception e) when (e is HandlebarsException or HandlebarsDotNet.Compiler.HandlebarsUndefinedBindingException)
        {
            throw new ToolException($"template {key}: {e.Message}",
                $"known names: {string.Join(", ", _values.Keys.Select(k => "{{" + k + "}}"))}");
        }
    }
}
