using Microsoft.Extensions.Diagnostics.HealthChecks;
using NATS.Client.Core;
using StackExchange.Redis;

namespace Aof.Core.Hosting;

/// <summary>
/// The client integration's own check, as Aspire adds one per Redis / NATS client ("redis", "nats"): the
/// connection answers a PING. Left out when the Aspire section says <c>DisableHealthChecks</c>.
/// </summary>
public sealed class BrokerClientHealthCheck(string name, Func<CancellationToken, Task> ping) : IHealthCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    public static BrokerClientHealthCheck Redis(IConnectionMultiplexer redis) =>
        new("redis", async ct => await redis.GetDatabase().PingAsync().WaitAsync(ct).ConfigureAwait(false));

    public static BrokerClientHealthCheck Nats(INatsConnection nats) =>
        new("nats", async ct => await nats.PingAsync(ct).ConfigureAwait(false));

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(Timeout);
        try
        {
            await ping(cts.Token).ConfigureAwait(false);
            return HealthCheckResult.Healthy($"{name} answers");
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"{name} does not answer: {ex.Message}");
        }
    }
}
