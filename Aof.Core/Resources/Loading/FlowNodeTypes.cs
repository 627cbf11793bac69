namespace Aof.Core.Resources.Loading;

/// <summary>AgentFlow node types the loader accepts (AOF's set). The runtime executes a subset and rejects the rest at run time.</summary>
public static class FlowNodeTypes
{
    public const string Transform = "Transform";
    public const string Script = "Script";
    public const string Conditional = "Conditional";
    public const string End = "End";

    public static readonly IReadOnlyList<string> Known =
    [
        Transform, Script, Conditional, End,
        "Agent", "Fleet", "HTTP", "Wait", "Parallel", "Join", "Approval", "HumanApproval", "Slack", "Discord", "Response",
    ];

    /// <summary>The canonical spelling of <paramref name="type"/> (case-insensitive), or null when unknown.</summary>
    public static string? Canonical(string type) =>
        Known.FirstOrDefault(k => string.Equals(k, type, StringComparison.OrdinalIgnoreCase));

    /// <summary>The implicit entry node every flow's connections start from.</summary>
    public const string Start = "start";
}
