using System.Text;
using Aof.AppHost.Hosting.ApplicationModel;
using Aof.AppHost.Hosting.Orchestration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using static Aof.AppHost.Dashboard.Html;

namespace Aof.AppHost.Dashboard;

/// <summary>
/// Every resource replica with its type, state, health, endpoints, pid, uptime and restarts, and the stop / start /
/// restart commands. The table refreshes itself every 2 s (a fetch of <c>/resources/rows</c>).
/// </summary>
public static class ResourcesPage
{
    public static void Map(IEndpointRouteBuilder web)
    {
        web.MapGet("/resources", (DistributedApplication app, HealthMonitor health, string? msg, string? kind) =>
            Page("Resources", "/resources", Notice(msg, kind) + $"""
                <table id="resources"><thead><tr><th>Name</th><th>Type</th><th>State</th><th>Health</th><th>Endpoints</th>
                <th class="num">PID</th><th class="num">Uptime</th><th class="num">Restarts</th><th>Commands</th></tr></thead>
                <tbody>{Rows(app, health)}</tbody></table>
                """, Script));
        web.MapGet("/resources/rows", (DistributedApplication app, HealthMonitor health) =>
            Results.Content(Rows(app, health), "text/html; charset=utf-8"));
        web.MapPost("/resources/{name}/{command}", RunCommandAsync);
    }

    private static async Task<IResult> RunCommandAsync(string name, string command, DistributedApplication app)
    {
        if (!Enum.TryParse<ResourceCommand>(command, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed))
            return Back($"unknown command '{command}' (stop, start or restart)", "error");
        if (app.Replicas.All(r => r.Name != name)) return Back($"no resource named '{name}'", "error");
        try
        {
            // A stop can take as long as a worker's drain; the page does not wait for it, the table shows Stopping.
            var run = app.ExecuteAsync(name, parsed);
            await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(1)));
            if (run.IsFaulted) await run; // refused: say why
            _ = run.ContinueWith(t => app.Logs.Add("apphost", $"{command} {name} failed: {t.Exception?.GetBaseException().Message}"),
                CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            return Back($"{parsed.ToString().ToLowerInvariant()} {name}: sent", "ok");
        }
        catch (CommandRefusedException ex)
        {
            return Back($"{parsed.ToString().ToLowerInvariant()} {name} refused: {ex.Message}", "error");
        }
    }

    private static IResult Back(string message, string kind) => Results.Redirect($"/resources?msg={Q(message)}&kind={kind}");

    /// <summary>Aspire's state names: Starting, Running, Exited, FailedToStart, Stopping (and Waiting before a start).</summary>
    public static string DisplayState(ReplicaState state) => state switch
    {
        ReplicaState.NotStarted => "Waiting",
        ReplicaState.Starting or ReplicaState.Restarting => "Starting",
        ReplicaState.Running => "Running",
        ReplicaState.Stopping => "Stopping",
        ReplicaState.Stopped => "Exited",
        ReplicaState.Failed => "FailedToStart",
        _ => state.ToString(),
    };

    private static string TypeOf(Resource resource) => resource switch
    {
        ProjectResource p => $"Project ({p.AssemblyName})",
        BrokerResource b => $"Executable ({b.Executable})",
        _ => resource.GetType().Name,
    };

    private static string Endpoints(Resource resource, int replica)
    {
        if (resource.Endpoint.Allocated.Length <= replica) return "";
        return resource switch
        {
            ProjectResource p => $"""<a href="{E(p.Url(replica).ToString())}" target="_blank" rel="noopener">{E(p.Url(replica).ToString())}</a>""",
            BrokerResource b => $"<code>{E(b is RedisResource ? "redis://" + b.ConnectionString : b.ConnectionString)}</code>",
            _ => "",
        };
    }

    private static string Rows(DistributedApplication app, HealthMonitor health)
    {
        var html = new StringBuilder();
        var replicas = app.Replicas;
        foreach (var resource in app.Resources)
        {
            var started = replicas.Where(r => r.Resource == resource).ToList();
            if (started.Count == 0)
            {
                // Not started yet: waiting for what it depends on.
                html.Append($"""
                    <tr data-name="{E(resource.Name)}"><td>{E(resource.Name)}</td><td>{E(TypeOf(resource))}</td>
                    <td><span class="state Waiting">Waiting</span></td><td></td><td></td><td></td><td></td><td></td><td></td></tr>
                    """);
                continue;
            }
            foreach (var r in started)
            {
                var state = DisplayState(r.State);
                var healthText = health.HealthOf(r);
                var uptime = r.RunningSince is { } since ? Duration(DateTimeOffset.UtcNow - since) : "";
                var exit = r.State is ReplicaState.Stopped or ReplicaState.Restarting && r.LastExitCode is { } code
                    ? $""" <span class="muted">(exit {code})</span>""" : "";
                var commands = r.State is ReplicaState.Stopped or ReplicaState.Failed
                    ? Button($"/resources/{r.Name}/start", "Start")
                    : Button($"/resources/{r.Name}/stop", "Stop", $"Stop {r.Name}?", "danger") + Button($"/resources/{r.Name}/restart", "Restart");
                html.Append($"""
                    <tr data-name="{E(r.Name)}"><td>{E(r.Name)}</td><td>{E(TypeOf(resource))}</td>
                    <td><span class="state {state}" data-state="{state}">{state}</span>{exit}</td>
                    <td>{(healthText is null ? "" : $"<span class=\"state {healthText}\">{healthText}</span>")}</td>
                    <td>{Endpoints(resource, r.Replica)}</td><td class="num">{r.ProcessId}</td><td class="num">{uptime}</td>
                    <td class="num">{r.Restarts}</td><td>{commands}</td></tr>
                    """);
            }
        }
        return html.ToString();
    }

    private const string Script = """
        setInterval(async () => {
          try {
            const r = await fetch('/resources/rows', { cache: 'no-store' });
            if (r.ok) document.querySelector('#resources tbody').innerHTML = await r.text();
          } catch (e) { /* the AppHost is stopping; keep the last view */ }
        }, 2000);
        """;
}
