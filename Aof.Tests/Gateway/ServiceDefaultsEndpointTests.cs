using System.Net;
using Aof.Core.Queue;
using Microsoft.Extensions.DependencyInjection;

namespace Aof.Tests.Gateway;

public class ServiceDefaultsEndpointTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Health_alive_and_metrics_are_served()
    {
        using var app = new GatewayApp();
        var client = app.CreateClient();
        using var cts = new CancellationTokenSource(Bound);

        // Count one webhook so the Aof meter has something to export.
        await client.SendAsync(GatewayApp.Delivery("pull_request", GatewayApp.PullRequestClosed), cts.Token);

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health", cts.Token)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/alive", cts.Token)).StatusCode);
        var metrics = await client.GetStringAsync("/metrics", cts.Token);
        Assert.Contains("aof_webhooks_received", metrics);
    }

    [Fact]
    public async Task Health_fails_when_the_broker_is_unreachable_while_alive_stays_up()
    {
        using var app = new GatewayApp(services: s => s.AddSingleton<IMessageQueue>(new StubQueue(StubQueue.Mode.Throws)));
        var client = app.CreateClient();
        using var cts = new CancellationTokenSource(Bound);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/health", cts.Token)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/alive", cts.Token)).StatusCode);
    }
}

public class GatewayModeTests
{
    [Fact]
    public void Worker_mode_does_not_start_the_gateway_host()
    {
        // Also proves the factory's settings reach Program before it reads the mode.
        using var app = new GatewayApp(settings: new() { ["Aof:Mode"] = "worker" });
        var ex = Assert.ThrowsAny<Exception>(() => app.CreateClient());
        Assert.Contains("without ever building", ex.Message);
    }
}
