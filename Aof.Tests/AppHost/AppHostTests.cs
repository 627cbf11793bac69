using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Aof.AppHost.Hosting.ApplicationModel;
using Aof.AppHost.Hosting.Orchestration;
using Aof.AppHost.Hosting.Processes;
using Aof.AppHost.Telemetry.Store;
using Aof.Core.Executions;
using Aof.Tests.EndToEnd;
using Aof.Tests.Gateway;

namespace Aof.Tests.AppHost;

/// <summary>
/// One AppHost app (its real model: redis-server, the gateway, 2 workers) shared by the tests of this class.
/// Leases are short (3 s) so a killed worker's messages come back within the test's bounds.
/// </summary>
public sealed class AppHostFixture : IAsyncLifetime
{
    private readonly AppHostResources _resources = new();
    private AppHostTestApp? _app;

    public AppHostTestApp App => _app ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync() =>
        _app = await AppHostTestingBuilder.StartAsync(_resources.Args(), builder =>
        {
            foreach (var project in builder.Resources.OfType<ProjectResource>())
            {
                project.Environment["Aof__Queue__VisibilityTimeoutMs"] = "3000";
                project.Environment["Logging__LogLevel__Default"] = "Warning";
            }
        }, TimeSpan.FromSeconds(90));

    public async Task DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
        _resources.Dispose();
    }
}

