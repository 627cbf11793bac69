using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Aof.Tests.ServiceDefaults;

/// <summary>
/// Metrics are always collected (for /metrics); spans and OpenTelemetry logs only when an OTLP endpoint is set, so a
/// service nobody collects traces from does not pay for recording them.
/// </summary>
public sealed class TelemetryExportTests
{
    private static IHost Build(string? otlpEndpoint)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        if (otlpEndpoint is not null) builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"] = otlpEndpoint;
        builder.ConfigureOpenTelemetry();
        return builder.Build();
    }

    [Fact]
    public void Without_an_otlp_endpoint_only_metrics_are_collected()
    {
        using var host = Build(null);

        Assert.NotNull(host.Services.GetService<MeterProvider>());
        Assert.Null(host.Services.GetService<TracerProvider>());
        Assert.DoesNotContain(host.Services.GetServices<ILoggerProvider>(), p => p.GetType().Name.Contains("OpenTelemetry"));
    }

    [Fact]
    public void With_an_otlp_endpoint_traces_and_logs_are_exported_too()
    {
        // Nothing listens there; building the host does not connect.
        using var host = Build("http://127.0.0.1:9");

        Assert.NotNull(host.Services.GetService<MeterProvider>());
        Assert.NotNull(host.Services.GetService<TracerProvider>());
        Assert.Contains(host.Services.GetServices<ILoggerProvider>(), p => p.GetType().Name.Contains("OpenTelemetry"));
    }
}
