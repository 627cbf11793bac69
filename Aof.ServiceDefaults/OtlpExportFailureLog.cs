using System.Diagnostics.Tracing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Aof.ServiceDefaults;

/// <summary>
/// Makes an unreachable OTLP endpoint visible without flooding the log: the OpenTelemetry exporter reports each
/// failed export only on its EventSource; this listens there and logs the first failure once, as a warning with the
/// endpoint and the error. Later failures are counted (<see cref="Failures"/>), not logged: the service keeps working
/// and its telemetry is simply dropped.
/// </summary>
public sealed partial class OtlpExportFailureLog(ILogger<OtlpExportFailureLog> logger) : IHostedService
{
    /// <summary>The OpenTelemetry OTLP exporter's EventSource.</summary>
    public const string ExporterEventSource = "OpenTelemetry-Exporter-OpenTelemetryProtocol";

    private Listener? _listener;
    private long _failures;

    /// <summary>Failed exports seen since the service started.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _listener = new Listener(this);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _listener?.Dispose();
        _listener = null;
        return Task.CompletedTask;
    }

    private void OnFailure(EventWrittenEventArgs e)
    {
        if (Interlocked.Increment(ref _failures) != 1) return;
        var payload = e.Payload ?? [];
        var endpoint = payload.Count > 0 ? payload[0]?.ToString() : null;
        var error = payload.Count > 1 ? payload[^1]?.ToString() : e.Message;
        // The exception text is long (a stack trace); its first line says what went wrong.
        LogFirstFailure(logger, endpoint ?? "(unknown)", error?.Split('\n')[0].Trim() ?? e.EventName ?? "export failed");
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "OTLP export to {Endpoint} failed: {Error}. The service keeps running without exporting telemetry; further export failures are not logged")]
    private static partial void LogFirstFailure(ILogger logger, string endpoint, string error);

    private sealed class Listener : EventListener
    {
        private readonly OtlpExportFailureLog? _owner;

        public Listener(OtlpExportFailureLog owner)
        {
            _owner = owner;
        }

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            // Called from the base constructor for sources that exist already, so before _owner is set.
            if (eventSource.Name == ExporterEventSource) EnableEvents(eventSource, EventLevel.Warning);
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            // Failed sends come as TransientHttpError / FailedToReachCollector / ExportMethodException (warning or error).
            if (eventData.EventName is { } name && (name.Contains("Error", StringComparison.Ordinal) ||
                                                    name.Contains("Fail", StringComparison.Ordinal) ||
                                                    name.Contains("Exception", StringComparison.Ordinal)))
                _owner?.OnFailure(eventData);
        }
    }
}
