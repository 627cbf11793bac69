using Aof.Core.Events;
using Aof.Core.Queue;
using Aof.Core.Resources;
using Aof.Runtime.Flows;

namespace Aof.Runtime.Execution;

/// <summary>Runs <c>target.kind: flow</c>: looks the AgentFlow up in the catalog and walks it.</summary>
public sealed class FlowTargetExecutor(ResourceCatalog catalog, FlowExecutor flows) : ITargetExecutor
{
    public TargetKind Kind => TargetKind.Flow;

    public async Task<ExecutionResult> ExecuteAsync(ExecutionRequest request, CancellationToken ct)
    {
        var name = request.Envelope.Target.Name;
        if (!catalog.Flows.TryGetValue(name, out var flow))
            throw new PermanentExecutionException(DeadLetterReasons.UnknownTarget, $"no AgentFlow named '{name}' is loaded");

        var result = await flows.ExecuteAsync(flow, request, ct);
        return new ExecutionResult(result.OutputText) { DeferFor = result.DeferFor, Rejected = result.Rejected };
    }

    public bool MaySuspend(EventEnvelope envelope) =>
        catalog.Flows.TryGetValue(envelope.Target.Name, out var flow) && flows.MaySuspend(flow);
}
