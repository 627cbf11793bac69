using Aof.Core.Resources;

namespace Aof.Runtime.Flows;

/// <summary>
/// Runs one node type (<see cref="Type"/> matches <c>type:</c> in the flow, case-insensitively). Throw
/// <see cref="Execution.PermanentExecutionException"/> for a bad definition and anything else for a retryable
/// failure; the flow executor prefixes messages with the flow and node.
/// </summary>
public interface INodeHandler
{
    string Type { get; }

    Task<NodeResult> ExecuteAsync(FlowNode node, FlowContext context, CancellationToken ct);
}
