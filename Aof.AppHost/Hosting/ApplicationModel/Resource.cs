namespace Aof.AppHost.Hosting.ApplicationModel;

/// <summary>
/// Something the AppHost runs: a broker process or one of our service projects. Holds what the model says
/// (arguments, environment, what it waits for, its endpoint); the orchestrator turns it into processes.
/// </summary>
public abstract class Resource(string name)
{
    public string Name { get; } = name;

    /// <summary>Resources that must be healthy before this one starts.</summary>
    public List<Resource> WaitsFor { get; } = [];

    /// <summary>Resources whose connection strings this one receives (<c>ConnectionStrings__name</c>).</summary>
    public List<IResourceWithConnectionString> References { get; } = [];

    public List<string> Args { get; } = [];

    public Dictionary<string, string> Environment { get; } = new(StringComparer.Ordinal);

    /// <summary>Variables whose value is a parameter: its local value when run, a secret reference when deployed.</summary>
    public Dictionary<string, ParameterResource> ParameterEnvironment { get; } = new(StringComparer.Ordinal);

    /// <summary>Requests and limits of one replica when deployed; null: the publisher's defaults.</summary>
    public ComputeResources? Compute { get; set; }

    /// <summary>How a deployment scales this resource; null: a fixed <see cref="Replicas"/>.</summary>
    public AutoscaleSettings? Autoscale { get; set; }

    public int Replicas { get; set; } = 1;

    /// <summary>Set by WithReplicas: replicas are named "worker-0", "worker-1" (even when there is one).</summary>
    public bool IsReplicated { get; set; }

    /// <summary>The one endpoint every resource has: the port it listens on.</summary>
    public Endpoint Endpoint { get; } = new();

    /// <summary>How long a fresh process may take to become healthy before the start counts as failed.</summary>
    public abstract TimeSpan StartTimeout { get; }

    /// <summary>How long a stop (SIGTERM) may take before the process is killed.</summary>
    public abstract TimeSpan StopTimeout { get; }

    /// <summary>The command line of one replica; ports are allocated by then.</summary>
    public abstract ProcessSpec Describe(RunContext context, int replica);

    /// <summary>One readiness probe of one replica: true when it can serve.</summary>
    public abstract Task<bool> IsHealthyAsync(int replica, CancellationToken ct);

    /// <summary>"worker-0" for replicated resources, else the resource name.</summary>
    public string ReplicaName(int replica) => IsReplicated ? $"{Name}-{replica}" : Name;

    public override string ToString() => Name;
}

/// <summary>
/// A port: the one asked for (null: any free one) and, once the app runs, the one per replica. When deployed, the
/// workload listens on <see cref="TargetPort"/> inside its container; <see cref="IsExternal"/> exposes it outside.
/// </summary>
public sealed class Endpoint
{
    public int? Port { get; set; }

    /// <summary>"http" or "tcp": the binding's scheme and transport.</summary>
    public string Scheme { get; set; } = "tcp";

    /// <summary>The port inside the container; null: the resource has no deployable endpoint.</summary>
    public int? TargetPort { get; set; }

    public bool IsExternal { get; set; }

    public int[] Allocated { get; internal set; } = [];

    public bool IsFixed => Port is > 0;
}

/// <summary>What to launch: the executable, its arguments, its extra environment and where.</summary>
public sealed record ProcessSpec(
    string FileName,
    IReadOnlyList<string> Args,
    IReadOnlyDictionary<string, string> Environment,
    string WorkingDirectory);

/// <summary>
/// Facts of this run that resources need to describe their processes. <see cref="ServiceEnvironment"/>: what every
/// service project gets (the OTLP endpoint of the AppHost's receiver and export intervals).
/// </summary>
public sealed record RunContext(
    string StateDirectory,
    string DotnetPath,
    IReadOnlyDictionary<ProjectResource, string> ProjectDlls,
    IReadOnlyDictionary<string, string> ServiceEnvironment);

/// <summary>A resource others connect to; its connection string is injected as <c>ConnectionStrings__{Name}</c>.</summary>
public interface IResourceWithConnectionString
{
    string Name { get; }

    string ConnectionString { get; }
}
