namespace Aof.AppHost.Hosting.ApplicationModel;

/// <summary>redis-server with AOF persistence (appendonly, fsync every second) under <c>{state}/{name}</c>.</summary>
public sealed class RedisResource(string name) : BrokerResource(name, "redis-server")
{
    public override string QueueType => "redis";

    /// <summary>The form StackExchange.Redis and <c>ConnectionStrings__redis</c> take.</summary>
    public override string ConnectionString => $"127.0.0.1:{Port}";

    public override ContainerImage Image { get; set; } = new("docker.io", "library/redis", "7.4");

    /// <summary>The same durability as the local run: the append-only file, fsynced every second.</summary>
    public override IReadOnlyList<string> ContainerArgs(string? password) =>
    [
        "--appendonly", "yes", "--appendfsync", "everysec", "--dir", Volume.MountPath,
        .. password is null ? Array.Empty<string>() : ["--requirepass", password],
        .. Args,
    ];

    public override string DeployedConnectionString(string host, string port, string? password) =>
        password is null ? $"{host}:{port}" : $"{host}:{port},password={password}";

    public override ProcessSpec Describe(RunContext context, int replica)
    {
        var data = DataDirectory(context);
        Directory.CreateDirectory(data);
        List<string> args =
        [
            "--port", Port.ToString(), "--bind", "127.0.0.1", "--protected-mode", "no", "--daemonize", "no",
            "--dir", data, "--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
            .. Args,
        ];
        return new ProcessSpec(ExecutablePath!, args, Environment, data);
    }

    public override Task<bool> IsHealthyAsync(int replica, CancellationToken ct) => ProbeTcpAsync("PING", "+PONG", ct);
}
