using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization;
using Aof.AppHost.Hosting.ApplicationModel;
using Aof.AppHost.Hosting.Orchestration;

namespace Aof.AppHost.Dashboard;

/// <summary>Queue depth as the gateway's admin API reports it (<c>GET /api/queue/stats</c>).</summary>
public sealed record QueueStatsDto(string Backend, long Ready, long InFlight, long Delayed, long DeadLettered,
    Dictionary<string, LaneStatsDto> ByPriority);

public sealed record LaneStatsDto(long Ready, long InFlight);

/// <summary>One dead letter as listed by <c>GET /api/dlq</c>.</summary>
public sealed record DeadLetterDto(string MessageId, string Priority, string Reason, string? LastError, int Attempts,
    DateTimeOffset DeadLetteredAt, string? TriggerName, string? Target, string? Platform, string? EventType, string? Repo);

public sealed record DeadLetterPageDto(int Offset, int Limit, List<DeadLetterDto> Items);

/// <summary>What an admin call came back with: ok, or the gateway's error message (or why it could not be reached).</summary>
public sealed record AdminResult<T>(T? Value, string? Error, HttpStatusCode? Status)
{
    public bool Ok => Error is null;
}

/// <summary>
/// The dashboard's way to the queue: the gateway's admin API (stats, DLQ list, replay, purge), so the dashboard
/// needs no broker client of its own and goes through the same checks as any operator. The gateway serves loopback
/// clients without a token; when <c>AOF_ADMIN_TOKEN</c> is set (the services inherit it), it is sent as Bearer.
/// </summary>
public sealed class GatewayAdminClient(DistributedApplication app)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
    };

    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private readonly string? _token = Environment.GetEnvironmentVariable("AOF_ADMIN_TOKEN") is { Length: > 0 } t ? t : null;

    public Task<AdminResult<QueueStatsDto>> StatsAsync(CancellationToken ct) => SendAsync<QueueStatsDto>(HttpMethod.Get, "/api/queue/stats", ct);

    public Task<AdminResult<DeadLetterPageDto>> DeadLettersAsync(int limit, CancellationToken ct) =>
        SendAsync<DeadLetterPageDto>(HttpMethod.Get, $"/api/dlq?limit={limit}", ct);

    public Task<AdminResult<JsonElement>> ReplayAsync(string id, CancellationToken ct) =>
        SendAsync<JsonElement>(HttpMethod.Post, $"/api/dlq/{Uri.EscapeDataString(id)}/replay", ct);

    public Task<AdminResult<JsonElement>> PurgeAsync(string id, CancellationToken ct) =>
        SendAsync<JsonElement>(HttpMethod.Delete, $"/api/dlq/{Uri.EscapeDataString(id)}", ct);

    private async Task<AdminResult<T>> SendAsync<T>(HttpMethod method, string path, CancellationToken ct)
    {
        var gateway = app.Resources.OfType<ProjectResource>().FirstOrDefault(p => p.Name == "gateway");
        if (gateway is null || gateway.Endpoint.Allocated.Length == 0)
            return new(default, "the app has no gateway (yet)", null);
        using var request = new HttpRequestMessage(method, new Uri(gateway.Url(), path));
        if (_token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        try
        {
            using var response = await _http.SendAsync(request, ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            if (!response.IsSuccessStatusCode)
                return new(default, ErrorMessage(body) ?? $"the gateway answered {(int)response.StatusCode}", response.StatusCode);
            return new(JsonSerializer.Deserialize<T>(body, Json), null, response.StatusCode);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException && !ct.IsCancellationRequested)
        {
            return new(default, $"the gateway's admin API at {gateway.Url()} cannot be reached: {ex.Message}", null);
        }
    }

    private static string? ErrorMessage(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.TryGetProperty("error", out var error) ? error.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
