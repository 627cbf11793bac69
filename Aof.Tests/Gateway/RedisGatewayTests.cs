using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Aof.Core.Executions;
using Aof.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Aof.Tests.Gateway;

/// <summary>The gateway over a real redis-server: publish, record, and dedup of a redelivered delivery.</summary>
public class RedisGatewayTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private GatewayApp NewApp() => new(settings: new()
    {
        ["Aof:Queue:Type"] = "redis",
        ["ConnectionStrings:redis"] = redis.ConnectionString,
        ["Aof:Queue:Prefix"] = "gw-" + Guid.NewGuid().ToString("N")[..8],
        ["Aof:Gateway:AckTimeoutMs"] = "5000",
        ["AOF_ADMIN_TOKEN"] = "t",
    });

    private static async Task<JsonElement> PostAsync(HttpClient client, string deliveryId, HttpStatusCode expected, CancellationToken ct)
    {
        var response = await client.SendAsync(GatewayApp.Delivery("pull_request", GatewayApp.PullRequestOpened, deliveryId), ct);
        Assert.Equal(expected, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct)).RootElement.Clone();
    }

    [Fact]
    public async Task Published_to_redis_recorded_and_a_redelivery_gets_the_original_ids()
    {
        using var app = NewApp();
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "t");
        using var cts = new CancellationTokenSource(Bound);
        var deliveryId = Guid.NewGuid().ToString();

        var first = await PostAsync(client, deliveryId, HttpStatusCode.Accepted, cts.Token);
        var again = await PostAsync(client, deliveryId, HttpStatusCode.Accepted, cts.Token);

        var id = Assert.Single(first.GetProperty("ids").EnumerateArray()).GetString()!;
        Assert.True(again.GetProperty("duplicate").GetBoolean());
        Assert.Equal(id, Assert.Single(again.GetProperty("ids").EnumerateArray()).GetString());
        Assert.Equal("redis", app.Queue.Backend);
        Assert.Equal(1, (await app.Queue.GetStatsAsync(cts.Token)).Ready);

        var record = await app.Services.GetRequiredService<IExecutionStore>().GetAsync(id, cts.Token);
        Assert.Equal(ExecutionStatus.Queued, record?.Status);
        var stats = JsonDocument.Parse(await client.GetStringAsync("/api/queue/stats", cts.Token)).RootElement;
        Assert.Equal("redis", stats.GetProperty("backend").GetString());
        Assert.Equal(1, stats.GetProperty("ready").GetInt64());
    }

    [Fact]
    public async Task Redis_going_down_gives_503_with_retry_after_enqueues_nothing_and_the_gateway_recovers()
    {
        // Its own server: this test stops it.
        await using var own = await RedisServer.StartNewAsync(appendOnly: true);
        using var app = new GatewayApp(settings: new()
        {
            ["Aof:Queue:Type"] = "redis",
            ["ConnectionStrings:redis"] = own.ConnectionString,
            ["Aof:Gateway:AckTimeoutMs"] = "1000",
        });
        var client = app.CreateClient();
        using var cts = new CancellationTokenSource(Bound);
        await PostAsync(client, Guid.NewGuid().ToString(), HttpStatusCode.Accepted, cts.Token);

        await own.StopAsync(cts.Token);
        var down = await client.SendAsync(GatewayApp.Delivery("pull_request", GatewayApp.PullRequestOpened, "while-down"), cts.Token);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), down.Headers.RetryAfter?.Delta);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/health", cts.Token)).StatusCode);

        await own.StartAsync(cts.Token);
        HttpStatusCode status;
        do
        {
            await Task.Delay(200, cts.Token);
            // The same delivery id: the refused attempt must not have claimed it.
            status = (await client.SendAsync(GatewayApp.Delivery("pull_request", GatewayApp.PullRequestOpened, "while-down"), cts.Token)).StatusCode;
        } while (status == HttpStatusCode.ServiceUnavailable);
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal(2, (await app.Queue.GetStatsAsync(cts.Token)).Ready);
    }
}
