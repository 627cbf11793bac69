using System.Net;
using Aof.Core.Hosting;
using Aof.Tests.Gateway;
using Aof.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace Aof.Tests.ServiceDefaults;

/// <summary>
/// ServiceDefaults' HttpClient defaults (service discovery, standard resilience) and the broker clients registered the
/// way Aspire's client integrations are: ConnectionStrings, then the Aspire:* sections, with their switches.
/// </summary>
public sealed class ServiceDefaultsClientTests(RedisServerFixture redis, NatsServerFixture nats)
    : IClassFixture<RedisServerFixture>, IClassFixture<NatsServerFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task An_http_client_finds_a_service_by_name_and_retries_a_503()
    {
        using var cts = new CancellationTokenSource(Bound);
        var calls = 0;
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var backend = builder.Build();
        backend.MapGet("/hello", () => Interlocked.Increment(ref calls) == 1
            ? Results.StatusCode(StatusCodes.Status503ServiceUnavailable) : Results.Text("hello"));
        await backend.StartAsync(cts.Token);

        using var app = new GatewayApp(settings: new() { ["services:backend:http:0"] = backend.Urls.Single() });
        _ = app.Server; // builds the host
        using var client = app.Services.GetRequiredService<IHttpClientFactory>().CreateClient();

        var body = await client.GetStringAsync("http://backend/hello", cts.Token);

        Assert.Equal("hello", body);
        Assert.Equal(2, calls);
    }

    [Fact]
    public async Task Redis_is_found_in_the_aspire_section_and_gets_its_own_health_check()
    {
        using var app = Gateway(new()
        {
            ["Aof:Queue:Type"] = "redis",
            ["Aspire:StackExchange:Redis:ConnectionString"] = redis.ConnectionString,
        });
        var report = await HealthAsync(app);
        Assert.Equal(HealthStatus.Healthy, report.Entries["redis"].Status);
        Assert.Equal(HealthStatus.Healthy, report.Entries["queue"].Status);
    }

    [Fact]
    public async Task ConnectionStrings_redis_wins_over_the_aspire_section_and_disable_health_checks_drops_the_client_check()
    {
        using var app = Gateway(new()
        {
            ["Aof:Queue:Type"] = "redis",
            ["ConnectionStrings:redis"] = redis.ConnectionString,
            ["Aspire:StackExchange:Redis:ConnectionString"] = $"127.0.0.1:{LocalProcesses.FreePort()}", // nothing there
            ["Aspire:StackExchange:Redis:DisableHealthChecks"] = "true",
        });
        var report = await HealthAsync(app);
        Assert.False(report.Entries.ContainsKey("redis"));
        Assert.Equal(HealthStatus.Healthy, report.Entries["queue"].Status);
    }

    [Fact]
    public async Task Nats_is_found_in_the_aspire_section_and_its_tracing_can_be_disabled()
    {
        using var app = Gateway(new()
        {
            ["Aof:Queue:Type"] = "nats",
            ["Aspire:NATS:Net:ConnectionString"] = nats.Server.Url,
        });
        var report = await HealthAsync(app);
        Assert.Equal(HealthStatus.Healthy, report.Entries["nats"].Status);
        Assert.Equal(HealthStatus.Healthy, report.Entries["queue"].Status);

        Assert.Contains(AspireClientSettings.NatsActivitySource, Microsoft.Extensions.Hosting.ServiceDefaultsExtensions.ClientTracingSources(Config(new())));
        Assert.Equal([AspireClientSettings.RedisActivitySource], Microsoft.Extensions.Hosting.ServiceDefaultsExtensions.ClientTracingSources(Config(new() { ["Aspire:NATS:Net:DisableTracing"] = "true" })));
    }

    [Fact]
    public void A_switch_that_is_not_a_boolean_is_a_clear_error()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            AspireClientSettings.Redis(Config(new() { ["Aspire:StackExchange:Redis:DisableHealthChecks"] = "sometimes" })));
        Assert.Contains("Aspire:StackExchange:Redis:DisableHealthChecks must be true or false, not 'sometimes'", error.Message);
    }

    [Fact]
    public void The_connection_string_comes_from_ConnectionStrings_then_the_aspire_section()
    {
        Assert.Equal("a:1", AspireClientSettings.Nats(Config(new() { ["ConnectionStrings:nats"] = "a:1", ["Aspire:NATS:Net:ConnectionString"] = "b:2" })).ConnectionString);
        Assert.Equal("b:2", AspireClientSettings.Nats(Config(new() { ["Aspire:NATS:Net:ConnectionString"] = "b:2" })).ConnectionString);
        Assert.Null(AspireClientSettings.Redis(Config(new())).ConnectionString);
        var settings = AspireClientSettings.Redis(Config(new() { ["Aspire:StackExchange:Redis:DisableTracing"] = "True" }));
        Assert.True(settings.DisableTracing);
        Assert.False(settings.DisableHealthChecks);
    }

    private static GatewayApp Gateway(Dictionary<string, string?> settings) => new(settings: settings);

    private static async Task<HealthReport> HealthAsync(GatewayApp app)
    {
        _ = app.Server;
        using var cts = new CancellationTokenSource(Bound);
        // The connection may still be coming up right after start.
        while (true)
        {
            var report = await app.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(cts.Token);
            if (report.Status == HealthStatus.Healthy || cts.IsCancellationRequested) return report;
            await Task.Delay(100, cts.Token);
        }
    }

    private static IConfiguration Config(Dictionary<string, string?> values) => new ConfigurationBuilder().AddInMemoryCollection(values).Build();
}
