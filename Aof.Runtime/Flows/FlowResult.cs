using System.Text.Json.Nodes;
using Aof.Runtime.Flows.Expressions;

namespace Aof.Runtime.Flows;

/// <summary>A finished flow: its output (the End node's, else the last node's) and the node ids in the order they ran.</summary>
public sealed record FlowResult(JsonNode? Output, IReadOnlyList<string> Visited)
{
    /// <summary>Set when the flow suspended: its state is saved and the message must come back after this long.</summary>
    public TimeSpan? DeferFor { get; init; }

    /// <summary>Set when the flow ended on a rejected approval with no branch for it: the reason.</summary>
    public string? Rejected { get; init; }

    /// <summary>The output as stored in the execution record: strings as they are, other values as JSON, nothing as null.</summary>
    public string? OutputText => Output is null ? null : JsonValues.ToText(Output);
}
