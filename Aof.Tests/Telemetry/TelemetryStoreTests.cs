using Aof.AppHost.Telemetry.Store;

namespace Aof.Tests.Telemetry;

/// <summary>The store's bounds and grouping, fed directly.</summary>
public sealed class TelemetryStoreTests
{
    private static readonly TelemetryResource Gateway = new("gateway", "gateway", new Dictionary<string, string>());
    private static readonly TelemetryResource Worker0 = new("worker", "worker-0", new Dictionary<string, string>());
    private static readonly TelemetryResource Worker1 = new("worker", "worker-1", new Dictionary<string, string>());
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Spans_of_one_trace_from_two_services_join_one_trace_whatever_order_they_arrive_in()
    {
        var store = new TelemetryStore();
        store.AddSpans([Span("t1", "b", "a", "process", Worker0, 2)]);
        store.AddSpans([Span("t1", "a", null, "receive", Gateway, 1), Span("t2", "c", null, "other", Gateway, 5)]);
        store.AddSpans([Span("t1", "a", null, "receive", Gateway, 1)]); // sent again by a retrying exporter

        var trace = store.GetTrace("T1".ToLowerInvariant())!;
        Assert.Equal(["receive", "process"], trace.Spans.Select(s => s.Name));
        Assert.Equal(["gateway", "worker"], trace.Services);
        Assert.Equal("receive", trace.Root.Name);
        Assert.Equal(3, store.SpanCount);
        Assert.Equal(["t2", "t1"], store.GetTraces().Select(t => t.TraceId)); // newest first
        Assert.Equal(["t1"], store.GetTraces(new TraceQuery { Service = "worker" }).Select(t => t.TraceId));
        Assert.Single(store.GetTraces(new TraceQuery { Limit = 1 }));
        Assert.Equal(["t2"], store.GetTraces(new TraceQuery { Since = T0.AddSeconds(4) }).Select(t => t.TraceId));
    }

    [Fact]
    public void Past_max_spans_whole_traces_go_oldest_first()
    {
        var store = new TelemetryStore(new TelemetryStoreOptions { MaxSpans = 4 });
        store.AddSpans([Span("t1", "a", null, "one", Gateway, 1), Span("t1", "b", "a", "one-child", Gateway, 1)]);
        store.AddSpans([Span("t2", "c", null, "two", Gateway, 2), Span("t2", "d", "c", "two-child", Gateway, 2)]);
        store.AddSpans([Span("t3", "e", null, "three", Gateway, 3)]);

        Assert.Null(store.GetTrace("t1"));
        Assert.NotNull(store.GetTrace("t2"));
        Assert.NotNull(store.GetTrace("t3"));
        Assert.Equal(3, store.SpanCount);
        Assert.Equal(2, store.TraceCount);
    }

    [Fact]
    public void Metric_points_keep_a_ring_per_series_and_the_least_recently_updated_series_goes_first()
    {
        var store = new TelemetryStore(new TelemetryStoreOptions { MaxPointsPerSeries = 3, MaxMetricSeries = 2 });
        for (var i = 0; i < 5; i++) store.AddMetrics([Sample("aof.queue.depth", Worker0, "pending", i)]);
        store.AddMetrics([Sample("aof.queue.depth", Worker1, "pending", 10)]);

        var w0 = store.GetMetrics(new MetricQuery { Name = "aof.queue.depth" }).Single(s => s.Resource.Instance == "worker-0");
        Assert.Equal([2.0, 3.0, 4.0], w0.Points.Select(p => p.Value!.Value));
        Assert.Equal(2, store.GetMetrics().Count);
        Assert.Equal(2, store.GetMetrics(new MetricQuery { Since = T0.AddSeconds(4) }).Count);
        Assert.Equal(4.0, store.GetMetrics(new MetricQuery { Since = T0.AddSeconds(4) }).Single(s => s.Resource.Instance == "worker-0").Points.Single().Value);

        store.AddMetrics([Sample("aof.queue.depth", Worker0, "pending", 11)]);
        store.AddMetrics([Sample("aof.queue.depth", Worker0, "delayed", 12)]); // a third series: worker-1's, updated longest ago, goes
        Assert.Equal(["delayed", "pending"], store.GetMetrics().Select(s => s.Attributes["state"]).Order());
        Assert.All(store.GetMetrics(), s => Assert.Equal("worker-0", s.Resource.Instance));
    }

    [Fact]
    public void Logs_are_a_ring_and_come_back_newest_first()
    {
        var store = new TelemetryStore(new TelemetryStoreOptions { MaxLogs = 3 });
        store.AddLogs(Enumerable.Range(0, 5).Select(i => Log(i)).ToList());

        Assert.Equal(["4", "3", "2"], store.GetLogs().Select(l => l.Message));
        Assert.Equal(["4"], store.GetLogs(new LogQuery { Limit = 1 }).Select(l => l.Message));
        Assert.Equal(["3", "2"], store.GetLogs(new LogQuery { Since = T0.AddSeconds(2), Service = "worker" }).Select(l => l.Message).Skip(1));
    }

    [Fact]
    public void Every_change_raises_the_version_and_the_event()
    {
        var store = new TelemetryStore();
        var raised = 0;
        store.Changed += (_, _) => raised++;
        store.AddSpans([Span("t1", "a", null, "x", Gateway, 1)]);
        store.AddMetrics([Sample("m", Gateway, "s", 1)]);
        store.AddLogs([Log(1)]);
        store.AddLogs([]);
        Assert.Equal(3, raised);
        Assert.Equal(3, store.Version);
        Assert.Equal(["gateway", "worker"], store.GetServices());
    }

    private static SpanData Span(string traceId, string spanId, string? parent, string name, TelemetryResource resource, int second) =>
        new(traceId, spanId, parent, name, SpanKind.Internal, resource, "Aof", T0.AddSeconds(second), T0.AddSeconds(second + 0.5),
            SpanStatus.Unset, null, new Dictionary<string, string>(), []);

    private static MetricSample Sample(string name, TelemetryResource resource, string state, int second) =>
        new(name, "", "", MetricKind.Gauge, false, false, resource, new Dictionary<string, string> { ["state"] = state },
            new MetricPoint(T0.AddSeconds(second), null, second, null));

    private static LogEntry Log(int second) =>
        new(T0.AddSeconds(second), Worker0, "Aof", 9, "Information", second.ToString(System.Globalization.CultureInfo.InvariantCulture), null, null,
            new Dictionary<string, string>());
}
