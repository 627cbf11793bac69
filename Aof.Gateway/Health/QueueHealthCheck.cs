using Aof.Core.Queue;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Aof.Gateway.Health;

/// <summary>Readiness: the gateway can only accept webhooks while the broker answers (DESIGN.md: /health = broker reachable).</summary>
public sealed class QueueHealthCheck(IMessageQueue queue) : IHealthCheck
{
    public const string Name = "queue";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            return await queue.PingAsync(cancellationToken)
                ? HealthCheckResult.Healthy($"{queue.Backend} broker reachable")
                : HealthCheckResult.Unhealthy($"{queue.Backend} broker not reachable");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy($"{queue.Backend} broker not reachable", ex);
        }
    }
}
