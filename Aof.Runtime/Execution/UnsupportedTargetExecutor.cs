using Aof.Core.Events;
using Aof.Core.Queue;

namespace Aof.Runtime.Execution;

/// <summary>
/// Placeholder for target kinds a host did not enable (Agent, Fleet without AddAofAgents): it dead-letters honestly instead
/// of pretending. A real executor registered for the same kind takes precedence (see <see cref="TargetExecutorRegistry"/>).
/// </summary>
public sealed class UnsupportedTargetExecutor(TargetKind kind) : ITargetExecutor
{
    public TargetKind Kind { get; } = kind;

    public Task<ExecutionResult> ExecuteAsync(ExecutionRequest request, CancellationToken ct) =>
        throw new PermanentExecutionException(
            DeadLetterReasons.Unsupported,
            $"{request.Envelope.Target} cannot run: {Kind} targets are not supported by this runtime yet (the host did not register them: AddAofAgents())");
}
