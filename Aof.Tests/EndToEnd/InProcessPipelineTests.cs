extern alias gateway;

using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Aof.Core.Queue;
using Aof.Tests.Gateway;
using Aof.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Aof.Tests.EndToEnd;

/// <summary>
/// The whole pipeline in one process (standalone mode: gateway + in-process worker), over the in-memory
/// queue, a real redis-server and a real nats-server (JetStream): signed webhook -> 202 -> executed -> record succeeded; a bad
/// signature enqueues nothing; a failing flow is retried and dead-lettered, and replay sends it back.
/// </summary>
public sealed class InProcessPipelineTests(RedisServerFixture redis, NatsServerFixture nats)
    : IClassFixture<RedisServerFixture>, IClassFixture<NatsServerFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(45);
    private const int MaxRetries = 2;

    private sealed class App(Dictionary<string, string?> settings) : WebApplicationFactory<gateway::Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Testing");
            foreach (var (k, v) in settings) builder.UseSetting(k, v);
        }
    }

    private (App App, HttpClient Client, PipelineResources Resources) Start(string backend)
    {
        var resources = new PipelineResources();
        var settings = new Dictionary<string, string?>
        {
            ["Aof:Mode"] = "standalone",
            ["Aof:ResourcesDirectory"] = resources.Directory,
            ["Aof:Queue:Type"] = backend,
            ["Aof:Queue:Prefix"] = "e2e_" + Guid.NewGuid().ToString("N")[..8],
            ["Aof:Queue:MaxRetries"] = MaxRetries.ToString(),
            ["Aof:Queue:RetryDelayMs"] = "20",
            ["Aof:Queue:MaxRetryDelayMs"] = "100",
            ["Aof:Queue:VisibilityTimeoutMs"] = "5000",
            ["Aof:Gateway:AckTimeoutMs"] = "5000",
            ["Aof:Worker:Concurrency"] = "4",
            ["AOF_ADMIN_TOKEN"] = "admin-token",
        };
        if (backend == "redis") settings["ConnectionStrings:redis"] = redis.ConnectionString;
        if (backend == "nats") settings["ConnectionStrings:nats"] = nats.Url;
        var app = new App(settings);
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "admin-token");
        return (app, client, resources);
    }

    private static HttpRequestMessage Signed(string eventType, string json, string? secret = PipelineResources.Secret) =>
        GatewayApp.Delivery(eventType, json, Guid.NewGuid().ToString(), secret);

    private static async Task<JsonElement> WaitForStatusAsync(HttpClient client, string id, string status, CancellationToken ct)
    {
        JsonElement last = default;
        while (true)
        {
            var response = await client.GetAsync($"/api/executions/{id}", ct);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                last = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
                if (last.GetProperty("status").GetString() == status) return last;
            }
            try
            {
                await Task.Delay(50, ct);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"execution {id} did not reach '{status}'; last seen: {last}");
            }
        }
    }

    private static async Task AssertQueueEmptyAsync(App app, CancellationToken ct)
    {
        var stats = await app.Services.GetRequiredService<IMessageQueue>().GetStatsAsync(ct);
        Assert.Equal(0, stats.Ready + stats.InFlight + stats.Delayed + stats.DeadLettered);
    }

    [Theory]
    [InlineData("memory")]
    [InlineData("redis")]
    [InlineData("nats")]
    public async Task A_signed_pull_request_is_accepted_executed_and_its_record_succeeds(string backend)
    {
        var (app, client, resources) = Start(backend);
        using var _ = app;
        using var __ = resources;
        using var cts = new CancellationTokenSource(Bound);

        var response = await client.SendAsync(Signed("pull_request", PipelineResources.PullRequestOpened), cts.Token);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(cts.Token);
        var id = Assert.Single(body.GetProperty("ids").EnumerateArray()).GetString()!;
        var record = await WaitForStatusAsync(client, id, "succeeded", cts.Token);
        Assert.Equal("hello acme/api from alice, attempt 1", record.GetProperty("output").GetString());
        Assert.Equal(1, record.GetProperty("attempts").GetInt32());
        Assert.Equal("e2e-github", record.GetProperty("trigger_name").GetString());

        await AssertQueueEmptyAsync(app, cts.Token);
    }

    [Theory]
    [InlineData("memory")]
    [InlineData("redis")]
    [InlineData("nats")]
    public async Task A_bad_signature_is_refused_and_nothing_is_enqueued(string backend)
    {
        var (app, client, resources) = Start(backend);
        using var _ = app;
        using var __ = resources;
        using var cts = new CancellationTokenSource(Bound);

        var wrongSecret = await client.SendAsync(Signed("pull_request", PipelineResources.PullRequestOpened, "not-the-secret"), cts.Token);
        var unsigned = await client.SendAsync(Signed("pull_request", PipelineResources.PullRequestOpened, secret: null), cts.Token);

        Assert.Equal(HttpStatusCode.Unauthorized, wrongSecret.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unsigned.StatusCode);
        await AssertQueueEmptyAsync(app, cts.Token);
    }

    [Theory]
    [InlineData("memory")]
    [InlineData("redis")]
    [InlineData("nats")]
    public async Task A_failing_flow_is_retried_then_dead_lettered_and_replay_runs_it_again(string backend)
    {
        var (app, client, resources) = Start(backend);
        using var _ = app;
        using var __ = resources;
        using var cts = new CancellationTokenSource(Bound);

        var response = await client.SendAsync(Signed("issue_comment", PipelineResources.Comment("/fail the build")), cts.Token);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = Assert.Single((await response.Content.ReadFromJsonAsync<JsonElement>(cts.Token)).GetProperty("ids").EnumerateArray()).GetString()!;

        var record = await WaitForStatusAsync(client, id, "dead_lettered", cts.Token);
        Assert.Equal(MaxRetries + 1, record.GetProperty("attempts").GetInt32());
        Assert.Equal(DeadLetterReasons.MaxRetriesExceeded, record.GetProperty("dead_letter_reason").GetString());
        Assert.Contains("cannot do the build", record.GetProperty("error").GetString());

        var entry = await client.GetFromJsonAsync<JsonElement>($"/api/dlq/{id}", cts.Token);
        Assert.Equal(DeadLetterReasons.MaxRetriesExceeded, entry.GetProperty("reason").GetString());
        Assert.Contains("3", entry.GetProperty("last_error").GetString());

        // Replay: back on the queue with a fresh retry budget, so it runs MaxRetries + 1 more times.
        var replay = await client.PostAsync($"/api/dlq/{id}/replay", null, cts.Token);
        Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
        await WaitForStatusAsync(client, id, "dead_lettered", cts.Token);
        var dlq = await client.GetFromJsonAsync<JsonElement>("/api/dlq", cts.Token);
        Assert.Single(dlq.GetProperty("items").EnumerateArray());

        var purge = await client.DeleteAsync($"/api/dlq/{id}", cts.Token);
        Assert.Equal(HttpStatusCode.OK, purge.StatusCode);
        var stats = await app.Services.GetRequiredService<IMessageQueue>().GetStatsAsync(cts.Token);
        Assert.Equal(0, stats.DeadLettered);
    }
}
