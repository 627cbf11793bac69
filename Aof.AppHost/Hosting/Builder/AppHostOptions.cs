using System.Reflection;

namespace Aof.AppHost.Hosting.Builder;

/// <summary>
/// The AppHost's command line. <c>--queue redis|nats</c>, <c>--workers N</c>, <c>--examples DIR</c> shape the model;
/// <c>--port N</c> (0: any free port), <c>--state DIR</c> and <c>--services-dir DIR</c> (run prebuilt dlls from DIR
/// instead of building) let tests and scripts run it side by side with others.
/// </summary>
public sealed class AppHostOptions
{
    public const string Usage = """
        usage: dotnet run --project Aof.AppHost -- [options]
          --queue redis|nats     the broker (default redis)
          --workers N            worker replicas (default 2)
          --examples DIR         resources and daemon.yaml to run (default examples/)
          --port N               the gateway's port (default 8080; 0 picks a free one)
          --state DIR            broker data (default Aof.AppHost/.state)
          --services-dir DIR     run Aof.Gateway.dll / Aof.Worker.dll from DIR instead of building them
          --dashboard URL        where the dashboard listens (default http://localhost:18888; port 0 picks a free one;
                                 a non-loopback host needs the login token printed at start)
          --dashboard-token T    require this login token (default: env AOF_DASHBOARD_TOKEN; beyond loopback a
                                 random one when none is given)
          --no-dashboard         run without the dashboard
          --otlp-grpc-port N     the OTLP/gRPC receiver's port (default 18889, another if busy; 0 picks a free one)
          --otlp-http-port N     the OTLP/HTTP receiver's port (default 18890, another if busy; 0 picks a free one)
        deployment (writes files and exits; nothing is started):
          --publisher NAME       manifest (Aspire manifest for azd) | kubernetes | helm
          --output-path PATH     the manifest file, or the folder of the Kubernetes manifests / Helm chart
          --external-brokers     deploy against existing brokers: no broker containers, connection strings as secrets
        """;

    public const string DefaultDashboardUrl = "http://localhost:18888";

    public string Queue { get; private set; } = "redis";

    public int Workers { get; private set; } = 2;

    public string ExamplesDirectory { get; private set; } = Path.GetFullPath(Path.Combine(ProjectDirectory, "..", "examples"));

    /// <summary>The DaemonConfig the services get as <c>--config</c>.</summary>
    public string DaemonConfig => Path.Combine(ExamplesDirectory, "daemon.yaml");

    public int GatewayPort { get; private set; } = 8080;

    public string StateDirectory { get; private set; } = Path.Combine(ProjectDirectory, ".state");

    public string? ServicesDirectory { get; private set; }

    public bool ShowHelp { get; private set; }

    /// <summary>Where the dashboard listens; null with --no-dashboard.</summary>
    public Uri? DashboardUrl { get; private set; } = new(DefaultDashboardUrl);

    /// <summary>The login token given on the command line or in AOF_DASHBOARD_TOKEN; null: generated when needed.</summary>
    public string? DashboardToken { get; private set; } = NullIfEmpty(Environment.GetEnvironmentVariable("AOF_DASHBOARD_TOKEN"));

    /// <summary>The OTLP receiver's gRPC port when given on the command line (then a busy port is an error); null: 18889, or any free port when that is busy.</summary>
    public int? OtlpGrpcPort { get; private set; }

    /// <summary>As <see cref="OtlpGrpcPort"/>, for OTLP/HTTP (default 18890).</summary>
    public int? OtlpHttpPort { get; private set; }
    /// <summary>The publisher to run (<c>--publisher</c>); null: run the app.</summary>
    public string? Publisher { get; private set; }

    /// <summary>Where the publisher writes (<c>--output-path</c>), absolute.</summary>
    public string? OutputPath { get; private set; }

    /// <summary>Deploy against existing brokers (<c>--external-brokers</c>).</summary>
    public bool ExternalBrokers { get; private set; }