public sealed class AppHostTests(AppHostFixture fixture) : IClassFixture<AppHostFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task The_model_runs_redis_a_gateway_and_two_worker_replicas_and_a_signed_webhook_is_executed()
    {
        using var cts = new CancellationTokenSource(Bound);
        var app = fixture.App.App;
        Assert.Equal(["redis", "gateway", "worker-0", "worker-1"], app.Replicas.Select(r => r.Name));
        Assert.All(app.Replicas, r => Assert.Equal(ReplicaState.Running, r.State));
        using var client = fixture.App.CreateHttpClient();

        var id = await PostAsync(client, "pull_request", PipelineResources.PullRequestOpened, cts.Token);

        await WaitForAsync(async () => await StatusAsync(client, id, cts.Token) == ExecutionStatus.Succeeded, $"{id} to succeed", cts.Token);
        var record = await client.GetFromJsonAsync<JsonElement>($"/api/executions/{id}", cts.Token);
        Assert.Equal("hello acme/api from alice, attempt 1", record.GetProperty("output").GetString());
    }

    [Fact]
    public async Task A_signed_webhooks_trace_as_the_apphosts_otlp_receiver_got_it_holds_gateway_and_worker_spans()
    {
        using var cts = new CancellationTokenSource(Bound);
        var store = fixture.App.App.Telemetry.Store;
        using var client = fixture.App.CreateHttpClient();
        var deliveryId = Guid.NewGuid().ToString();

        var id = await PostAsync(client, "pull_request", PipelineResources.PullRequestOpened, cts.Token, deliveryId);
        await WaitForAsync(async () => await StatusAsync(client, id, cts.Token) == ExecutionStatus.Succeeded, $"{id} to succeed", cts.Token);

        // The services export every second; the worker's spans reach the receiver a moment after the record says succeeded.
        TraceData? trace = null;
        await WaitForAsync(() =>
        {
            trace = store.GetTraces(new TraceQuery { Service = "gateway", Limit = 1000 })
                .FirstOrDefault(t => t.Spans.Any(s => s.Attributes.GetValueOrDefault("aof.delivery_id") == deliveryId));
            // The gateway's Redis command spans are emitted as their parent ends and may ride in the next export batch.
            return Task.FromResult(trace is not null && trace.Spans.Any(s => s.Service == "worker" && s.Name.StartsWith("node ", StringComparison.Ordinal))
                && trace.Spans.Any(s => s.Service == "gateway" && s.Attributes.GetValueOrDefault("db.system") == "redis"));
        }, "the webhook's trace with the worker's and the gateway's Redis spans", cts.Token);

        var receive = Assert.Single(trace!.Spans, s => s.Service == "gateway" && s.Kind == SpanKind.Server);
        Assert.Equal(trace.Root, receive);
        var publish = Assert.Single(trace.Spans, s => s.Name == "publish");
        Assert.Equal(SpanKind.Producer, publish.Kind);
        Assert.Equal(receive.SpanId, publish.ParentSpanId);
        Assert.Equal("redis", publish.Attributes["messaging.system"]);
        Assert.Equal("publish", publish.Attributes["messaging.operation"]);
        Assert.True(publish.Attributes.ContainsKey("messaging.destination.name"));
        // The Redis commands of the publish, as StackExchange.Redis client spans under it.
        Assert.Contains(trace.Spans, s => s.Service == "gateway" && s.Kind == SpanKind.Client && s.ParentSpanId == publish.SpanId
            && s.Attributes.GetValueOrDefault("db.system") == "redis" && s.Attributes.ContainsKey("db.operation.name"));

        var process = Assert.Single(trace.Spans, s => s.Service == "worker" && s.Kind == SpanKind.Consumer);
        Assert.Equal(publish.SpanId, process.ParentSpanId);
        Assert.Equal("redis", process.Attributes["messaging.system"]);
        Assert.Equal("process", process.Attributes["messaging.operation"]);
        Assert.StartsWith("aof.", process.Attributes["messaging.destination.name"], StringComparison.Ordinal);
        Assert.Matches("^worker-[01]$", process.Resource.Instance);
        var nodes = trace.Spans.Where(s => s.Name.StartsWith("node ", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(nodes);
        Assert.All(nodes, n => Assert.Equal(process.SpanId, n.ParentSpanId));
        Assert.Equal(["gateway", "worker"], trace.Services);
    }

    [Fact]
    public async Task The_services_metrics_reach_the_apphosts_receiver_with_queue_depth_by_state_and_priority()
    {
        using var cts = new CancellationTokenSource(Bound);
        var store = fixture.App.App.Telemetry.Store;
        IReadOnlyList<MetricSeries> depth = [];
        await WaitForAsync(() =>
        {
            depth = store.GetMetrics(new MetricQuery { Name = "aof.queue.depth", Service = "worker" });
            return Task.FromResult(depth.Any(s => s.Attributes.GetValueOrDefault("state") == "ready" && s.Attributes.GetValueOrDefault("priority") == "normal"));
        }, "aof.queue.depth from a worker", cts.Token);

        Assert.All(depth, s => Assert.Equal(MetricKind.Gauge, s.Kind));
        Assert.Contains(depth, s => s.Attributes["state"] == "dead_lettered" && s.Attributes["priority"] == "all");
        Assert.Contains(depth, s => s.Resource.Instance is "worker-0" or "worker-1");
        await WaitForAsync(() => Task.FromResult(store.GetMetrics(new MetricQuery { Name = "aof.webhooks.received", Service = "gateway" }).Count > 0 ||
                                                 store.GetMetricNames().Contains("http.server.request.duration")),
            "the gateway's metrics", cts.Token);
    }

    [Fact]
    public async Task A_worker_replica_killed_with_sigkill_is_restarted_and_no_accepted_event_is_lost()
    {
        using var cts = new CancellationTokenSource(Bound);
        var app = fixture.App.App;
        using var client = fixture.App.CreateHttpClient();
        var ids = new List<string>();
        for (var i = 0; i < 6; i++) ids.Add(await PostAsync(client, "issue_comment", PipelineResources.Comment("/slow"), cts.Token));

        // Kill the replica that runs one of them, mid-execution.
        ReplicaSupervisor? victim = null;
        int pid = 0;
        await WaitForAsync(async () =>
        {
            foreach (var id in ids)
            {
                var record = await RecordAsync(client, id, cts.Token);
                if (record?.GetProperty("status").GetString() != ExecutionStatus.Running) continue;
                var worker = record.Value.GetProperty("worker").GetString() ?? "";
                victim = app.Replicas.FirstOrDefault(r => r.ProcessId is { } p && worker.EndsWith("-" + p, StringComparison.Ordinal));
                if (victim is not null)
                {
                    pid = victim.ProcessId!.Value;
                    return true;
                }
            }
            return false;
        }, "an execution to run on a worker replica", cts.Token);
        var restartsBefore = victim!.Restarts;
        Assert.True(UnixSignals.Send(pid, UnixSignals.SigKill));

        await WaitForAsync(() => Task.FromResult(victim.Restarts > restartsBefore && victim.State == ReplicaState.Running),
            $"{victim.Name} to be restarted", cts.Token);
        Assert.NotEqual(pid, victim.ProcessId);
        Assert.Equal(137, victim.LastExitCode);
        Assert.Contains($"{victim.Name} crashed: killed by SIGKILL", fixture.App.Output);
        foreach (var id in ids)
            await WaitForAsync(async () => await StatusAsync(client, id, cts.Token) == ExecutionStatus.Succeeded,
                $"{id} to succeed after the kill", cts.Token);
    }

    private static async Task<string> PostAsync(HttpClient client, string eventType, string json, CancellationToken ct, string? deliveryId = null)
    {
        var response = await client.SendAsync(GatewayApp.Delivery(eventType, json, deliveryId ?? Guid.NewGuid().ToString(), PipelineResources.Secret), ct);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
        return Assert.Single(body.GetProperty("ids").EnumerateArray()).GetString()!;
    }

    private static async Task<JsonElement?> RecordAsync(HttpClient client, string id, CancellationToken ct)
    {
        var response = await client.GetAsync($"/api/executions/{id}", ct);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        return await response.Content.ReadFromJsonAsync<JsonElement>(ct);
    }

    private static async Task<string?> StatusAsync(HttpClient client, string id, CancellationToken ct) =>
        (await RecordAsync(client, id, ct))?.GetProperty("status").GetString();

    private static async Task WaitForAsync(Func<Task<bool>> condition, string what, CancellationToken ct)
    {
        while (!await condition())
        {
            try { await Task.Delay(50, ct); }
            catch (OperationCanceledException) { throw new TimeoutException($"timed out waiting for {what}"); }
        }
    }
}
