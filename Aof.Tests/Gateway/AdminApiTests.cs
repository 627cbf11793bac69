using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Aof.Core.Executions;
using Aof.Core.Queue;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Aof.Tests.Gateway;

public class AdminApiTests
{
    private const string Token = "admin-token-123";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private static GatewayApp WithToken() => new(settings: new() { ["AOF_ADMIN_TOKEN"] = Token });

    private static async Task<(HttpStatusCode Status, JsonElement Json)> CallAsync(HttpClient client, HttpMethod method, string path, string? token = Token)
    {
        using var cts = new CancellationTokenSource(Bound);
        var request = new HttpRequestMessage(method, path);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var response = await client.SendAsync(request, cts.Token);
        var text = await response.Content.ReadAsStringAsync(cts.Token);
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    /// <summary>Publishes one PR delivery through the webhook and returns its message id.</summary>
    private static async Task<string> PublishAsync(HttpClient client)
    {
        using var cts = new CancellationTokenSource(Bound);
        var response = await client.SendAsync(GatewayApp.Delivery("pull_request", GatewayApp.PullRequestOpened), cts.Token);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cts.Token)).RootElement;
        return json.GetProperty("ids")[0].GetString()!;
    }

    /// <summary>Leases the one ready message and dead-letters it, as a worker would after the last retry.</summary>
    private static async Task DeadLetterOneAsync(GatewayApp app, string id)
    {
        var delivery = Assert.Single(await app.Queue.FetchAsync(1, TimeSpan.FromSeconds(1), CancellationToken.None));
        Assert.Equal(id, delivery.MessageId);
        await app.Queue.DeadLetterAsync(delivery, DeadLetterReasons.PermanentFailure, "boom", CancellationToken.None);
        await app.Services.GetRequiredService<IExecutionStore>()
            .RecordDeadLetteredAsync(id, DeadLetterReasons.PermanentFailure, "boom", DateTimeOffset.UtcNow, CancellationToken.None);
    }

    [Fact]
    public async Task With_a_token_configured_the_bearer_token_is_required()
    {
        using var app = WithToken();
        var client = app.CreateClient();

        var (missing, missingJson) = await CallAsync(client, HttpMethod.Get, "/api/queue/stats", token: null);
        var (wrong, _) = await CallAsync(client, HttpMethod.Get, "/api/queue/stats", token: "admin-token-124");
        var (prefix, _) = await CallAsync(client, HttpMethod.Get, "/api/queue/stats", token: "admin-token-12");
        var (ok, _) = await CallAsync(client, HttpMethod.Get, "/api/queue/stats");

        Assert.Equal(HttpStatusCode.Unauthorized, missing);
        Assert.Contains("bearer", missingJson.GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, wrong);
        Assert.Equal(HttpStatusCode.Unauthorized, prefix);
        Assert.Equal(HttpStatusCode.OK, ok);
    }

    [Fact]
    public async Task Token_from_config_key_works_too()
    {
        using var app = new GatewayApp(settings: new() { ["Aof:Gateway:AdminToken"] = "cfg-token" });
        var client = app.CreateClient();

        Assert.Equal(HttpStatusCode.Unauthorized, (await CallAsync(client, HttpMethod.Get, "/api/queue/stats", token: null)).Status);
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(client, HttpMethod.Get, "/api/queue/stats", token: "cfg-token")).Status);
    }

    [Theory]
    [InlineData("127.0.0.1", StatusCodes.Status200OK)]
    [InlineData("::1", StatusCodes.Status200OK)]
    [InlineData("10.1.2.3", StatusCodes.Status403Forbidden)]
    [InlineData(null, StatusCodes.Status403Forbidden)] // unknown remote address (TestServer's default): fail closed
    public async Task Without_a_token_only_loopback_clients_are_served(string? remote, int expected)
    {
        using var app = new GatewayApp();
        using var cts = new CancellationTokenSource(Bound);

        var context = await app.Server.SendAsync(c =>
        {
            c.Request.Method = "GET";
            c.Request.Path = "/api/queue/stats";
            c.Connection.RemoteIpAddress = remote is null ? null : IPAddress.Parse(remote);
        }, cts.Token);

        Assert.Equal(expected, context.Response.StatusCode);
        if (expected == StatusCodes.Status403Forbidden)
        {
            var body = await new StreamReader(context.Response.Body).ReadToEndAsync(cts.Token);
            Assert.Contains("AOF_ADMIN_TOKEN", body);
        }
    }

    [Fact]
    public async Task Execution_record_is_shown_in_snake_case_and_unknown_ids_are_404()
    {
        using var app = WithToken();
        var client = app.CreateClient();
        var id = await PublishAsync(client);

        var (status, json) = await CallAsync(client, HttpMethod.Get, $"/api/executions/{id}");
        var (unknown, _) = await CallAsync(client, HttpMethod.Get, "/api/executions/01NOTANID");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(id, json.GetProperty("id").GetString());
        Assert.Equal("queued", json.GetProperty("status").GetString());
        Assert.Equal("pr-bot", json.GetProperty("trigger_name").GetString());
        Assert.Equal("pull_request", json.GetProperty("event_type").GetString());
        Assert.Equal(HttpStatusCode.NotFound, unknown);
    }

    [Fact]
    public async Task Queue_stats_show_depth_by_state_and_priority()
    {
        using var app = WithToken();
        var client = app.CreateClient();
        await PublishAsync(client);
        await PublishAsync(client);

        var (status, json) = await CallAsync(client, HttpMethod.Get, "/api/queue/stats");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("memory", json.GetProperty("backend").GetString());
        Assert.Equal(2, json.GetProperty("ready").GetInt64());
        Assert.Equal(0, json.GetProperty("in_flight").GetInt64());
        Assert.Equal(0, json.GetProperty("dead_lettered").GetInt64());
        Assert.Equal(2, json.GetProperty("by_priority").GetProperty("normal").GetProperty("ready").GetInt64());
    }

    [Fact]
    public async Task Dead_letters_can_be_listed_shown_replayed_and_purged()
    {
        using var app = WithToken();
        var client = app.CreateClient();
        var id = await PublishAsync(client);
        await DeadLetterOneAsync(app, id);

        var (listStatus, list) = await CallAsync(client, HttpMethod.Get, "/api/dlq?offset=0&limit=10");
        Assert.Equal(HttpStatusCode.OK, listStatus);
        var item = Assert.Single(list.GetProperty("items").EnumerateArray());
        Assert.Equal(id, item.GetProperty("message_id").GetString());
        Assert.Equal(DeadLetterReasons.PermanentFailure, item.GetProperty("reason").GetString());
        Assert.Equal("boom", item.GetProperty("last_error").GetString());
        Assert.Equal("pr-bot", item.GetProperty("trigger_name").GetString());
        Assert.Equal("agent/reviewer", item.GetProperty("target").GetString());
        Assert.False(item.TryGetProperty("envelope", out _));

        var (getStatus, entry) = await CallAsync(client, HttpMethod.Get, $"/api/dlq/{id}");
        Assert.Equal(HttpStatusCode.OK, getStatus);
        Assert.Equal("opened", entry.GetProperty("envelope").GetProperty("payload").GetProperty("action").GetString());

        var (replayStatus, replay) = await CallAsync(client, HttpMethod.Post, $"/api/dlq/{id}/replay");
        Assert.Equal(HttpStatusCode.OK, replayStatus);
        Assert.True(replay.GetProperty("replayed").GetBoolean());
        var stats = await app.Queue.GetStatsAsync(CancellationToken.None);
        Assert.Equal((1, 0), (stats.Ready, stats.DeadLettered));
        var record = await app.Services.GetRequiredService<IExecutionStore>().GetAsync(id, CancellationToken.None);
        Assert.Equal(ExecutionStatus.Queued, record!.Status);
        Assert.Equal(HttpStatusCode.NotFound, (await CallAsync(client, HttpMethod.Post, $"/api/dlq/{id}/replay")).Status);

        await DeadLetterOneAsync(app, id);
        var (deleteStatus, deleted) = await CallAsync(client, HttpMethod.Delete, $"/api/dlq/{id}");
        Assert.Equal(HttpStatusCode.OK, deleteStatus);
        Assert.True(deleted.GetProperty("purged").GetBoolean());
        Assert.Equal(HttpStatusCode.NotFound, (await CallAsync(client, HttpMethod.Get, $"/api/dlq/{id}")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await CallAsync(client, HttpMethod.Delete, $"/api/dlq/{id}")).Status);
        Assert.Equal(0, (await app.Queue.GetStatsAsync(CancellationToken.None)).DeadLettered);
    }

    [Fact]
    public async Task Dead_letter_paging_respects_offset_and_limit_and_rejects_bad_values()
    {
        using var app = WithToken();
        var client = app.CreateClient();
        for (var i = 0; i < 3; i++) await DeadLetterOneAsync(app, await PublishAsync(client));

        var (_, page) = await CallAsync(client, HttpMethod.Get, "/api/dlq?offset=1&limit=1");
        Assert.Single(page.GetProperty("items").EnumerateArray());
        Assert.Equal(1, page.GetProperty("offset").GetInt32());
        var (_, all) = await CallAsync(client, HttpMethod.Get, "/api/dlq");
        Assert.Equal(3, all.GetProperty("items").GetArrayLength());

        Assert.Equal(HttpStatusCode.BadRequest, (await CallAsync(client, HttpMethod.Get, "/api/dlq?offset=-1")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await CallAsync(client, HttpMethod.Get, "/api/dlq?limit=0")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await CallAsync(client, HttpMethod.Get, "/api/dlq?limit=abc")).Status);
    }

    [Fact]
    public async Task Unknown_dead_letter_is_404()
    {
        using var app = WithToken();
        var client = app.CreateClient();

        Assert.Equal(HttpStatusCode.NotFound, (await CallAsync(client, HttpMethod.Get, "/api/dlq/nope")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await CallAsync(client, HttpMethod.Post, "/api/dlq/nope/replay")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await CallAsync(client, HttpMethod.Delete, "/api/dlq/nope")).Status);
    }
}
