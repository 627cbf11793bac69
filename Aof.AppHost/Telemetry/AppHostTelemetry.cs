using Aof.AppHost.Hosting.Builder;
using Aof.AppHost.Hosting.Orchestration;
using Aof.AppHost.Hosting.Processes;
using Aof.AppHost.Telemetry.Receiver;
using Aof.AppHost.Telemetry.Store;

namespace Aof.AppHost.Telemetry;

/// <summary>
/// The AppHost's telemetry, as Aspire's dashboard receives it: a <see cref="TelemetryStore"/> (exists from the
/// builder on, so a dashboard can be wired to it before the app runs) filled by an <see cref="OtlpReceiver"/> that
/// starts before the services, and the <c>OTEL_*</c> variables that point the services at it.
/// </summary>
public sealed class AppHostTelemetry : IAsyncDisposable
{
    /// <summary>Export every second, as Aspire configures services in development: a dashboard shows what just happened.</summary>
    private static readonly IReadOnlyDictionary<string, string> ExportIntervals = new Dictionary<string, string>
    {
        ["OTEL_BSP_SCHEDULE_DELAY"] = "1000",
        ["OTEL_BLRP_SCHEDULE_DELAY"] = "1000",
        ["OTEL_METRIC_EXPORT_INTERVAL"] = "1000",
    };

    public TelemetryStore Store { get; } = new();

    /// <summary>The running receiver; null before the app starts.</summary>
    public OtlpReceiver? Receiver { get; private set; }

    /// <summary>
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> of the AppHost's own environment: set by the user, it wins, and the services
    /// (which inherit it) export there instead of to the receiver.
    /// </summary>
    public static string? UserEndpoint => UserEndpointIn(Environment.GetEnvironmentVariable);

    private static string? UserEndpointIn(Func<string, string?> environment) =>
        environment("OTEL_EXPORTER_OTLP_ENDPOINT") is { Length: > 0 } e ? e : null;

    /// <summary>
    /// Starts the receiver. A port the user gave that is busy fails the start (<see cref="StartupFailedException"/>
    /// naming "otlp" and the port); a busy default port is replaced by a free one, and said so.
    /// </summary>
    public async Task StartAsync(AppHostOptions options, AppHostConsole console, CancellationToken ct)
    {
        var wanted = new OtlpReceiverOptions
        {
            GrpcPort = options.OtlpGrpcPort ?? OtlpReceiverOptions.DefaultGrpcPort,
            HttpPort = options.OtlpHttpPort ?? OtlpReceiverOptions.DefaultHttpPort,
        };
        void Log(string line) => console.Log(line);
        try
        {
            Receiver = await OtlpReceiver.StartAsync(Store, wanted, Log, ct);
        }
        catch (IOException ex) when (options.OtlpGrpcPort is null || options.OtlpHttpPort is null)
        {
            var fallback = wanted with
            {
                GrpcPort = options.OtlpGrpcPort ?? 0,
                HttpPort = options.OtlpHttpPort ?? 0,
            };
            try
            {
                Receiver = await OtlpReceiver.StartAsync(Store, fallback, Log, ct);
            }
            catch (IOException again)
            {
                throw new StartupFailedException("otlp", again.Message + " (set --otlp-grpc-port / --otlp-http-port, 0 for any free port)", []);
            }
            console.Log($"otlp: the default ports are in use ({ex.InnerException?.Message ?? ex.Message}); listening on " +
                        $"{Receiver.GrpcEndpoint.Port} (gRPC) and {Receiver.HttpEndpoint.Port} (HTTP) instead");
        }
        catch (IOException ex)
        {
            throw new StartupFailedException("otlp", ex.Message + " (set --otlp-grpc-port / --otlp-http-port, 0 for any free port)", []);
        }
    }

    /// <summary>
    /// What every service gets: the receiver as its OTLP endpoint (gRPC) unless the user set one, and one-second
    /// export intervals unless set. <c>OTEL_SERVICE_NAME</c> and <c>service.instance.id</c> are per replica (ProjectResource).
    /// </summary>
    /// <param name="environment">The AppHost's environment (default: the process's); tests pass their own.</param>
    public IReadOnlyDictionary<string, string> ServiceEnvironment(Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        if (UserEndpointIn(environment) is null && Receiver is not null)
        {
            env["OTEL_EXPORTER_OTLP_ENDPOINT"] = Receiver.GrpcEndpoint.ToString().TrimEnd('/');
            env["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc";
        }
        foreach (var (key, value) in ExportIntervals)
        {
            if (environment(key) is null) env[key] = value;
        }
        return env;
    }

    /// <summary>Where the services' telemetry goes, for the AppHost's summary.</summary>
    public string Describe() =>
        UserEndpoint is { } user
            ? $"telemetry: services export to {user} (OTEL_EXPORTER_OTLP_ENDPOINT); the AppHost's receiver listens on {Receiver?.GrpcEndpoint} too"
            : $"telemetry: OTLP gRPC {Receiver?.GrpcEndpoint}  OTLP HTTP {Receiver?.HttpEndpoint}";

    public async ValueTask DisposeAsync()
    {
        if (Receiver is not null) await Receiver.DisposeAsync();
        Receiver = null;
    }
}
