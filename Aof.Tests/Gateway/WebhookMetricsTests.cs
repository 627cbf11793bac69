using System.Diagnostics.Metrics;
using System.Net;
using System.Text;
using Aof.Core.Telemetry;

namespace Aof.Tests.Gateway;

/// <summary>Run alone: the counters are process-wide, so parallel tests would add their own webhooks to the counts.</summary>
[CollectionDefinition(nameof(WebhookMetricsCollection), DisableParallelization = true)]
public sealed class WebhookMetricsCollection;

[Collection(nameof(WebhookMetricsCollection))]
public class WebhookMetricsTests
{
    [Fact]
    public async Task Every_outcome_is_counted_by_platform_and_outcome_and_published_by_priority()
    {
        var received = new List<(string Platform, string Outcome)>();
        var published = new List<(string Platform, string Priority, long Count)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument == AofTelemetry.WebhooksReceived || instrument == AofTelemetry.Published) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string? platform = null, outcome = null, priority = null;
            foreach (var t in tags)
            {
                if (t.Key == "platform") platform = t.Value as string;
                else if (t.Key == "outcome") outcome = t.Value as string;
                else if (t.Key == "priority") priority = t.Value as string;
            }
            lock (received)
            {
                if (instrument == AofTelemetry.WebhooksReceived) received.Add((platform!, outcome!));
                else published.Add((platform!, priority!, value));
            }
        });
        listener.Start();

        using var app = new GatewayApp();
        var client = app.CreateClient();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        async Task Send(HttpRequestMessage r, HttpStatusCode expected) => Assert.Equal(expected, (await client.SendAsync(r, cts.Token)).StatusCode);

        await Send(GatewayApp.Delivery("pull_request", GatewayApp.PullRequestOpened, "m-1"), HttpStatusCode.Accepted);
        await Send(GatewayApp.Delivery("pull_request", GatewayApp.PullRequestOpened, "m-1"), HttpStatusCode.Accepted);
        await Send(GatewayApp.Delivery("pull_request", GatewayApp.PullRequestClosed), HttpStatusCode.OK);
        await Send(GatewayApp.Delivery("ping", "{}"), HttpStatusCode.OK);
        await Send(GatewayApp.Delivery("pull_request", GatewayApp.PullRequestOpened, secret: "nope"), HttpStatusCode.Unauthorized);
        await Send(GatewayApp.Delivery("pull_request", "nope"), HttpStatusCode.BadRequest);
        await Send(GatewayApp.SignedRequest("/webhook/nosuchplatform", Encoding.UTF8.GetBytes("{}"), "application/json", "x", "y", "z"), HttpStatusCode.NotFound);
        await Send(GatewayApp.SignedRequest("/webhook/github", new byte[GatewayApp.MaxBodyBytes + 1], "application/json", "x", "y", "z"), HttpStatusCode.RequestEntityTooLarge);

        lock (received)
        {
            Assert.Equal(
                [("github", "accepted"), ("github", "duplicate"), ("github", "unmatched"), ("github", "ping"),
                 ("github", "unauthorized"), ("github", "bad_request"), ("unknown", "not_found"), ("github", "too_large")],
                received);
            Assert.Equal([("github", "normal", 1L)], published);
        }
    }
}
