using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using static Aof.AppHost.Dashboard.Html;

namespace Aof.AppHost.Dashboard;

/// <summary>
/// Queue depth per state and priority, and the dead-letter list (reason, attempts, last error) with Replay and Purge,
/// all through the gateway's admin API. A command answers with a redirect back to the page and a message (so a reload
/// does not repeat it); an id that is gone by then (replayed or purged elsewhere) is said so, and nothing changes.
/// </summary>
public static class QueuePage
{
    private const int ListLimit = 200;

    public static void Map(IEndpointRouteBuilder web)
    {
        web.MapGet("/queue", RenderAsync);
        web.MapPost("/queue/dlq/{id}/replay", async (string id, GatewayAdminClient admin, CancellationToken ct) =>
        {
            var result = await admin.ReplayAsync(id, ct);
            return Back(result.Ok ? $"replayed {id}: it is back in the queue" : Failure("replay", id, result.Error, result.Status), result.Ok);
        });
        web.MapPost("/queue/dlq/{id}/purge", async (string id, GatewayAdminClient admin, CancellationToken ct) =>
        {
            var result = await admin.PurgeAsync(id, ct);
            return Back(result.Ok ? $"purged {id}" : Failure("purge", id, result.Error, result.Status), result.Ok);
        });
    }

    private static string Failure(string action, string id, string? error, HttpStatusCode? status) =>
        status == HttpStatusCode.NotFound
            ? $"cannot {action} {id}: it is no longer in the dead-letter queue (already replayed or purged); nothing was changed"
            : $"cannot {action} {id}: {error}";

    private static IResult Back(string message, bool ok) =>
        Results.Redirect($"/queue?msg={Q(message)}&kind={(ok ? "ok" : "error")}");

    private static async Task<IResult> RenderAsync(GatewayAdminClient admin, string? msg, string? kind, CancellationToken ct)
    {
        var statsTask = admin.StatsAsync(ct);
        var dlqTask = admin.DeadLettersAsync(ListLimit, ct);
        var stats = await statsTask;
        var dlq = await dlqTask;
        var html = new StringBuilder(Notice(msg, kind));

        if (stats.Value is { } s)
        {
            html.Append($"""
                <div class="cards" id="depth">
                <div class="card">Ready<b data-stat="ready">{s.Ready}</b></div><div class="card">In flight<b data-stat="in_flight">{s.InFlight}</b></div>
                <div class="card">Delayed (retry backoff)<b data-stat="delayed">{s.Delayed}</b></div>
                <div class="card">Dead-lettered<b data-stat="dead_lettered">{s.DeadLettered}</b></div>
                <div class="card">Backend<b>{E(s.Backend)}</b></div></div>
                <h2>By priority</h2><table id="lanes"><thead><tr><th>Priority</th><th class="num">Ready</th><th class="num">In flight</th></tr></thead><tbody>
                """);
            foreach (var (priority, lane) in s.ByPriority)
                html.Append($"""<tr><td>{E(priority)}</td><td class="num">{lane.Ready}</td><td class="num">{lane.InFlight}</td></tr>""");
            html.Append("</tbody></table>");
        }
        else
        {
            html.Append(Notice($"queue depth unavailable: {stats.Error}", "error"));
        }

        html.Append("<h2>Dead letters</h2>");
        if (dlq.Value is { } page)
        {
            if (page.Items.Count == 0)
            {
                html.Append("""<p class="muted" id="dlq-empty">The dead-letter queue is empty.</p>""");
            }
            else
            {
                html.Append("""
                    <table id="dlq"><thead><tr><th>Message id</th><th>Dead-lettered</th><th>Trigger / target</th><th>Event</th>
                    <th>Reason</th><th class="num">Attempts</th><th>Last error</th><th>Actions</th></tr></thead><tbody>
                    """);
                foreach (var d in page.Items)
                {
                    html.Append($"""
                        <tr data-id="{E(d.MessageId)}"><td><code>{E(d.MessageId)}</code><br><span class="muted">{E(d.Priority)}</span></td>
                        <td>{d.DeadLetteredAt:yyyy-MM-dd HH:mm:ss}Z</td><td>{E(d.TriggerName)}<br><span class="muted">{E(d.Target)}</span></td>
                        <td>{E(d.EventType)}<br><span class="muted">{E(d.Repo)}</span></td><td>{E(d.Reason)}</td>
                        <td class="num">{d.Attempts}</td><td><code>{E(d.LastError)}</code></td>
                        <td>{Button($"/queue/dlq/{Uri.EscapeDataString(d.MessageId)}/replay", "Replay")}{Button($"/queue/dlq/{Uri.EscapeDataString(d.MessageId)}/purge", "Purge", $"Purge {d.MessageId} for good?", "danger")}</td></tr>
                        """);
                }
                html.Append("</tbody></table>");
                if (page.Items.Count == ListLimit) html.Append($"""<p class="muted">showing the first {ListLimit}</p>""");
            }
        }
        else
        {
            html.Append(Notice($"dead letters unavailable: {dlq.Error}", "error"));
        }
        return Page("Queue", "/queue", html.ToString());
    }
}
