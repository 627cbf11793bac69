using Aof.AppHost.Dashboard;
using Aof.AppHost.Hosting.Builder;
using Aof.AppHost.Telemetry.Store;

namespace Aof.Tests.Dashboard;

public sealed class ConsoleLogStoreTests
{
    [Fact]
    public void Each_source_keeps_its_own_bounded_ring_so_a_chatty_one_does_not_push_out_a_quiet_one()
    {
        var store = new ConsoleLogStore(linesPerSource: 5);
        store.Add("redis", "Ready to accept connections");
        for (var i = 0; i < 100; i++) store.Add("worker-0", $"line {i}");

        Assert.Equal(["line 95", "line 96", "line 97", "line 98", "line 99"], store.Recent("worker-0", null).Select(l => l.Text));
        Assert.Equal("Ready to accept connections", Assert.Single(store.Recent("redis", null)).Text);
        var all = store.Recent(null, null);
        Assert.Equal(6, all.Count);
        Assert.Equal(all.OrderBy(l => l.Sequence), all); // all sources interleaved in write order
    }

    [Fact]
    public void Search_is_case_insensitive_and_after_skips_what_a_reconnecting_page_already_has()
    {
        var store = new ConsoleLogStore();
        store.Add("gateway", "Webhook ACCEPTED");
        store.Add("gateway", "webhook rejected");
        store.Add("gateway", "webhook accepted again");

        Assert.Equal(["Webhook ACCEPTED", "webhook accepted again"], store.Recent("gateway", "accepted").Select(l => l.Text));
        var first = store.Recent("gateway", null)[0];
        Assert.Equal(2, store.Recent("gateway", null, after: first.Sequence).Count);
        Assert.Empty(store.Recent("nobody", null));
    }

    [Fact]
    public async Task A_subscriber_receives_lines_added_after_it_subscribed()
    {
        var store = new ConsoleLogStore();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await using var live = store.SubscribeAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        var next = live.MoveNextAsync();
        store.Add("worker-1", "hello");
        Assert.True(await next);
        Assert.Equal(("worker-1", "hello"), (live.Current.Source, live.Current.Text));
    }
}

public sealed class DashboardOptionsTests
{
    private static readonly string Examples = Path.Combine(AppHostOptions.ProjectDirectory, "..", "examples");

    [Fact]
    public void The_dashboard_defaults_to_localhost_18888_and_can_be_moved_or_turned_off()
    {
        Assert.Equal(new Uri("http://localhost:18888"), AppHostOptions.Parse(["--examples", Examples]).DashboardUrl);
        Assert.Equal(new Uri("http://0.0.0.0:9000"), AppHostOptions.Parse(["--examples", Examples, "--dashboard", "http://0.0.0.0:9000"]).DashboardUrl);
        Assert.Null(AppHostOptions.Parse(["--examples", Examples, "--no-dashboard"]).DashboardUrl);
        Assert.Equal("s3cret", AppHostOptions.Parse(["--examples", Examples, "--dashboard-token", "s3cret"]).DashboardToken);
    }

    [Theory]
    [InlineData("localhost:18888")]
    [InlineData("https://localhost:18888")]
    [InlineData("http://localhost:18888/dash")]
    [InlineData("not a url")]
    public void A_bad_dashboard_address_is_a_clear_error(string url)
    {
        var error = Assert.Throws<ArgumentException>(() => AppHostOptions.Parse(["--examples", Examples, "--dashboard", url]));
        Assert.Contains("--dashboard must be an http URL", error.Message);
    }

    [Theory]
    [InlineData("http://localhost:18888", true)]
    [InlineData("http://127.0.0.1:0", true)]
    [InlineData("http://[::1]:18888", true)]
    [InlineData("http://0.0.0.0:18888", false)]
    [InlineData("http://dashboard.example:18888", false)]
    public void Only_loopback_addresses_go_without_a_token(string url, bool loopback) =>
        Assert.Equal(loopback, DashboardServer.IsLoopback(new Uri(url)));

