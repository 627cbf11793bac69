using Aof.Core.Events;

namespace Aof.Runtime.Execution;

/// <summary>
/// Picks the executor for an envelope's target kind. Real executors win over <see cref="UnsupportedTargetExecutor"/>
/// whatever the registration order, and among real ones the last registered wins (the usual DI override rule).
/// </summary>
public sealed class TargetExecutorRegistry
{
    private readonly Dictionary<TargetKind, ITargetExecutor> _byKind = [];

    public TargetExecutorRegistry(IEnumerable<ITargetExecutor> executors)
    {
        foreach (var e in executors)
        {
            if (e is UnsupportedTargetExecutor && _byKind.TryGetValue(e.Kind, out var existing) && existing is not UnsupportedTargetExecutor)
                continue;
            _byKind[e.Kind] = e;
        }
    }

    public ITargetExecutor Get(TargetKind kind) =>
        _byKind.TryGetValue(kind, out var e)
            ? e
            : new UnsupportedTargetExecutor(kind);

    public Task<ExecutionResult> ExecuteAsync(ExecutionRequest request, CancellationToken ct) =>
        Get(request.Envelope.Target.Kind).ExecuteAsync(request, ct);

    public bool MaySuspend(EventEnvelope envelope) => Get(envelope.Target.Kind).MaySuspend(envelope);
}
