using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Aof.AppHost.Hosting.Orchestration;
using Aof.AppHost.Hosting.Processes;
using Aof.AppHost.Telemetry.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Aof.AppHost.Dashboard;

/// <summary>
/// The AppHost's dashboard: a small Kestrel app beside the orchestrator, started before the resources so their start
/// can be watched. Loopback only unless the URL names another host; then a login token is required (printed at start).
/// </summary>
public sealed class DashboardServer : IAsyncDisposable
{
    private readonly WebApplication _web;

    private DashboardServer(WebApplication web, Uri url, string? token)
    {
        _web = web;
        Url = url;
        Token = token;
    }

    /// <summary>Where it listens, with the real port.</summary>
    public Uri Url { get; }

    /// <summary>The login token; null on loopback without a configured token, where none is needed.</summary>
    public string? Token { get; }

    /// <summary>What to open: the URL, with the token that signs in when one is required.</summary>
    public string LoginUrl => Token is null ? Url.ToString() : $"{Url}login?t={Uri.EscapeDataString(Token)}";

    public static bool IsLoopback(Uri url) =>
        url.IsLoopback || (IPAddress.TryParse(url.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));

    /// <exception cref="StartupFailedException">The port is in use or the address cannot be bound.</exception>
    /// <param name="telemetry">What the AppHost's OTLP receiver keeps: the Traces and Metrics pages read it.</param>
    public static async Task<DashboardServer> StartAsync(DistributedApplication app, TelemetryStore telemetry, Uri url, string? token,
        AppHostConsole console, CancellationToken ct)
    {
        var loopback = IsLoopback(url);
        // Beyond loopback the dashboard can stop resources and purge dead letters: never without a token. On loopback a
        // token is required only when one was given (--dashboard-token / AOF_DASHBOARD_TOKEN), e.g. on a shared machine.
        if (!loopback) token ??= RandomNumberGenerator.GetHexString(32, lowercase: true);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            var port = url.Port;
            if (url.IsLoopback && url.Host == "localhost" && port != 0) kestrel.ListenLocalhost(port);
            else if (loopback) kestrel.Listen(IPAddress.Loopback, port);
            else if (url.Host is "0.0.0.0" or "*" or "+") kestrel.ListenAnyIP(port);
            else if (IPAddress.TryParse(url.Host.Trim('[', ']'), out var ip)) kestrel.Listen(ip, port);
            else kestrel.ListenAnyIP(port); // a host name: listen everywhere, the name is how users reach it
        });
        builder.Services.AddSingleton(app);
        builder.Services.AddSingleton(telemetry);
        builder.Services.AddSingleton(new DashboardAuth(token));
        builder.Services.AddSingleton<GatewayAdminClient>();
        builder.Services.AddSingleton<HealthMonitor>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<HealthMonitor>());

        var web = builder.Build();
        var auth = web.Services.GetRequiredService<DashboardAuth>();
        web.Use(auth.InvokeAsync);
        web.MapGet("/login", (Delegate)auth.Login);
        web.MapPost("/login", (Delegate)auth.LoginPostAsync);
        web.MapGet("/", () => Results.Redirect("/resources"));
        web.MapGet("/favicon.ico", () => Results.NoContent());
        ResourcesPage.Map(web);
        ConsolePage.Map(web);
        QueuePage.Map(web);
        TracesPage.Map(web);
        MetricsPage.Map(web);

        try
        {
            await web.StartAsync(ct);
        }
        catch (Exception ex) when (ex is IOException or SocketException)
        {
            await web.DisposeAsync();
            throw new StartupFailedException("dashboard",
                $"cannot listen on {url}: {ex.Message}. Choose another address with --dashboard <url> (port 0 picks a free one) or run with --no-dashboard.", []);
        }
        var bound = web.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .Select(a => new Uri(a)).First();
        var actual = new UriBuilder(url) { Port = bound.Port }.Uri;
        if (!loopback) console.Log("the dashboard is reachable beyond this machine: it requires the login token in the link below");
        return new DashboardServer(web, actual, token);
    }

    public async ValueTask DisposeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try { await _web.StopAsync(cts.Token); }
        catch (OperationCanceledException) { /* open SSE streams are cut off */ }
        await _web.DisposeAsync();
    }
}
