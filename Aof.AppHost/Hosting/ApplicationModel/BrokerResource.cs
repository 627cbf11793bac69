using System.Net;
using System.Net.Sockets;
using System.Text;
using Aof.AppHost.Hosting.Processes;

namespace Aof.AppHost.Hosting.ApplicationModel;

/// <summary>
/// A message broker run from its own executable (redis-server, nats-server), on loopback, with its data in the
/// state folder. The services learn which backend to use from <see cref="QueueType"/> (<c>Aof__Queue__Type</c>).
/// </summary>
public abstract class BrokerResource(string name, string executable) : Resource(name), IResourceWithConnectionString
{
    public const string InstallCommand = "sudo apt-get install -y redis-server nats-server";

    /// <summary>The executable's file name, looked up on PATH and in the sbin folders.</summary>
    public string Executable { get; } = executable;

    /// <summary>The full path of <see cref="Executable"/>; null when it is not installed.</summary>
    public string? ExecutablePath { get; } = ExecutableLocator.Find(executable);

    public bool IsInstalled => ExecutablePath is not null;

    /// <summary>The value of <c>Aof:Queue:Type</c> for services using this broker.</summary>
    public abstract string QueueType { get; }

    public abstract string ConnectionString { get; }

    /// <summary>The image a deployment runs (the local run uses <see cref="Executable"/>).</summary>
    public abstract ContainerImage Image { get; set; }

    /// <summary>The password clients need when deployed (a generated secret); a local run listens on loopback without one.</summary>
    public ParameterResource? Password { get; set; }

    /// <summary>Deployed against a broker that already exists: no container, its connection string is a secret parameter.</summary>
    public bool IsExternal { get; set; }

    /// <summary>Where a deployment keeps the broker's data.</summary>
    public VolumeSettings Volume { get; set; } = new("data", "/data", "8Gi");

    /// <summary>Arguments of the container; <paramref name="password"/> is an expression the target platform expands.</summary>
    public abstract IReadOnlyList<string> ContainerArgs(string? password);

    /// <summary>
    /// The connection string clients get when deployed, from the broker's host, port and password expressions
    /// (Aspire's <c>{redis.bindings.tcp.host}</c>, a Kubernetes Service name, ...).
    /// </summary>
    public abstract string DeployedConnectionString(string host, string port, string? password);

    public override TimeSpan StartTimeout => TimeSpan.FromSeconds(20);

    public override TimeSpan StopTimeout => TimeSpan.FromSeconds(10);

    public int Port => Endpoint.Allocated.Length > 0
        ? Endpoint.Allocated[0]
        : throw new InvalidOperationException($"{Name} has no port before the app runs");

    public string DataDirectory(RunContext context) => Path.Combine(context.StateDirectory, Name);

    /// <summary>What to tell a user who does not have the executable.</summary>
    public string InstallHint =>
        $"{Executable} was not found on PATH or in /usr/sbin. Install it with:\n    {InstallCommand}\n(on macOS: brew install redis nats-server)";

    /// <summary>Connects on loopback and, when <paramref name="command"/> is given, expects <paramref name="expected"/> back.</summary>
    protected async Task<bool> ProbeTcpAsync(string? command, string? expected, CancellationToken ct)
    {
        try
        {
            using var client = new TcpClient();
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct);
            attempt.CancelAfter(TimeSpan.FromSeconds(2));
            await client.ConnectAsync(IPAddress.Loopback, Port, attempt.Token);
            if (command is null) return true;
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes(command + "\r\n"), attempt.Token);
            var buffer = new byte[64];
            var n = await stream.ReadAsync(buffer, attempt.Token);
            return Encoding.ASCII.GetString(buffer, 0, n).StartsWith(expected ?? "", StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
        {
            ct.ThrowIfCancellationRequested();
            return false;
        }
    }
}