    [Fact]
    public void The_token_check_accepts_only_the_token()
    {
        var auth = new DashboardAuth("right");
        Assert.True(auth.TokenRequired);
        Assert.True(auth.IsValidToken("right"));
        Assert.False(auth.IsValidToken("wrong"));
        Assert.False(auth.IsValidToken(""));
        Assert.False(new DashboardAuth(null).TokenRequired);
    }
}

public sealed class MetricMathTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TelemetryResource Worker = new("worker", "worker-0", new Dictionary<string, string>());

    private static MetricSeries Counter(params (int Second, double Value)[] points) =>
        new("aof.events.processed", "", "", MetricKind.Sum, true, true, Worker, new Dictionary<string, string>(),
            points.Select(p => new MetricPoint(T0.AddSeconds(p.Second), T0, p.Value, null)).ToList());

    [Fact]
    public void A_cumulative_counter_becomes_a_rate_spread_over_the_time_between_exports()
    {
        var math = new MetricMath(T0, T0.AddSeconds(60), buckets: 6); // 10 s buckets
        var rate = math.Rate([Counter((0, 0), (20, 40), (40, 40), (60, 100))]);

        Assert.Equal([2, 2, 0, 0, 3, 3], rate.Select(v => v!.Value));
    }

    [Fact]
    public void A_counter_that_restarts_from_zero_counts_its_new_value_not_a_negative_rate()
    {
        var math = new MetricMath(T0, T0.AddSeconds(20), buckets: 2);
        var rate = math.Rate([Counter((0, 100), (10, 150), (20, 30))]);

        Assert.Equal([5, 3], rate.Select(v => v!.Value));
    }

    [Fact]
    public void A_series_that_began_inside_the_window_counts_its_first_export_from_zero()
    {
        var math = new MetricMath(T0, T0.AddSeconds(30), buckets: 3);
        var started = new MetricSeries("aof.webhooks.received", "", "", MetricKind.Sum, true, true, Worker, new Dictionary<string, string>(),
            [new MetricPoint(T0.AddSeconds(20), T0.AddSeconds(10), 30, null)]);

        var rate = math.Rate([started]);

        Assert.Null(rate[0]);
        Assert.Equal(3, rate[1]);
    }

    [Fact]
    public void Rates_of_several_instances_add_up_and_buckets_without_data_are_gaps()
    {
        var math = new MetricMath(T0, T0.AddSeconds(40), buckets: 4);
        var rate = math.Rate([Counter((0, 0), (10, 10)), Counter((0, 0), (10, 30))]);

        Assert.Equal(4, rate[0]);
        Assert.Null(rate[2]);
    }

    [Fact]
    public void Queue_depth_reported_by_several_services_is_counted_once_per_lane_and_lanes_add_up()
    {
        MetricSeries Depth(string instance, string priority, double value) => new("aof.queue.depth", "", "{message}", MetricKind.Gauge,
            false, false, new TelemetryResource("svc", instance, new Dictionary<string, string>()),
            new Dictionary<string, string> { ["state"] = "ready", ["priority"] = priority }, [new MetricPoint(T0.AddSeconds(5), null, value, null)]);
        var math = new MetricMath(T0, T0.AddSeconds(10), buckets: 1);

        var depth = math.Gauge([Depth("gateway", "high", 3), Depth("worker-0", "high", 3), Depth("worker-1", "low", 4)], s => s.Attributes["priority"]);

        Assert.Equal(7, depth[0]);
    }

    [Fact]
    public void Percentiles_interpolate_inside_the_histogram_bucket_that_holds_them()
    {
        // 100 observations: 50 in (0, 0.1], 40 in (0.1, 0.5], 10 in (0.5, 1].
        double[] bounds = [0.1, 0.5, 1];
        double[] counts = [50, 40, 10, 0];
        Assert.Equal(0.1, MetricMath.Quantile(bounds, counts, 0.50)!.Value, 6);
        Assert.Equal(0.75, MetricMath.Quantile(bounds, counts, 0.95)!.Value, 6);
        Assert.Null(MetricMath.Quantile(bounds, [0, 0, 0, 0], 0.5));
    }

    [Fact]
    public void Histogram_percentiles_use_the_observations_between_two_cumulative_exports()
    {
        HistogramValue H(ulong a, ulong b) => new(a + b, null, null, null, [0.1, 1], [a, b, 0]);
        var series = new MetricSeries("aof.event.processing.duration", "", "s", MetricKind.Histogram, false, true, Worker,
            new Dictionary<string, string>(),
            [
                new MetricPoint(T0.AddSeconds(1), T0.AddHours(-1), null, H(100, 0)), // a baseline: 100 fast ones long before
                new MetricPoint(T0.AddSeconds(11), T0.AddHours(-1), null, H(100, 10)), // in the second bucket: 10 slow ones only
            ]);
        var p50 = new MetricMath(T0, T0.AddSeconds(20), buckets: 2).Percentile([series], 0.5);

        Assert.Null(p50[0]);
        Assert.Equal(0.55, p50[1]!.Value, 6);
    }

    [Fact]
    public void The_metrics_page_draws_a_chart_per_signal_and_says_when_there_is_no_data()
    {
        var store = new TelemetryStore();
        var resource = new TelemetryResource("gateway", "gateway", new Dictionary<string, string>());
        var now = DateTimeOffset.UtcNow;
        store.AddMetrics(
        [
            new MetricSample("aof.webhooks.received", "", "", MetricKind.Sum, true, true, resource,
                new Dictionary<string, string> { ["outcome"] = "accepted" }, new MetricPoint(now.AddSeconds(-20), now.AddMinutes(-1), 0, null)),
            new MetricSample("aof.webhooks.received", "", "", MetricKind.Sum, true, true, resource,
                new Dictionary<string, string> { ["outcome"] = "accepted" }, new MetricPoint(now.AddSeconds(-10), now.AddMinutes(-1), 50, null)),
        ]);

        var html = MetricsPage.Charts(store, TimeSpan.FromMinutes(5), now);

        Assert.Contains("<div class=\"chart\" id=\"webhooks\"><h3>Webhooks per second</h3><svg", html);
        Assert.Contains("data-line=\"accepted\"", html);
        Assert.Contains("accepted <b>5/s</b>", html);
        Assert.Contains("<div class=\"chart\" id=\"depth\"><h3>Queue depth by state</h3><p class=\"muted nodata\">no data", html);
    }
}

