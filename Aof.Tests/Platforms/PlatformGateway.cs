using System.Net;
using System.Text.Json;
using Aof.Core.Events;
using Aof.Core.Queue;
using Aof.Tests.Gateway;

namespace Aof.Tests.Platforms;

/// <summary>Sending to a <see cref="GatewayApp"/> and taking what it published (fetched and acked, so each test starts empty).</summary>
public static class PlatformGateway
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    public static async Task<(HttpStatusCode Status, string Text, HttpResponseMessage Response)> SendAsync(HttpClient client, HttpRequestMessage request)
    {
        using var cts = new CancellationTokenSource(Bound);
        var response = await client.SendAsync(request, cts.Token);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(cts.Token), response);
    }

    public static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    public static async Task<IReadOnlyList<EventEnvelope>> TakeAllAsync(GatewayApp app)
    {
        var deliveries = await app.Queue.FetchAsync(1000, TimeSpan.FromMilliseconds(100), CancellationToken.None);
        foreach (var d in deliveries) await app.Queue.AckAsync(d, CancellationToken.None);
        return deliveries.Select(d => EnvelopeCodec.Parse(d.Body)).ToList();
    }

    public static async Task<long> ReadyAsync(GatewayApp app) => (await app.Queue.GetStatsAsync(CancellationToken.None)).Ready;
}
