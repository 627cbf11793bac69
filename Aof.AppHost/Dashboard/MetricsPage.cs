using System.Text;
using System.Text.Json;
using Aof.AppHost.Telemetry.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;
using static Aof.AppHost.Dashboard.Html;

namespace Aof.AppHost.Dashboard;

/// <summary>
/// The pipeline's charts over the last minutes, from the metrics the services export to the AppHost over OTLP:
/// webhooks/s received and accepted, events/s by outcome, queue depth by state, p50/p95/p99 of processing and
/// end-to-end latency, retries and dead letters per second. SVG drawn on the server; the page swaps in fresh charts
/// pushed over server-sent events every few seconds.
/// </summary>
public static class MetricsPage
{
    public const string WebhooksReceived = "aof.webhooks.received";
    public const string EventsProcessed = "aof.events.processed";
    public const string Retried = "aof.events.retried";
    public const string DeadLettered = "aof.events.dead_lettered";
    public const string ProcessingDuration = "aof.event.processing.duration";
    public const string EndToEndDuration = "aof.event.end_to_end.duration";
    public const string QueueDepth = "aof.queue.depth";

    private const int Buckets = 60;
    private static readonly int[] Windows = [1, 5, 15];
    private static readonly TimeSpan PushInterval = TimeSpan.FromSeconds(3);

    public static void Map(IEndpointRouteBuilder web)
    {
        web.MapGet("/metrics", (TelemetryStore store, int? minutes) =>
        {
            var window = Window(minutes);
            var picker = new StringBuilder("""<form class="filters" method="get" action="/metrics"><label>Last <select name="minutes" onchange="this.form.submit()">""");
            foreach (var m in Windows)
                picker.Append($"""<option value="{m}"{(TimeSpan.FromMinutes(m) == window ? " selected" : "")}>{m} min</option>""");
            picker.Append("""</select></label><span class="muted" id="status"></span></form>""");
            return Page("Metrics", "/metrics", picker + $"""<div class="charts" id="charts">{Charts(store, window, DateTimeOffset.UtcNow)}</div>""", Script);
        });
        web.MapGet("/metrics/stream", StreamAsync);
    }

    private static TimeSpan Window(int? minutes) => TimeSpan.FromMinutes(minutes is { } m && Windows.Contains(m) ? m : 5);

    private static async Task StreamAsync(HttpContext context, TelemetryStore store, IHostApplicationLifetime lifetime, int? minutes)
    {
        // Ends with the page or with the dashboard: an open page must not hold up the AppHost's shutdown.
        using var streaming = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        var ct = streaming.Token;
        var window = Window(minutes);
        context.Response.Headers.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        try
        {
            using var timer = new PeriodicTimer(PushInterval);
            do
            {
                var html = Charts(store, window, DateTimeOffset.UtcNow);
                await context.Response.WriteAsync($"event: charts\ndata: {JsonSerializer.Serialize(html)}\n\n", ct);
                await context.Response.Body.FlushAsync(ct);
            }
            while (await timer.WaitForNextTickAsync(ct));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // the page was closed, or the AppHost stops
        }
    }

    /// <summary>Every chart of the page for the window ending at <paramref name="now"/>.</summary>
    public static string Charts(TelemetryStore store, TimeSpan window, DateTimeOffset now)
    {
        var from = now - window;
        var math = new MetricMath(from, now, Buckets);
        var series = store.GetMetrics(new MetricQuery { Since = math.QueryFrom });
        IEnumerable<MetricSeries> Named(string name) => series.Where(s => s.Name == name);
        static string Attr(MetricSeries s, string key) => s.Attributes.TryGetValue(key, out var v) ? v : "";

        var received = Named(WebhooksReceived).ToList();
        var html = new StringBuilder();
        html.Append(SvgChart.Render("webhooks", "Webhooks per second", "/s",
        [
            new ChartLine("received", math.Rate(received)),
            new ChartLine("accepted", math.Rate(received.Where(s => Attr(s, "outcome") == "accepted"))),
        ], window));

        var processed = Named(EventsProcessed).ToList();
        html.Append(SvgChart.Render("events", "Events processed per second, by outcome", "/s",
            processed.Select(s => Attr(s, "outcome")).Distinct().Order(StringComparer.Ordinal)
                .Select(outcome => new ChartLine(outcome, math.Rate(processed.Where(s => Attr(s, "outcome") == outcome)))).ToList(), window));

        // Every service reports the depth of the one queue: counted once per priority lane, lanes added up.
        var depth = Named(QueueDepth).ToList();
        html.Append(SvgChart.Render("depth", "Queue depth by state", "",
            depth.Select(s => Attr(s, "state")).Distinct().Order(StringComparer.Ordinal)
                .Select(state => new ChartLine(state == "" ? "messages" : state,
                    math.Gauge(depth.Where(s => Attr(s, "state") == state), s => Attr(s, "priority")))).ToList(), window));

        foreach (var (id, name, title) in new[]
                 {
                     ("processing", ProcessingDuration, "Processing latency (p50 / p95 / p99)"),
                     ("end-to-end", EndToEndDuration, "End-to-end latency, publish to done (p50 / p95 / p99)"),
                 })
        {
            var histograms = Named(name).ToList();
            html.Append(SvgChart.Render(id, title, "s",
            [
                new ChartLine("p50", math.Percentile(histograms, 0.50)),
                new ChartLine("p95", math.Percentile(histograms, 0.95)),
                new ChartLine("p99", math.Percentile(histograms, 0.99)),
            ], window));
        }

        html.Append(SvgChart.Render("failures", "Retries and dead letters per second", "/s",
        [
            new ChartLine("retries", math.Rate(Named(Retried))),
            new ChartLine("dead letters", math.Rate(Named(DeadLettered))),
        ], window));
        return html.ToString();
    }

    private const string Script = """
        const status = document.getElementById('status');
        const es = new EventSource('/metrics/stream' + location.search);
        es.onopen = () => status.textContent = 'live';
        es.onerror = () => status.textContent = 'reconnecting…';
        es.addEventListener('charts', (e) => { document.getElementById('charts').innerHTML = JSON.parse(e.data); });
        """;
}
