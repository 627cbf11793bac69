using System.Diagnostics;
using StackExchange.Redis;

namespace Aof.Tests.Infrastructure;

/// <summary>
/// A real redis-server process on a free loopback port with its own temp directory, for tests.
/// <see cref="StopAsync"/> / <see cref="StartAsync"/> take it down and bring it back on the same port and
/// directory (broker-down and restart tests); with <c>appendOnly</c> the data survives the restart.
/// Dispose kills the process and deletes the directory.
/// </summary>
public sealed class RedisServer : LocalServer
{
    public const string ServerPath = "/usr/bin/redis-server";

    private readonly bool _appendOnly;

    private RedisServer(int port, string directory, bool appendOnly) : base(ServerPath, port, directory)
    {
        _appendOnly = appendOnly;
    }

    public string DataDirectory => Directory;

    /// <summary>"127.0.0.1:port": the form <c>ConnectionStrings:redis</c> takes.</summary>
    public string ConnectionString => $"127.0.0.1:{Port}";

    /// <summary>Starts a server and waits until it answers PING.</summary>
    public static async Task<RedisServer> StartNewAsync(bool appendOnly = false, CancellationToken ct = default)
    {
        var server = new RedisServer(LocalProcesses.FreePort(), NewTempDirectory("aof-redis-"), appendOnly);
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

    protected override Task<IReadOnlyList<string>> ArgumentsAsync(CancellationToken ct) => Task.FromResult<IReadOnlyList<string>>(
    [
        "--port", Port.ToString(), "--bind", "127.0.0.1", "--dir", Directory,
        "--save", "", "--appendonly", _appendOnly ? "yes" : "no", "--appendfsync", "always",
        "--daemonize", "no", "--protected-mode", "no", "--loglevel", "warning",
    ]);

    protected override async Task<bool> IsReadyAsync(CancellationToken ct) =>
        await TryExchangeAsync("PING", ct) is { } reply && reply.StartsWith("+PONG", StringComparison.Ordinal);

    /// <summary>SHUTDOWN: an append-only file is flushed first.</summary>
    protected override Task RequestStopAsync(Process process, CancellationToken ct) =>
        TryExchangeAsync(_appendOnly ? "SHUTDOWN" : "SHUTDOWN NOSAVE", ct);

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