    /// <summary>The AppHost's project folder: Program.cs names service projects relative to it.</summary>
    public static string ProjectDirectory { get; } =
        typeof(AppHostOptions).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "AppHostProjectDirectory")?.Value ?? AppContext.BaseDirectory;

    /// <exception cref="ArgumentException">An unknown option or a bad value.</exception>
    public static AppHostOptions Parse(IReadOnlyList<string> args)
    {
        var options = new AppHostOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            // `dotnet run -- --publisher manifest` and azd's `dotnet run --publisher manifest` differ only by this.
            if (arg == "--") continue;
            string? inline = null;
            if (arg.StartsWith("--", StringComparison.Ordinal) && arg.IndexOf('=') is > 2 and var eq)
            {
                inline = arg[(eq + 1)..];
                arg = arg[..eq];
            }
            string Value() => inline ?? (i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{arg} needs a value"));
            switch (arg)
            {
                case "--publisher":
                    options.Publisher = Value().ToLowerInvariant();
                    if (!Publishing.Publishers.Names.Contains(options.Publisher))
                        throw new ArgumentException(
                            $"unknown publisher '{options.Publisher}'; the publishers are: {string.Join(", ", Publishing.Publishers.Names)}");
                    break;
                case "--output-path":
                    options.OutputPath = Path.GetFullPath(Value());
                    break;
                case "--external-brokers":
                    options.ExternalBrokers = true;
                    break;
                case "--queue":
                    options.Queue = Value().ToLowerInvariant();
                    if (options.Queue is not ("redis" or "nats"))
                        throw new ArgumentException($"--queue must be redis or nats, not '{options.Queue}'");
                    break;
                case "--workers":
                    options.Workers = int.TryParse(Value(), out var n) && n is >= 0 and <= 64
                        ? n : throw new ArgumentException("--workers must be a number from 0 to 64");
                    break;
                case "--examples":
                    options.ExamplesDirectory = Path.GetFullPath(Value());
                    break;
                case "--port":
                    options.GatewayPort = int.TryParse(Value(), out var port) && port is >= 0 and <= 65535
                        ? port : throw new ArgumentException("--port must be a port number (0: any free port)");
                    break;
                case "--state":
                    options.StateDirectory = Path.GetFullPath(Value());
                    break;
                case "--services-dir":
                    options.ServicesDirectory = Path.GetFullPath(Value());
                    break;
                case "--dashboard":
                    var raw = Value();
                    options.DashboardUrl = Uri.TryCreate(raw, UriKind.Absolute, out var url) && url.Scheme == Uri.UriSchemeHttp
                                           && url.AbsolutePath == "/" && url.Port is >= 0 and <= 65535
                        ? url : throw new ArgumentException($"--dashboard must be an http URL such as {DefaultDashboardUrl}, not '{raw}'");
                    break;
                case "--dashboard-token":
                    options.DashboardToken = NullIfEmpty(Value()) ?? throw new ArgumentException("--dashboard-token must not be empty");
                    break;
                case "--no-dashboard":
                    options.DashboardUrl = null;
                    break;
                case "--otlp-grpc-port":
                    options.OtlpGrpcPort = ParsePort(arg, Value());
                    break;
                case "--otlp-http-port":
                    options.OtlpHttpPort = ParsePort(arg, Value());
                    break;
                case "-h" or "--help":
                    options.ShowHelp = true;
                    break;
                default:
                    throw new ArgumentException($"unknown option '{arg}'");
            }
        }
        if (options.Publisher is not null && options.OutputPath is null)
            throw new ArgumentException($"--publisher {options.Publisher} needs --output-path (where to write)");
        if (!options.ShowHelp && !File.Exists(options.DaemonConfig))
            throw new ArgumentException($"no daemon.yaml in {options.ExamplesDirectory} (--examples names the folder that holds it)");
        return options;
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    private static int ParsePort(string option, string value) =>
        int.TryParse(value, out var port) && port is >= 0 and <= 65535
            ? port : throw new ArgumentException($"{option} must be a port number (0: any free port)");
}
