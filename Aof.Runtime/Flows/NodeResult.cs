using System.Text.Json.Nodes;

namespace Aof.Runtime.Flows;

/// <summary>What a node produced and, for branching nodes, where the walk goes next.</summary>
public sealed record NodeResult(JsonNode? Output)
{
    /// <summary>An explicit next node (Conditional <c>true_target</c>, a case's node). Null: follow connections.</summary>
    public string? Next { get; init; }

    /// <summary>The branch a Conditional chose ("true", "false", a case label, "default").</summary>
    public string? Branch { get; init; }

    /// <summary>Every branch label the Conditional has; a connection whose <c>when</c> is another label is not followed.</summary>
    public IReadOnlyCollection<string> BranchLabels { get; init; } = [];

    /// <summary>End node: stop, this output is the flow's output.</summary>
    public bool IsEnd { get; init; }

    /// <summary>Wait / Approval: suspend the flow (state saved, message deferred) instead of going on.</summary>
    public Durable.FlowWait? Suspend { get; init; }

    /// <summary>Only connections whose <c>when</c> holds are followed, never unconditional ones (after a rejected approval).</summary>
    public bool ExplicitBranchOnly { get; init; }

    /// <summary>A rejected approval: when no connection leads on, the flow ends with status rejected and this reason.</summary>
    public string? Rejected { get; init; }
}
