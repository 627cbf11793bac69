using Aof.Core.Events;

namespace Aof.Runtime.Execution;

/// <summary>Runs one kind of target (agent, fleet, flow). Throw <see cref="PermanentExecutionException"/> for what must not be retried.</summary>
public interface ITargetExecutor
{
    TargetKind Kind { get; }

    Task<ExecutionResult> ExecuteAsync(ExecutionRequest request, CancellationToken ct);
}
