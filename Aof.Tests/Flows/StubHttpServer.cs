using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aof.Tests.Flows;

/// <summary>One request as the stub saw it.</summary>
public sealed record StubRequest(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, string Body);

/// <summary>What the stub answers.</summary>
public sealed record StubResponse(int Status, string Body, string ContentType = "application/json", IReadOnlyDictionary<string, string>? Headers = null);

/// <summary>
/// A real HTTP server (Kestrel on a free loopback port) that records requests and answers what the test says,
/// so nodes are tested against the wire formats of Slack, Discord and plain HTTP APIs, not against mocks of HttpClient.
/// </summary>
public sealed class StubHttpServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private StubHttpServer(WebApplication app) => _app = app;

    public ConcurrentQueue<StubRequest> Requests { get; } = new();

    public Func<StubRequest, StubResponse> Respond { get; set; } = _ => new StubResponse(200, "{}");

    public string BaseUrl { get; private set; } = "";

    public static async Task<StubHttpServer> StartAsync(Func<StubRequest, StubResponse>? respond = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new StubHttpServer(app);
        if (respond is not null) server.Respond = respond;
        app.Run(async ctx =>
        {
            using var reader = new StreamReader(ctx.Request.Body);
            var body = await reader.ReadToEndAsync();
            var headers = ctx.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
            var request = new StubRequest(ctx.Request.Method, ctx.Request.Path, ctx.Request.QueryString.Value ?? "", headers, body);
            server.Requests.Enqueue(request);
            var response = server.Respond(request);
            ctx.Response.StatusCode = response.Status;
            ctx.Response.ContentType = response.ContentType;
            foreach (var (k, v) in response.Headers ?? new Dictionary<string, string>()) ctx.Response.Headers[k] = v;
            await ctx.Response.WriteAsync(response.Body);
        });
        await app.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
        server.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await _app.DisposeAsync();
    }
}
