using System.Diagnostics.Metrics;
using Aof.Core.Events;
using Aof.Core.Queue;
using Aof.Core.Queue.InMemory;
using Aof.Core.Telemetry;

namespace Aof.Tests.Telemetry;

/// <summary><c>aof.queue.depth</c>: by state and priority, from the queue's stats, never a stats call per scrape.</summary>
public sealed class QueueDepthGaugeTests
{
    [Fact]
    public async Task The_gauge_reports_ready_and_in_flight_per_priority_and_delayed_and_dead_lettered()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await using var queue = new InMemoryMessageQueue(new QueueOptions { Prefix = "depth-" + Guid.NewGuid().ToString("N")[..8] });
        await queue.InitializeAsync(cts.Token);
        await queue.PublishAsync([Message(Priority.High), Message(Priority.High), Message(Priority.Low)], null, cts.Token);
        var leased = await queue.FetchAsync(1, TimeSpan.FromSeconds(1), cts.Token);
        Assert.Equal(Priority.High, Assert.Single(leased).Priority);

        var calls = 0;
        using var gauge = new QueueDepthGauge(ct => { Interlocked.Increment(ref calls); return queue.GetStatsAsync(ct); }, TimeSpan.FromHours(1));
        await gauge.Refreshing.WaitAsync(cts.Token);

        // Scraped many times within the interval: the first sample serves them all.
        Dictionary<(string State, string Priority), long> seen = [];
        for (var i = 0; i < 20; i++) seen = Collect(gauge);
        Assert.Equal(1, calls);

        Assert.Equal(1, seen[("ready", "high")]);
        Assert.Equal(1, seen[("in_flight", "high")]);
        Assert.Equal(1, seen[("ready", "low")]);
        Assert.Equal(0, seen[("ready", "normal")]);
        Assert.Equal(0, seen[("delayed", "all")]);
        Assert.Equal(0, seen[("dead_lettered", "all")]);
    }

    [Fact]
    public async Task A_stale_sample_is_refreshed_in_the_background_and_a_failing_broker_keeps_the_last_sample()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var fail = false;
        var ready = 4L;
        Task<QueueStats> Stats(CancellationToken ct) => fail
            ? throw new QueueUnavailableException("broker away")
            : Task.FromResult(new QueueStats(ready, 0, 0, 0, new Dictionary<Priority, LaneStats> { [Priority.Normal] = new(ready, 0) }));
        using var gauge = new QueueDepthGauge(Stats, TimeSpan.Zero);
        await gauge.Refreshing.WaitAsync(cts.Token);
        Assert.Equal(4, Collect(gauge)[("ready", "normal")]); // this scrape starts a refresh (interval zero) ...
        await gauge.Refreshing.WaitAsync(cts.Token);

        ready = 9;
        Collect(gauge);
        await gauge.Refreshing.WaitAsync(cts.Token);
        Assert.Equal(9, Collect(gauge)[("ready", "normal")]); // ... and the next one sees its sample
        await gauge.Refreshing.WaitAsync(cts.Token);

        fail = true;
        Collect(gauge);
        await gauge.Refreshing.WaitAsync(cts.Token);
        Assert.Equal(9, Collect(gauge)[("ready", "normal")]);
    }

    [Fact]
    public async Task The_instrument_is_aof_queue_depth_on_the_aof_meter_and_reports_live_gauges()
    {
        using var gauge = new QueueDepthGauge(_ => Task.FromResult(new QueueStats(0, 0, 3, 0, new Dictionary<Priority, LaneStats>())), TimeSpan.FromHours(1));
        await gauge.Refreshing.WaitAsync(TimeSpan.FromSeconds(10));
        var seen = new List<(string Name, long Value)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == AofTelemetry.MeterName && instrument.Name == "aof.queue.depth") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => { lock (seen) seen.Add((instrument.Name, value)); });
        listener.Start();
        listener.RecordObservableInstruments();
        Assert.Contains(("aof.queue.depth", 3L), seen); // delayed = 3, from this gauge (others in the process may add theirs)
    }

    /// <summary>One scrape of this gauge: what the instrument's callback reports for it, by (state, priority).</summary>
    private static Dictionary<(string, string), long> Collect(QueueDepthGauge gauge)
    {
        var seen = new Dictionary<(string, string), long>();
        foreach (var m in gauge.Observe())
        {
            string state = "", priority = "";
            foreach (var tag in m.Tags)
            {
                if (tag.Key == "state") state = (string)tag.Value!;
                if (tag.Key == "priority") priority = (string)tag.Value!;
            }
            seen[(state, priority)] = m.Value;
        }
        return seen;
    }

    private static OutgoingMessage Message(Priority priority) => new(Guid.NewGuid().ToString("N"), priority, new byte[] { 1 }, 3);
}
