namespace Aof.AppHost.Hosting.ApplicationModel;

/// <summary>nats-server on loopback; with JetStream its file store is under <c>{state}/{name}</c>.</summary>
public sealed class NatsResource(string name) : BrokerResource(name, "nats-server")
{
    public bool JetStream { get; set; }

    public override string QueueType => "nats";

    public override string ConnectionString => $"nats://127.0.0.1:{Port}";

    public override ContainerImage Image { get; set; } = new("docker.io", "library/nats", "2.10");

    /// <summary>The HTTP monitoring port a deployment opens (KEDA's nats-jetstream scaler reads consumer lag there).</summary>
    public int MonitoringPort { get; set; } = 8222;

    public override IReadOnlyList<string> ContainerArgs(string? password) =>
    [
        .. JetStream ? ["-js", "-sd", Volume.MountPath] : Array.Empty<string>(),
        "-m", MonitoringPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        .. password is null ? Array.Empty<string>() : ["--user", "nats", "--pass", password],
        .. Args,
    ];

    public override string DeployedConnectionString(string host, string port, string? password) =>
        password is null ? $"nats://{host}:{port}" : $"nats://nats:{password}@{host}:{port}";

    public override ProcessSpec Describe(RunContext context, int replica)
    {
        var data = DataDirectory(context);
        Directory.CreateDirectory(data);
        List<string> args = ["-a", "127.0.0.1", "-p", Port.ToString()];
        if (JetStream) args.AddRange(["-js", "-sd", data]);
        args.AddRange(Args);
        return new ProcessSpec(ExecutablePath!, args, Environment, data);
    }

    /// <summary>A TCP connect: the server accepts clients once it is up (JetStream readiness is the services' check).</summary>
    public override Task<bool> IsHealthyAsync(int replica, CancellationToken ct) => ProbeTcpAsync(null, null, ct);
}
