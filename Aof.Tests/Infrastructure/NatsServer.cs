using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
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
public sealed class NatsServer : IAsyncDisposable, IDisposable
{
    public const string ServerPath = "/usr/sbin/nats-server";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);

    private readonly NatsServerOptions _options;
    private readonly Queue<string> _log = new();
    private Process? _process;

    private NatsServer(int port, int? monitorPort, string directory, NatsServerOptions options)
    {
        Port = port;
        MonitorPort = monitorPort;
        StoreDirectory = directory;
        _options = options;
    }

    public int Port { get; }

    public int? MonitorPort { get; }

    public string StoreDirectory { get; }

    /// <summary>"nats://127.0.0.1:port": the form <c>ConnectionStrings:nats</c> takes.</summary>
    public string Url => $"nats://127.0.0.1:{Port}";

    public bool IsRunning => _process is { HasExited: false };

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
        var dir = Path.Combine(Path.GetTempPath(), "aof-nats-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        return new NatsServer(options.Port ?? LocalProcesses.FreePort(), options.Monitor ? LocalProcesses.FreePort() : null, dir, options);
    }

    /// <summary>(Re)starts the process on the same port and store and waits until it sends its INFO line.</summary>
    public async Task StartAsync(CancellationToken ct = default)
    {
        if (IsRunning) return;
        var psi = new ProcessStartInfo(ServerPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = StoreDirectory,
        };
        var args = new List<string> { "-a", "127.0.0.1", "-p", Port.ToString(), "-n", $"aof-test-{Port}" };
        if (_options.JetStream) args.AddRange(["-js", "-sd", StoreDirectory]);
        if (_options.Credentials is var (user, password)) args.AddRange(["--user", user, "--pass", password]);
        if (MonitorPort is { } monitor) args.AddRange(["-m", monitor.ToString()]);
        if (_options.MaxPayload is { } maxPayload)
        {
            var config = Path.Combine(StoreDirectory, "server.conf");
            await File.WriteAllTextAsync(config, $"max_payload: {maxPayload}\n", ct);
            args.AddRange(["-c", config]);
        }
        foreach (var arg in args) psi.ArgumentList.Add(arg);

        var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {ServerPath}");
        // Drain both pipes so the server never blocks on a full pipe; keep the tail for error messages.
        process.OutputDataReceived += (_, e) => Remember(e.Data);
        process.ErrorDataReceived += (_, e) => Remember(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(StartTimeout);
        while (true)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"nats-server exited with {process.ExitCode} on port {Port}: {Log}");
            if (await TryReadInfoAsync(timeout.Token) is { } info && info.StartsWith("INFO ", StringComparison.Ordinal))
                return;
            try
            {
                await Task.Delay(20, timeout.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                Kill();
                throw new TimeoutException($"nats-server on port {Port} did not accept connections within {StartTimeout}: {Log}");
            }
        }
    }

    /// <summary>Clean stop (SIGTERM). Kills it when it does not exit in time.</summary>
    public async Task StopAsync(CancellationToken ct = default)
    {
        if (_process is not { } process || process.HasExited) return;
        LocalProcesses.Signal(process.Id, LocalProcesses.SigTerm);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(StopTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
        }
    }

    /// <summary>Crash: SIGKILL, no shutdown.</summary>
    public void Kill()
    {
        if (_process is not { } process) return;
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
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

    private string Log
    {
        get { lock (_log) return string.Join(" | ", _log); }
    }

    private void Remember(string? line)
    {
        if (string.IsNullOrEmpty(line)) return;
        lock (_log)
        {
            _log.Enqueue(line);
            while (_log.Count > 20) _log.Dequeue();
        }
    }

    /// <summary>Reads the INFO line a NATS server sends on connect; null when the server is not reachable.</summary>
    private async Task<string?> TryReadInfoAsync(CancellationToken ct)
    {
        try
        {
            using var client = new TcpClient();
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct);
            attempt.CancelAfter(TimeSpan.FromSeconds(2));
            await client.ConnectAsync(IPAddress.Loopback, Port, attempt.Token);
            var buffer = new byte[512];
            var n = await client.GetStream().ReadAsync(buffer, attempt.Token);
            return Encoding.ASCII.GetString(buffer, 0, n);
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
        {
            if (ct.IsCancellationRequested) throw new OperationCanceledException(ct);
            return null;
        }
    }

    public void Dispose()
    {
        Kill();
        _process?.Dispose();
        _process = null;
        LocalProcesses.DeleteDirectory(StoreDirectory);
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
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
