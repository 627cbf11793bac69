using System.Diagnostics;
using Aof.Core.Queue.Nats;
using NATS.Client.Core;

namespace Aof.Tests.Infrastructure;

/// <summary>Settings of a test nats-server.</summary>
public sealed record NatsServerOptions
{
    /// <summary>Run with JetStream (-js). Off only for the "JetStream not enabled" test.</summary>
    public bool JetStream { get; init; } = true;

    /// <summary>The server's max_payload in bytes (written to a config file); null for the default (1 MB).</summary>
    public int? MaxPayload { get; init; }

    /// <summary>Also serve the HTTP monitor (-m) on a free port.</summary>
    public bool Monitor { get; init; }

    /// <summary>Require this user and password (--user / --pass); null for no authentication.</summary>
    public (string User, string Password)? Credentials { get; init; }

    /// <summary>A fixed port (e.g. to start a server where a client has been trying to connect); null for a free one.</summary>
    public int? Port { get; init; }
}

/// <summary>
/// A real nats-server process on a free loopback port with its own JetStream store directory (-sd), for tests.
/// <see cref="StopAsync"/> / <see cref="StartAsync"/> take it down (SIGTERM, a clean shutdown) and bring it
/// back on the same port and store (restart tests); <see cref="Kill"/> is a crash (SIGKILL). File storage
/// keeps every stored message across both. Dispose kills the process and deletes the directory.
/// </summary>
public sealed class NatsServer : LocalServer
{
    public const string ServerPath = "/usr/sbin/nats-server";

    private readonly NatsServerOptions _options;

    private NatsServer(int port, int? monitorPort, string directory, NatsServerOptions options) : base(ServerPath, port, directory)
    {
        MonitorPort = monitorPort;
        _options = options;
    }

    public int? MonitorPort { get; }

    public string StoreDirectory => Directory;

    /// <summary>"nats://127.0.0.1:port": the form <c>ConnectionStrings:nats</c> takes.</summary>
    public string Url => $"nats://127.0.0.1:{Port}";

    public static Task<NatsServer> StartNewAsync(CancellationToken ct = default) => StartNewAsync(new NatsServerOptions(), ct);

    /// <summary>Starts a server and waits until it accepts connections.</summary>
    public static async Task<NatsServer> StartNewAsync(NatsServerOptions options, CancellationToken ct = default)
    {
        var server = Create(options);
        try
        {
            await server.StartAsync(ct);
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>A server that is not started yet: its port is reserved by number only (for "broker down at start" tests).</summary>
    public static NatsServer Create(NatsServerOptions? options = null)
    {
        options ??= new NatsServerOptions();
        return new NatsServer(options.Port ?? LocalProcesses.FreePort(), options.Monitor ? LocalProcesses.FreePort() : null,
            NewTempDirectory("aof-nats-"), options);
    }

    protected override async Task<IReadOnlyList<string>> ArgumentsAsync(CancellationToken ct)
    {
        var args = new List<string> { "-a", "127.0.0.1", "-p", Port.ToString(), "-n", $"aof-test-{Port}" };
        if (_options.JetStream) args.AddRange(["-js", "-sd", Directory]);
        if (_options.Credentials is var (user, password)) args.AddRange(["--user", user, "--pass", password]);
        if (MonitorPort is { } monitor) args.AddRange(["-m", monitor.ToString()]);
        if (_options.MaxPayload is { } maxPayload)
        {
            var config = Path.Combine(Directory, "server.conf");
            await File.WriteAllTextAsync(config, $"max_payload: {maxPayload}\n", ct);
            args.AddRange(["-c", config]);
        }
        return args;
    }

    /// <summary>Ready when it sends its INFO line on connect.</summary>
    protected override async Task<bool> IsReadyAsync(CancellationToken ct) =>
        await TryExchangeAsync(null, ct) is { } info && info.StartsWith("INFO ", StringComparison.Ordinal);

    /// <summary>SIGTERM: a clean shutdown (JetStream flushes its store).</summary>
    protected override Task RequestStopAsync(Process process, CancellationToken ct)
    {
        LocalProcesses.Signal(process.Id, LocalProcesses.SigTerm);
        return Task.CompletedTask;
    }

    /// <summary>Connection options for this server: retries the first connect, reconnects quickly, short timeouts.</summary>
    public NatsOpts ClientOptions(string? name = null) => NatsConnectionSettings.Parse(Url, name ?? "aof-tests") with
    {
        RequestTimeout = TimeSpan.FromSeconds(3),
        CommandTimeout = TimeSpan.FromSeconds(2),
        ReconnectWaitMin = TimeSpan.FromMilliseconds(50),
        ReconnectWaitMax = TimeSpan.FromMilliseconds(300),
    };

    /// <summary>A connected client.</summary>
    public async Task<NatsConnection> ConnectAsync(string? name = null)
    {
        var connection = new NatsConnection(ClientOptions(name));
        await connection.ConnectAsync();
        return connection;
    }
}

/// <summary>
/// xunit fixture: one nats-server with JetStream shared by a test class and one connection to it. Tests isolate
/// themselves by queue prefix; tests that stop the server start their own with <see cref="NatsServer.StartNewAsync(CancellationToken)"/>.
/// </summary>
public sealed class NatsServerFixture : IAsyncLifetime
{
    private NatsServer? _server;
    private NatsConnection? _connection;

    public NatsServer Server => _server ?? throw new InvalidOperationException("fixture not initialized");

    public NatsConnection Connection => _connection ?? throw new InvalidOperationException("fixture not initialized");

    public string Url => Server.Url;

    public async Task InitializeAsync()
    {
        _server = await NatsServer.StartNewAsync();
        _connection = await _server.ConnectAsync();
    }

    public async Task DisposeAsync()
    {
        if (_connection is not null) await _connection.DisposeAsync();
        _server?.Dispose();
    }
}
