using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Aof.Core.Queue;

/// <summary>/health readiness: the broker answers a ping within a short time.</summary>
public sealed class QueueHealthCheck(IMessageQueue queue) : IHealthCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(Timeout);
        try
        {
            return await queue.PingAsync(cts.Token).ConfigureAwait(false)
                ? HealthCheckResult.Healthy($"{queue.Backend} queue reachable")
                : new HealthCheckResult(context.Registration.FailureStatus, $"{queue.Backend} queue unreachable");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"{queue.Backend} queue did not answer within {Timeout.TotalSeconds:0}s");
        }
    }
}
