using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using StackExchange.Redis;

namespace Aof.Tests.Infrastructure;

/// <summary>
/// A real redis-server process on a free loopback port with its own temp directory, for tests.
/// <see cref="StopAsync"/> / <see cref="StartAsync"/> take it down and bring it back on the same port and
/// directory (broker-down and restart tests); with <c>appendOnly</c> the data survives the restart.
/// Dispose kills the process and deletes the directory.
/// </summary>
public sealed class RedisServer : IAsyncDisposable, IDisposable
{
    public const string ServerPath = "/usr/bin/redis-server";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);

    private readonly bool _appendOnly;
    private readonly Queue<string> _log = new();
    private Process? _process;

    private RedisServer(int port, string directory, bool appendOnly)
    {
        Port = port;
        DataDirectory = directory;
        _appendOnly = appendOnly;
    }

    public int Port { get; }

    public string DataDirectory { get; }

    /// <summary>"127.0.0.1:port": the form <c>ConnectionStrings:redis</c> takes.</summary>
    public string ConnectionString => $"127.0.0.1:{Port}";

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Starts a server and waits until it answers PING.</summary>
    public static async Task<RedisServer> StartNewAsync(bool appendOnly = false, CancellationToken ct = default)
    {
        var dir = Path.Combine(Path.GetTempPath(), "aof-redis-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        var server = new RedisServer(LocalProcesses.FreePort(), dir, appendOnly);
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

    /// <summary>(Re)starts the process on the same port and directory and waits until it answers PING.</summary>
    public async Task StartAsync(CancellationToken ct = default)
    {
        if (IsRunning) return;
        var psi = new ProcessStartInfo(ServerPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = DataDirectory,
        };
        foreach (var arg in new[]
                 {
                     "--port", Port.ToString(), "--bind", "127.0.0.1", "--dir", DataDirectory,
                     "--save", "", "--appendonly", _appendOnly ? "yes" : "no", "--appendfsync", "always",
                     "--daemonize", "no", "--protected-mode", "no", "--loglevel", "warning",
                 })
        {
            psi.ArgumentList.Add(arg);
        }

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
                throw new InvalidOperationException($"redis-server exited with {process.ExitCode} on port {Port}: {Log}");
            if (await TryCommandAsync("PING", timeout.Token) is { } reply && reply.StartsWith("+PONG", StringComparison.Ordinal))
                return;
            try
            {
                await Task.Delay(20, timeout.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                Kill();
                throw new TimeoutException($"redis-server on port {Port} did not answer PING within {StartTimeout}: {Log}");
            }
        }
    }

    /// <summary>Graceful stop (SHUTDOWN: an append-only file is flushed). Kills it when it does not exit in time.</summary>
    public async Task StopAsync(CancellationToken ct = default)
    {
        if (_process is not { } process || process.HasExited) return;
        await TryCommandAsync(_appendOnly ? "SHUTDOWN" : "SHUTDOWN NOSAVE", ct);
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

    /// <summary>Crash: SIGKILL, no flush.</summary>
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

    /// <summary>A multiplexer for this server that rides out restarts (AbortOnConnectFail=false) with short timeouts.</summary>
    public Task<ConnectionMultiplexer> ConnectAsync(int timeoutMs = 3000) => ConnectionMultiplexer.ConnectAsync(ConfigurationFor(timeoutMs));

    public ConfigurationOptions ConfigurationFor(int timeoutMs = 3000)
    {
        var config = ConfigurationOptions.Parse(ConnectionString);
        config.AbortOnConnectFail = false;
        config.ConnectTimeout = timeoutMs;
        config.SyncTimeout = timeoutMs;
        config.AsyncTimeout = timeoutMs;
        config.ConnectRetry = 1;
        config.ReconnectRetryPolicy = new LinearRetry(200);
        return config;
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

    /// <summary>Sends one inline command on a fresh socket; null when the server is not reachable.</summary>
    private async Task<string?> TryCommandAsync(string command, CancellationToken ct)
    {
        try
        {
            using var client = new TcpClient();
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct);
            attempt.CancelAfter(TimeSpan.FromSeconds(2));
            await client.ConnectAsync(IPAddress.Loopback, Port, attempt.Token);
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes(command + "\r\n"), attempt.Token);
            var buffer = new byte[256];
            var n = await stream.ReadAsync(buffer, attempt.Token);
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
        LocalProcesses.DeleteDirectory(DataDirectory);
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// xunit fixture: one redis-server shared by a test class (<c>IClassFixture&lt;RedisServerFixture&gt;</c>) and
/// one multiplexer to it. Tests isolate themselves by key prefix; tests that stop the server start their own
/// with <see cref="RedisServer.StartNewAsync"/>.
/// </summary>
public sealed class RedisServerFixture : IAsyncLifetime
{
    private RedisServer? _server;
    private ConnectionMultiplexer? _connection;

    public RedisServer Server => _server ?? throw new InvalidOperationException("fixture not initialized");

    public ConnectionMultiplexer Connection => _connection ?? throw new InvalidOperationException("fixture not initialized");

    public string ConnectionString => Server.ConnectionString;

    public async Task InitializeAsync()
    {
        _server = await RedisServer.StartNewAsync();
        _connection = await _server.ConnectAsync();
    }

    public async Task DisposeAsync()
    {
        if (_connection is not null) await _connection.DisposeAsync();
        _server?.Dispose();
    }
}
