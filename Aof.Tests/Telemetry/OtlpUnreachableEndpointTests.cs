using System.Net;
using Aof.ServiceDefaults;
using Aof.Tests.Gateway;
using Aof.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aof.Tests.Telemetry;

/// <summary>Bad-input row: an OTLP endpoint set by the user that nobody listens on.</summary>
public sealed class OtlpUnreachableEndpointTests
{
    [Fact]
    public async Task The_gateway_keeps_accepting_webhooks_and_logs_the_export_failure_once()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var logs = new CapturingLoggerProvider();
        using var app = new GatewayApp(
            settings: new()
            {
                ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{LocalProcesses.FreePort()}", // nothing listens there
                ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc",
                ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
                ["OTEL_BLRP_SCHEDULE_DELAY"] = "100",
                ["OTEL_METRIC_EXPORT_INTERVAL"] = "200",
            },
            services: s => s.AddSingleton<ILoggerProvider>(logs));
        using var client = app.CreateClient();
        var failures = app.Services.GetRequiredService<OtlpExportFailureLog>();

        // Webhooks keep being accepted while exports keep failing.
        for (var i = 0; i < 10 && failures.Failures < 3; i++)
        {
            var response = await client.SendAsync(GatewayApp.Delivery("pull_request", GatewayApp.PullRequestOpened), cts.Token);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            await Task.Delay(300, cts.Token);
        }
        while (failures.Failures < 3) await Task.Delay(100, cts.Token);
        Assert.Equal(HttpStatusCode.Accepted, (await client.SendAsync(GatewayApp.Delivery("pull_request", GatewayApp.PullRequestOpened), cts.Token)).StatusCode);

        var warnings = logs.Messages.Where(m => m.Contains("OTLP export to", StringComparison.Ordinal)).ToList();
        var warning = Assert.Single(warnings);
        Assert.Contains("127.0.0.1", warning);
        Assert.Contains("further export failures are not logged", warning);
    }

    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        private readonly List<string> _messages = [];

        public IReadOnlyList<string> Messages
        {
            get { lock (_messages) return [.. _messages]; }
        }

        public ILogger CreateLogger(string categoryName) => new Logger(this);

        public void Dispose()
        {
        }

        private sealed class Logger(CapturingLoggerProvider owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (!IsEnabled(logLevel)) return;
                lock (owner._messages) owner._messages.Add(formatter(state, exception));
            }
        }
    }
}
