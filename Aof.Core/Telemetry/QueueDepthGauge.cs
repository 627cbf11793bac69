using System.Diagnostics.Metrics;
using Aof.Core.Events;
using Aof.Core.Queue;

namespace Aof.Core.Telemetry;

/// <summary>
/// Feeds <c>aof.queue.depth</c> (by <c>state</c> and <c>priority</c>) from <see cref="IMessageQueue.GetStatsAsync"/>.
/// A scrape or export reads the last sample and never waits on the broker; when that sample is older than
/// <see cref="Interval"/>, one refresh starts in the background. So the broker sees at most one stats call per
/// interval, and none while nobody collects metrics. States: ready and in_flight per priority lane; delayed and
/// dead_lettered for the whole queue (priority "all").
/// </summary>
public sealed class QueueDepthGauge : IDisposable
{
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan StatsTimeout = TimeSpan.FromSeconds(5);

    // Every live gauge in the process (normally one); the instrument is one and static, as instruments should be.
    private static readonly Lock Registry = new();
    private static readonly List<QueueDepthGauge> Live = [];

    private readonly Func<CancellationToken, Task<QueueStats>> _stats;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _disposed = new();
    private Measurement<long>[] _latest = [];
    private long _sampledAt = long.MinValue;
    private int _refreshing;

    public QueueDepthGauge(IMessageQueue queue, TimeSpan? interval = null, TimeProvider? time = null)
        : this(queue.GetStatsAsync, interval, time)
    {
    }

    /// <summary>With any source of stats (tests count the calls).</summary>
    public QueueDepthGauge(Func<CancellationToken, Task<QueueStats>> stats, TimeSpan? interval = null, TimeProvider? time = null)
    {
        _stats = stats;
        _time = time ?? TimeProvider.System;
        Interval = interval ?? DefaultInterval;
        _ = AofTelemetry.QueueDepth; // the instrument exists once a gauge does
        lock (Registry) Live.Add(this);
        StartRefresh(); // a first sample before the first scrape
    }

    public TimeSpan Interval { get; }

    /// <summary>Completes when the refresh in progress (if any) is done; for tests and orderly shutdown.</summary>
    public Task Refreshing { get; private set; } = Task.CompletedTask;

    internal static IEnumerable<Measurement<long>> ObserveAll()
    {
        QueueDepthGauge[] live;
        lock (Registry) live = [.. Live];
        return live.SelectMany(g => g.Observe());
    }

    /// <summary>What the instrument reports for this gauge: the last sample (starting a refresh when it is stale).</summary>
    internal Measurement<long>[] Observe()
    {
        if (_time.GetElapsedTime(Interlocked.Read(ref _sampledAt)) >= Interval) StartRefresh();
        return Volatile.Read(ref _latest);
    }

    private void StartRefresh()
    {
        if (_disposed.IsCancellationRequested || Interlocked.CompareExchange(ref _refreshing, 1, 0) != 0) return;
        Interlocked.Exchange(ref _sampledAt, _time.GetTimestamp());
        Refreshing = Task.Run(RefreshAsync);
    }

    private async Task RefreshAsync()
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_disposed.Token);
            timeout.CancelAfter(StatsTimeout);
            Volatile.Write(ref _latest, ToMeasurements(await _stats(timeout.Token).ConfigureAwait(false)));
        }
        catch (Exception)
        {
            // Whatever stopped this sample (broker away, timeout, shutdown): the last sample stays and the next interval
            // tries again. A metric must never take the service down; /health reports the broker.
        }
        finally
        {
            Volatile.Write(ref _refreshing, 0);
        }
    }

    internal static Measurement<long>[] ToMeasurements(QueueStats stats)
    {
        var result = new List<Measurement<long>>();
        foreach (var (priority, lane) in stats.ByPriority.OrderBy(p => p.Key))
        {
            result.Add(Measure(lane.Ready, "ready", priority.ToWire()));
            result.Add(Measure(lane.InFlight, "in_flight", priority.ToWire()));
        }
        result.Add(Measure(stats.Delayed, "delayed", "all"));
        result.Add(Measure(stats.DeadLettered, "dead_lettered", "all"));
        return [.. result];
    }

    private static Measurement<long> Measure(long value, string state, string priority) =>
        new(value, new KeyValuePair<string, object?>("state", state), new KeyValuePair<string, object?>("priority", priority));

    public void Dispose()
    {
        lock (Registry) Live.Remove(this);
        _disposed.Cancel();
    }
}
