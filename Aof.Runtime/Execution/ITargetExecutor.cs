using Aof.Core.Events;

namespace Aof.Runtime.Execution;

/// <summary>Runs one kind of target (agent, fleet, flow). Throw <see cref="PermanentExecutionException"/> for what must not be retried.</summary>
public interface ITargetExecutor
{
    TargetKind Kind { get; }

    Task<ExecutionResult> ExecuteAsync(ExecutionRequest request, CancellationToken ct);

    /// <summary>Whether executing <paramref name="envelope"/> may suspend it (a flow's Wait or Approval), which writes to its execution record.</summary>
    bool MaySuspend(EventEnvelope envelope) => false;
}
