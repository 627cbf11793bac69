using System.Text;
using System.Text.Json;
using Aof.AppHost.Hosting.Orchestration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;
using static Aof.AppHost.Dashboard.Html;

namespace Aof.AppHost.Dashboard;

/// <summary>
/// Console output of one resource or all, with search. The page renders the kept lines, then follows new ones over
/// server-sent events (<c>/console/stream</c>), resuming after the last line it has (Last-Event-ID) when the
/// connection drops; a reload shows the same recent lines from the AppHost's memory.
/// </summary>
public static class ConsolePage
{
    private const int PageLines = 1000;

    public static void Map(IEndpointRouteBuilder web)
    {
        web.MapGet("/console", (DistributedApplication app, string? resource, string? q) =>
        {
            var source = string.IsNullOrEmpty(resource) ? null : resource;
            var sources = app.Replicas.Select(r => r.Name).Prepend("apphost").Union(app.Logs.Sources).ToList();
            var lines = app.Logs.Recent(source, q, limit: PageLines);
            var body = new StringBuilder();
            body.Append("""<form class="filters" method="get" action="/console"><label>Resource <select name="resource" onchange="this.form.submit()"><option value="">(all)</option>""");
            foreach (var s in sources)
                body.Append($"""<option value="{E(s)}"{(s == source ? " selected" : "")}>{E(s)}</option>""");
            body.Append($"""
                </select></label><label>Search <input type="search" name="q" value="{E(q)}" placeholder="text in the line"></label>
                <button type="submit">Filter</button><span class="muted" id="status"></span></form>
                <div id="log" data-last="{(lines.Count > 0 ? lines[^1].Sequence : 0)}">
                """);
            foreach (var line in lines) body.Append(Line(line));
            body.Append("</div>");
            return Page("Console", "/console", body.ToString(), Script);
        });
        web.MapGet("/console/stream", StreamAsync);
    }

    private static string Line(LogLine line) =>
        $"""<div class="l" data-seq="{line.Sequence}"><span class="t">{line.Time:HH:mm:ss.fff}</span> <span class="src">{E(line.Source.PadRight(10))}</span>| {E(line.Text)}</div>""";

    /// <summary>SSE: every new line of the resource matching the search, each as an event whose id is its sequence.</summary>
    private static async Task StreamAsync(HttpContext context, DistributedApplication app, IHostApplicationLifetime lifetime,
        string? resource, string? q, long? after)
    {
        // Ends with the page or with the dashboard: an open page must not hold up the AppHost's shutdown.
        using var streaming = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        var ct = streaming.Token;
        var source = string.IsNullOrEmpty(resource) ? null : resource;
        var last = after ?? 0;
        if (long.TryParse(context.Request.Headers["Last-Event-ID"].ToString(), out var resumed)) last = Math.Max(last, resumed);

        context.Response.Headers.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers["X-Accel-Buffering"] = "no";
        await context.Response.WriteAsync(": console\n\n", ct);
        await context.Response.Body.FlushAsync(ct);

        try
        {
            // Subscribe first, then send what was missed: nothing falls between the two.
            await using var live = app.Logs.SubscribeAsync(ct).GetAsyncEnumerator(ct);
            var hasFirst = live.MoveNextAsync();
            foreach (var line in app.Logs.Recent(source, q, last)) last = await SendAsync(context, line, ct);
            await context.Response.Body.FlushAsync(ct);
            while (await hasFirst)
            {
                var line = live.Current;
                if (line.Sequence > last && (source is null || line.Source == source) && ConsoleLogStore.Matches(line, q))
                {
                    last = await SendAsync(context, line, ct);
                    await context.Response.Body.FlushAsync(ct);
                }
                hasFirst = live.MoveNextAsync();
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // the page was closed, or the AppHost stops
        }
    }

    private static async Task<long> SendAsync(HttpContext context, LogLine line, CancellationToken ct)
    {
        var json = JsonSerializer.Serialize(new { seq = line.Sequence, time = line.Time.ToString("HH:mm:ss.fff"), source = line.Source, text = line.Text });
        await context.Response.WriteAsync($"id: {line.Sequence}\ndata: {json}\n\n", ct);
        return line.Sequence;
    }

    private const string Script = """
        const log = document.getElementById('log');
        const status = document.getElementById('status');
        const params = new URLSearchParams(location.search);
        params.set('after', log.dataset.last);
        log.scrollTop = log.scrollHeight;
        const es = new EventSource('/console/stream?' + params.toString());
        es.onopen = () => status.textContent = 'live';
        es.onerror = () => status.textContent = 'reconnecting…';
        es.onmessage = (e) => {
          const l = JSON.parse(e.data);
          const atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 20;
          const div = document.createElement('div');
          div.className = 'l'; div.dataset.seq = l.seq;
          const t = document.createElement('span'); t.className = 't'; t.textContent = l.time;
          const s = document.createElement('span'); s.className = 'src'; s.textContent = l.source.padEnd(10);
          div.append(t, ' ', s, '| ' + l.text);
          log.append(div);
          while (log.childElementCount > 5000) log.firstElementChild.remove();
          if (atEnd) log.scrollTop = log.scrollHeight;
        };
        """;
}
