using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aof.Tests.Agents.Stubs;

/// <summary>One request as the stub saw it.</summary>
public sealed record StubRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public JsonNode? Json => Body.Length == 0 ? null : JsonNode.Parse(Body);
    public string? Header(string name) => Headers.TryGetValue(name.ToLowerInvariant(), out var v) ? v : null;
}

/// <summary>What the stub answers.</summary>
public sealed record StubResponse(int Status, string Body, IReadOnlyDictionary<string, string>? Headers = null)
{
    public static StubResponse Json(JsonNode body, int status = 200) => new(status, body.ToJsonString());
    public static StubResponse Error(int status, string body = "{}", params (string Name, string Value)[] headers) =>
        new(status, body, headers.ToDictionary(h => h.Name, h => h.Value));
}

/// <summary>
/// A real HTTP server (Kestrel on a free loopback port) standing in for a provider or platform API we cannot
/// run here. Every request is recorded; the handler decides the answer from the request, so stubs can speak the
/// real wire format (OpenAI chat completions, Anthropic messages, GitHub REST, Slack Web API).
/// </summary>
public sealed class StubHttpServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<StubRequest> _requests = new();

    private StubHttpServer(WebApplication app, Func<StubRequest, StubResponse> handler)
    {
        _app = app;
        _app.Run(async ctx =>
        {
            using var reader = new StreamReader(ctx.Request.Body, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            var headers = ctx.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
            var request = new StubRequest(ctx.Request.Method, ctx.Request.Path + ctx.Request.QueryString, headers, body);
            _requests.Enqueue(request);
            StubResponse response;
            try
            {
                response = handler(request);
            }
            catch (Exception ex)
            {
                response = new StubResponse(500, $"{{\"error\":\"stub handler failed: {ex.Message.Replace("\"", "'")}\"}}");
            }
            ctx.Response.StatusCode = response.Status;
            ctx.Response.ContentType = "application/json";
            foreach (var (k, v) in response.Headers ?? new Dictionary<string, string>()) ctx.Response.Headers[k] = v;
            await ctx.Response.WriteAsync(response.Body);
        });
    }

    public static async Task<StubHttpServer> StartAsync(Func<StubRequest, StubResponse> handler)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var server = new StubHttpServer(builder.Build(), handler);
        await server._app.StartAsync().WaitAsync(TimeSpan.FromSeconds(15));
        return server;
    }

    /// <summary>Base URL with a trailing slash, e.g. http://127.0.0.1:41234/.</summary>
    public string Url => _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/') + "/";

    public IReadOnlyList<StubRequest> Requests => [.. _requests];

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(stop.Token).WaitAsync(TimeSpan.FromSeconds(10));
        await _app.DisposeAsync();
    }
}
