using System.Globalization;
using System.Text;
using Aof.AppHost.Telemetry.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using static Aof.AppHost.Dashboard.Html;

namespace Aof.AppHost.Dashboard;

/// <summary>
/// The traces the services export to the AppHost over OTLP: a list filterable by service and status (refreshing
/// itself), and one trace as a waterfall: its spans in parent/child order, each a bar placed on the trace's timeline.
/// </summary>
public static class TracesPage
{
    private const int ListLimit = 200;

    public static void Map(IEndpointRouteBuilder web)
    {
        web.MapGet("/traces", (TelemetryStore store, string? service, string? status) =>
        {
            var body = new StringBuilder("""<form class="filters" method="get" action="/traces"><label>Service <select name="service" onchange="this.form.submit()"><option value="">(all)</option>""");
            foreach (var s in store.GetServices())
                body.Append($"""<option value="{E(s)}"{(s == service ? " selected" : "")}>{E(s)}</option>""");
            body.Append("""</select></label><label>Status <select name="status" onchange="this.form.submit()"><option value="">(all)</option>""");
            foreach (var s in Enum.GetNames<SpanStatus>())
                body.Append($"""<option value="{s}"{(string.Equals(s, status, StringComparison.OrdinalIgnoreCase) ? " selected" : "")}>{s}</option>""");
            body.Append($"""
                </select></label><span class="muted">{store.TraceCount} traces, {store.SpanCount} spans kept (at most {store.Options.MaxSpans} spans)</span></form>
                <table id="traces"><thead><tr><th>Started</th><th>Name</th><th>Services</th><th class="num">Spans</th><th class="num">Duration</th><th>Status</th></tr></thead>
                <tbody>{Rows(store, service, status)}</tbody></table>
                """);
            return Page("Traces", "/traces", body.ToString(), Script);
        });
        web.MapGet("/traces/rows", (TelemetryStore store, string? service, string? status) =>
            Results.Content(Rows(store, service, status), "text/html; charset=utf-8"));
        web.MapGet("/traces/{traceId}", (TelemetryStore store, string traceId) =>
            store.GetTrace(traceId) is { } trace
                ? Page($"Trace {trace.Name}", "/traces", Waterfall(trace))
                : Page("Trace not found", "/traces", Notice($"no trace '{traceId}' is kept (the store keeps the most recent spans only)", "error"), status: 404));
    }

    private static string Rows(TelemetryStore store, string? service, string? status)
    {
        SpanStatus? wanted = Enum.TryParse<SpanStatus>(status, ignoreCase: true, out var parsed) ? parsed : null;
        var traces = store.GetTraces(new TraceQuery { Service = string.IsNullOrEmpty(service) ? null : service, Status = wanted, Limit = ListLimit });
        if (traces.Count == 0) return """<tr><td colspan="6" class="muted">No traces yet. The services send theirs to the AppHost over OTLP.</td></tr>""";
        var html = new StringBuilder();
        foreach (var t in traces)
        {
            html.Append($"""
                <tr data-trace="{E(t.TraceId)}"><td>{t.Start.ToLocalTime():HH:mm:ss.fff}</td><td><a href="/traces/{E(t.TraceId)}">{E(t.Name)}</a></td>
                <td>{E(string.Join(", ", t.Services))}</td><td class="num">{t.Spans.Count}</td><td class="num">{Ms(t.Duration)}</td>
                <td><span class="state {t.Status}">{t.Status}</span></td></tr>
                """);
        }
        return html.ToString();
    }

    /// <summary>Spans depth-first from the roots (a span whose parent is not here is a root), children by start time.</summary>
    public static IReadOnlyList<(SpanData Span, int Depth)> Ordered(TraceData trace)
    {
        var ids = trace.Spans.Select(s => s.SpanId).ToHashSet(StringComparer.Ordinal);
        var children = trace.Spans.Where(s => s.ParentSpanId is not null && ids.Contains(s.ParentSpanId))
            .GroupBy(s => s.ParentSpanId!).ToDictionary(g => g.Key, g => g.OrderBy(s => s.Start).ToList(), StringComparer.Ordinal);
        var result = new List<(SpanData, int)>();
        void Visit(SpanData span, int depth)
        {
            result.Add((span, depth));
            if (children.TryGetValue(span.SpanId, out var list)) foreach (var child in list) Visit(child, depth + 1);
        }
        foreach (var root in trace.Spans.Where(s => s.ParentSpanId is null || !ids.Contains(s.ParentSpanId)).OrderBy(s => s.Start)) Visit(root, 0);
        return result;
    }

    private static string Waterfall(TraceData trace)
    {
        var total = Math.Max(trace.Duration.TotalMilliseconds, 0.001);
        var html = new StringBuilder($"""
            <p><a href="/traces">← all traces</a> · <code>{E(trace.TraceId)}</code> · {trace.Spans.Count} spans from {E(string.Join(", ", trace.Services))}
            · {Ms(trace.Duration)} · <span class="state {trace.Status}">{trace.Status}</span></p>
            <table id="waterfall"><thead><tr><th>Span</th><th>Service</th><th style="width:45%">Timeline</th><th class="num">Duration</th></tr></thead><tbody>
            """);
        foreach (var (span, depth) in Ordered(trace))
        {
            var left = (span.Start - trace.Start).TotalMilliseconds / total * 100;
            var width = span.Duration.TotalMilliseconds / total * 100;
            var attributes = string.Join("", span.Attributes.OrderBy(a => a.Key, StringComparer.Ordinal)
                .Select(a => $"<div><code>{E(a.Key)}</code> = {E(a.Value)}</div>"));
            var status = span.Status == SpanStatus.Error ? $""" <span class="state Error">Error</span> {E(span.StatusMessage)}""" : "";
            html.Append($"""
                <tr class="span" data-service="{E(span.Service)}" data-span="{E(span.SpanId)}"><td class="wfname" style="padding-left:{10 + depth * 16}px">
                <details><summary>{E(span.Name)}</summary><div class="muted">{E(span.Kind.ToString())} · {E(span.Scope)}</div>{attributes}</details>{status}</td>
                <td>{E(span.Resource.DisplayName)}</td>
                <td><div class="wf"><div class="bar {span.Status}" style="left:{P(left)}%;width:{P(width)}%" title="{E(span.Name)}: {Ms(span.Duration)}"></div></div></td>
                <td class="num">{Ms(span.Duration)}</td></tr>
                """);
        }
        html.Append("</tbody></table>");
        return html.ToString();
    }

    private static string Ms(TimeSpan span) => span.TotalMilliseconds < 10
        ? span.TotalMilliseconds.ToString("0.##", CultureInfo.InvariantCulture) + " ms"
        : span.TotalMilliseconds < 10_000
            ? span.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture) + " ms"
            : span.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture) + " s";

    private static string P(double percent) => Math.Clamp(percent, 0, 100).ToString("0.##", CultureInfo.InvariantCulture);

    private const string Script = """
        setInterval(async () => {
          try {
            const r = await fetch('/traces/rows' + location.search, { cache: 'no-store' });
            if (r.ok) document.querySelector('#traces tbody').innerHTML = await r.text();
          } catch (e) { /* the AppHost is stopping; keep the last view */ }
        }, 3000);
        """;
}
