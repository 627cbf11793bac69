using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Aof.Core.Executions;
using Aof.Core.Queue;
using Aof.Core.Queue.Redis;
using Aof.Tests.Gateway;
using Aof.Tests.Infrastructure;

namespace Aof.Tests.EndToEnd;

/// <summary>
/// The deployed shape: a gateway process in `gateway` mode and worker processes in `worker` mode, talking
/// only through a real redis-server. Covers the full path and the worker's drain on SIGTERM.
/// </summary>
public sealed class ProcessPipelineTests : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private readonly PipelineResources _resources = new(slowSeconds: 2);
    private readonly string _prefix = "proc-" + Guid.NewGuid().ToString("N")[..8];
    private RedisServer _redis = null!;

    public async Task InitializeAsync() => _redis = await RedisServer.StartNewAsync();

    public async Task DisposeAsync()
    {
        await _redis.DisposeAsync();
        _resources.Dispose();
    }

    private Dictionary<string, string> Env(string mode, int concurrency = 4, int prefetch = 16) => new()
    {
        ["Aof__Mode"] = mode,
        ["Aof__ResourcesDirectory"] = _resources.Directory,
        ["Aof__Queue__Type"] = "redis",
        ["Aof__Queue__Prefix"] = _prefix,
        // Long enough that nothing in these tests is redelivered by lease expiry: a release must be explicit.
        ["Aof__Queue__VisibilityTimeoutMs"] = "60000",
        ["Aof__Worker__Concurrency"] = concurrency.ToString(),
        ["Aof__Worker__Prefetch"] = prefetch.ToString(),
        ["Aof__Worker__DrainTimeoutSecs"] = "20",
        ["ConnectionStrings__redis"] = _redis.ConnectionString,
        ["Logging__LogLevel__Default"] = "Warning",
    };

    private static async Task<string> PostAsync(HttpClient client, string eventType, string json, CancellationToken ct)
    {
        var response = await client.SendAsync(GatewayApp.Delivery(eventType, json, Guid.NewGuid().ToString(), PipelineResources.Secret), ct);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
        return Assert.Single(body.GetProperty("ids").EnumerateArray()).GetString()!;
    }

    private static async Task<string?> StatusAsync(HttpClient client, string id, CancellationToken ct)
    {
        var response = await client.GetAsync($"/api/executions/{id}", ct);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        return (await response.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("status").GetString();
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition, string what, CancellationToken ct)
    {
        while (!await condition())
        {
            try { await Task.Delay(50, ct); }
            catch (OperationCanceledException) { throw new TimeoutException($"timed out waiting for {what}"); }
        }
    }

    [Fact]
    public async Task Gateway_and_worker_processes_execute_a_signed_webhook_through_redis()
    {
        using var cts = new CancellationTokenSource(Bound);
        await using var gateway = ServiceProcess.Start("Aof.Gateway.dll", Env("gateway"));
        await using var worker = ServiceProcess.Start("Aof.Worker.dll", Env("worker"));
        await gateway.WaitAliveAsync(cts.Token);
        await worker.WaitAliveAsync(cts.Token);
        using var client = new HttpClient { BaseAddress = new Uri(gateway.BaseUrl) };

        var id = await PostAsync(client, "pull_request", PipelineResources.PullRequestOpened, cts.Token);

        await WaitForAsync(async () => await StatusAsync(client, id, cts.Token) == ExecutionStatus.Succeeded,
            $"{id} to succeed; gateway:\n{gateway.Output}\nworker:\n{worker.Output}", cts.Token);
        var record = await client.GetFromJsonAsync<JsonElement>($"/api/executions/{id}", cts.Token);
        Assert.Equal("hello acme/api from alice, attempt 1", record.GetProperty("output").GetString());
    }

    [Fact]
    public async Task Sigterm_drains_the_worker_finishing_in_flight_work_and_releasing_the_rest_at_once()
    {
        using var cts = new CancellationTokenSource(Bound);
        await using var gateway = ServiceProcess.Start("Aof.Gateway.dll", Env("gateway"));
        await gateway.WaitAliveAsync(cts.Token);
        using var client = new HttpClient { BaseAddress = new Uri(gateway.BaseUrl) };
        var ids = new List<string>();
        for (var i = 0; i < 3; i++) ids.Add(await PostAsync(client, "issue_comment", PipelineResources.Comment("/slow"), cts.Token));

        // One execution at a time, the other two leased into the prefetch buffer.
        await using var first = ServiceProcess.Start("Aof.Worker.dll", Env("worker", concurrency: 1, prefetch: 4));
        string? running = null;
        await WaitForAsync(async () =>
        {
            foreach (var id in ids)
                if (await StatusAsync(client, id, cts.Token) == ExecutionStatus.Running) running = id;
            return running is not null;
        }, "an execution to start", cts.Token);

        first.Terminate();
        var exit = await first.WaitForExitAsync(TimeSpan.FromSeconds(25));

        Assert.Equal(0, exit);
        Assert.Equal(ExecutionStatus.Succeeded, await StatusAsync(client, running!, cts.Token));
        using var redis = await _redis.ConnectAsync();
        var stats = await new RedisMessageQueue(redis, new QueueOptions { Prefix = _prefix }, "observer").GetStatsAsync(cts.Token);
        // Released, not waiting for the 60 s lease to expire: ready at once, nothing in flight.
        Assert.Equal(2, stats.Ready);
        Assert.Equal(0, stats.InFlight);

        await using var second = ServiceProcess.Start("Aof.Worker.dll", Env("worker"));
        foreach (var id in ids)
            await WaitForAsync(async () => await StatusAsync(client, id, cts.Token) == ExecutionStatus.Succeeded, $"{id} to succeed", cts.Token);
        foreach (var id in ids.Where(i => i != running))
        {
            var record = await client.GetFromJsonAsync<JsonElement>($"/api/executions/{id}", cts.Token);
            Assert.Equal(1, record.GetProperty("attempts").GetInt32());
        }
    }
}
