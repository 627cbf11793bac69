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
}
