using System.Net;
using Aof.Tests.Infrastructure;

namespace Aof.Tests.Gateway;

/// <summary>The gateway over a real nats-server: the broker's own limits and outages reach the sender correctly.</summary>
public sealed class NatsGatewayTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(45);

    private static GatewayApp NewApp(NatsServer nats) => new(settings: new()
    {
        ["Aof:Queue:Type"] = "nats",
        ["ConnectionStrings:nats"] = nats.Url,
        ["Aof:Queue:Prefix"] = "gw_" + Guid.NewGuid().ToString("N")[..8],
        ["Aof:Gateway:AckTimeoutMs"] = "5000",
    });

    private static string PullRequestWithBodyOf(int bytes) =>
        GatewayApp.PullRequestOpened.Replace("\"number\":1,", $"\"number\":1,\"padding\":\"{new string('x', bytes)}\",");

    [Fact]
    public async Task A_message_over_the_brokers_max_payload_is_413_and_a_small_one_is_accepted()
    {
        await using var nats = await NatsServer.StartNewAsync(new NatsServerOptions { MaxPayload = 8 * 1024 });
        using var app = NewApp(nats);
        var client = app.CreateClient();
        using var cts = new CancellationTokenSource(Bound);

        // 20 KB is under the gateway's own limit (64 KB here) but over the broker's 8 KB.
        var big = await client.SendAsync(GatewayApp.Delivery("pull_request", PullRequestWithBodyOf(20 * 1024)), cts.Token);
        var small = await client.SendAsync(GatewayApp.Delivery("pull_request", GatewayApp.PullRequestOpened), cts.Token);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, big.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, small.StatusCode);
        Assert.Equal(1, (await app.Queue.GetStatsAsync(cts.Token)).Ready);
    }

    [Fact]
    public async Task Nats_down_at_start_gives_503_with_retry_after_and_the_gateway_recovers_when_it_comes_up()
    {
        await using var nats = NatsServer.Create();
        using var app = NewApp(nats);
        var client = app.CreateClient();
        using var cts = new CancellationTokenSource(Bound);

        var down = await client.SendAsync(GatewayApp.Delivery("pull_request", GatewayApp.PullRequestOpened), cts.Token);
        var health = await client.GetAsync("/health", cts.Token);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
        Assert.NotNull(down.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);

        await nats.StartAsync(cts.Token);
        HttpStatusCode status;
        do
        {
            await Task.Delay(200, cts.Token);
            status = (await client.SendAsync(GatewayApp.Delivery("pull_request", GatewayApp.PullRequestOpened), cts.Token)).StatusCode;
        } while (status != HttpStatusCode.Accepted);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health", cts.Token)).StatusCode);
    }
}
