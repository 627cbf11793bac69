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

    /// <summary>
    /// True for nodes that may suspend the flow (Wait, Approval). Only a flow holding one can have a saved checkpoint,
    /// so the executor reads the store for one only then: other flows cost no extra read per execution.
    /// </summary>
    bool CanSuspend => false;

    Task<NodeResult> ExecuteAsync(FlowNode node, FlowContext context, CancellationToken ct);
}
