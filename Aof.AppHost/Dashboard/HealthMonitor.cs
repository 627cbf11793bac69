using System.Collections.Concurrent;
using Aof.AppHost.Hosting.Orchestration;
using Microsoft.Extensions.Hosting;

namespace Aof.AppHost.Dashboard;

/// <summary>
/// Probes every running replica in the background (every few seconds) so the Resources page shows health without a
/// probe per page view: Healthy, Unhealthy, or nothing while it is not running.
/// </summary>
public sealed class HealthMonitor(DistributedApplication app) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(3);
    private readonly ConcurrentDictionary<string, bool> _healthy = new(StringComparer.Ordinal);

    /// <summary>"Healthy" / "Unhealthy" from the last probe of a running replica; null when it is not running.</summary>
    public string? HealthOf(ReplicaSupervisor replica)
    {
        if (replica.State != ReplicaState.Running) return null;
        // Until the first probe, the orchestrator's own health check (which made it Running) stands.
        return !_healthy.TryGetValue(replica.Name, out var healthy) || healthy ? "Healthy" : "Unhealthy";
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                foreach (var replica in app.Replicas.Where(r => r.State == ReplicaState.Running))
                    _healthy[replica.Name] = await replica.Resource.IsHealthyAsync(replica.Replica, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
