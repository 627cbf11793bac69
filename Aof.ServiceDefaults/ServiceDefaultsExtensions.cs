using Aof.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// What every AOF service shares: OpenTelemetry metrics (Prometheus scrape endpoint), and logs, traces and metrics
/// over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (as Aspire injects it), health endpoints, and service discovery plus
/// the standard resilience handler on every HttpClient.
/// In the Microsoft.Extensions.Hosting namespace, as Aspire's template does, so hosts need no extra using.
/// </summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>The project's ActivitySource and Meter name (Aof.Core's AofTelemetry; this project does not reference Core).</summary>
    public const string AofTelemetryName = "Aof";

    public const string LiveTag = "live";
    public const string HealthPath = "/health";
    public const string AlivePath = "/alive";
    public const string MetricsPath = "/metrics";

    /// <summary>ASP.NET Core's per-request log category (request starting / finished, at Information).</summary>
    public const string RequestLogCategory = "Microsoft.AspNetCore.Hosting.Diagnostics";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();
        QuietRequestLogging(builder);
        builder.Services.AddHealthChecks()
            .AddCheck("alive", () => HealthCheckResult.Healthy(), [LiveTag]);

        // As Aspire's template: every HttpClient resolves "http://name" through service discovery
        // (services:name:http:0 in configuration) and retries / times out with the standard resilience handler.
        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });
        return builder;
    }

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        // Metrics always: /metrics is scraped whether or not an OTLP endpoint is set.
        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(AofTelemetryName)
                .AddPrometheusExporter());

        // Spans and OpenTelemetry logs only when they have somewhere to go: recording a span per request, per publish
        // and per Redis command that no exporter ever sends cost the gateway about 4 us of its ~50 us per webhook
        // (bench/cpu-cost.sh). Without an endpoint, no span is recorded and envelopes carry no traceparent.
        if (string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"])) return builder;

        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });
        builder.Services.AddOpenTelemetry()
            .WithTracing(tracing => tracing
                .AddSource(builder.Environment.ApplicationName)
                .AddSource(AofTelemetryName)
                .AddSource(ClientTracingSources(builder.Configuration))
                // Health probes and scrapes would drown the traces that matter.
                .AddAspNetCoreInstrumentation(o => o.Filter = ctx =>
                    !ctx.Request.Path.StartsWithSegments(HealthPath) &&
                    !ctx.Request.Path.StartsWithSegments(AlivePath) &&
                    !ctx.Request.Path.StartsWithSegments(MetricsPath))
                .AddHttpClientInstrumentation());
        builder.Services.AddOpenTelemetry().UseOtlpExporter();
        // An unreachable endpoint must not stop the service, nor fill its log: one warning, then silence.
        builder.Services.AddSingleton<OtlpExportFailureLog>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<OtlpExportFailureLog>());
        return builder;
    }

    /// <summary>
    /// Turns <see cref="RequestLogCategory"/> off unless the configuration sets its level. While that category is enabled at
    /// any level, ASP.NET Core starts an Activity and a log scope for every request so its logs can be correlated, even
    /// with tracing off: about 10 us of the gateway's ~85 us per webhook (bench/README.md). With an OTLP endpoint the
    /// tracing listener still creates each request's Activity. <c>Logging__LogLevel__Microsoft.AspNetCore.Hosting.Diagnostics=Information</c>
    /// logs every request again.
    /// </summary>
    private static void QuietRequestLogging(IHostApplicationBuilder builder)
    {
        if (builder.Configuration[$"Logging:LogLevel:{RequestLogCategory}"] is null)
            builder.Logging.AddFilter(RequestLogCategory, LogLevel.None);
    }

    /// <summary>
    /// The broker clients' ActivitySources, each unless its Aspire section says <c>DisableTracing</c>: NATS.Net traces
    /// each publish and subscription; "StackExchange.Redis" carries a span per Redis command (Aof.Core's
    /// RedisCommandTracer, which the backend attaches unless tracing is disabled).
    /// </summary>
    public static string[] ClientTracingSources(IConfiguration configuration) =>
    [
        .. configuration.GetValue<bool>("Aspire:NATS:Net:DisableTracing") ? Array.Empty<string>() : ["NATS.Net"],
        .. configuration.GetValue<bool>("Aspire:StackExchange:Redis:DisableTracing") ? Array.Empty<string>() : ["StackExchange.Redis"],
    ];

    /// <summary>
    /// <c>/health</c>: every check (readiness, e.g. broker reachable); <c>/alive</c>: only checks tagged "live"
    /// (the process answers); <c>/metrics</c>: Prometheus scrape.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks(HealthPath);
        app.MapHealthChecks(AlivePath, new HealthCheckOptions { Predicate = r => r.Tags.Contains(LiveTag) });
        app.MapPrometheusScrapingEndpoint(MetricsPath);
        return app;
    }
}