public sealed class TraceWaterfallTests
{
    [Fact]
    public void Spans_are_ordered_parent_before_children_and_a_span_whose_parent_is_missing_is_a_root()
    {
        var t0 = DateTimeOffset.UtcNow;
        SpanData Span(string id, string? parent, int startMs, string service) => new("t", id, parent, id, SpanKind.Internal,
            new TelemetryResource(service, null, new Dictionary<string, string>()), "Aof", t0.AddMilliseconds(startMs),
            t0.AddMilliseconds(startMs + 5), SpanStatus.Unset, null, new Dictionary<string, string>(), []);
        var trace = new TraceData("t", [Span("receive", null, 0, "gateway"), Span("process", "publish", 20, "worker"),
            Span("publish", "receive", 2, "gateway"), Span("node", "process", 22, "worker"), Span("orphan", "gone", 1, "worker")]);

        var ordered = TracesPage.Ordered(trace).Select(x => $"{x.Span.SpanId}:{x.Depth}");

        Assert.Equal(["receive:0", "publish:1", "process:2", "node:3", "orphan:0"], ordered);
    }
}

public sealed class DashboardStartupTests
{
    [Fact]
    public async Task A_dashboard_port_in_use_stops_the_start_with_a_clear_error_before_anything_runs()
    {
        using var resources = new Aof.Tests.AppHost.AppHostResources();
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Aof.Tests.AppHost.AppHostTestingBuilder.StartAsync(
                [.. resources.Args(), "--dashboard", $"http://127.0.0.1:{port}"], null, TimeSpan.FromSeconds(60)));

            Assert.Contains($"cannot listen on http://127.0.0.1:{port}/", error.Message);
            Assert.Contains("--no-dashboard", error.Message);
            Assert.DoesNotContain("starting redis", error.Message);
        }
        finally
        {
            listener.Stop();
        }
    }
}
