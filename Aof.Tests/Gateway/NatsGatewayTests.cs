using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Aof.Core.Events;
using Aof.Core.Executions;
using Aof.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Aof.Tests.Gateway;

/// <summary>The gateway over a real nats-server: the broker's own limits and outages reach the sender correctly.</summary>
public sealed class NatsGatewayTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(45);

    private static GatewayApp NewApp(NatsServer nats, TimeProvider? clock = null) => new(settings: new()
    {
        ["Aof:Queue:Type"] = "nats",
        ["ConnectionStrings:nats"] = nats.Url,
        ["Aof:Queue:Prefix"] = "gw_" + Guid.NewGuid().ToString("N")[..8],
        ["Aof:Gateway:AckTimeoutMs"] = "5000",
        ["Aof:Queue:DedupWindowSecs"] = "60",
    }, services: clock is null ? null : s => s.AddSingleton(clock));

    private sealed class SettableClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;
        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static async Task<(HttpStatusCode Status, string[] Ids, bool Duplicate)> SendAsync(HttpClient client, string deliveryId, CancellationToken ct)
    {
        var response = await client.SendAsync(GatewayApp.Delivery("pull_request", GatewayApp.PullRequestOpened, deliveryId), ct);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
        var ids = json.GetProperty("ids").EnumerateArray().Select(e => e.GetString()!).ToArray();
        return (response.StatusCode, ids, json.TryGetProperty("duplicate", out var d) && d.GetBoolean());
    }

    [Fact]
    public async Task A_redelivery_is_answered_with_the_first_ids_also_across_a_dedup_epoch_and_enqueues_nothing()
    {
        await using var nats = await NatsServer.StartNewAsync();
        // Just before a dedup epoch ends (epochs are as long as the 60 s dedup window).
        var window = TimeSpan.FromSeconds(60);
        var epochEnd = DateTimeOffset.FromUnixTimeMilliseconds((MessageIds.EpochOf(DateTimeOffset.UtcNow, window) + 1) * 60_000);
        var clock = new SettableClock(epochEnd - TimeSpan.FromMilliseconds(30));
        using var app = NewApp(nats, clock);
        var client = app.CreateClient();
        using var cts = new CancellationTokenSource(Bound);

        var first = await SendAsync(client, "dlv-epoch", cts.Token);
        Assert.Equal(HttpStatusCode.Accepted, first.Status);
        Assert.False(first.Duplicate);
        // The id names the delivery (one trigger verifies with this secret, so one message).
        Assert.Equal([MessageIds.ForDelivery("github:dlv-epoch", 0, clock.Now, window)], first.Ids);

        var sameEpoch = await SendAsync(client, "dlv-epoch", cts.Token);
        Assert.Equal((HttpStatusCode.Accepted, true), (sameEpoch.Status, sameEpoch.Duplicate));
        Assert.Equal(first.Ids, sameEpoch.Ids);

        // JetStream still knows the delivery (its window is real time); this epoch's ids have no record, the first ones do.
        await QueuedRecords.WaitForAsync(app.Services.GetRequiredService<IExecutionStore>(), first.Ids[0], cts.Token);
        clock.Now = epochEnd + TimeSpan.FromMilliseconds(30);
        var nextEpoch = await SendAsync(client, "dlv-epoch", cts.Token);
        Assert.Equal((HttpStatusCode.Accepted, true), (nextEpoch.Status, nextEpoch.Duplicate));
        Assert.Equal(first.Ids, nextEpoch.Ids);

        Assert.Equal(1, (await app.Queue.GetStatsAsync(cts.Token)).Ready);
    }

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
