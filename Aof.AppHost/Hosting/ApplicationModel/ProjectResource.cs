namespace Aof.AppHost.Hosting.ApplicationModel;

/// <summary>
/// One of our service projects, built once and run as <c>dotnet {dll}</c> per replica. Every replica gets an http
/// endpoint (<c>--urls</c>) that answers <c>/health</c>; it is healthy when that answers 200. Gets
/// <c>OTEL_SERVICE_NAME</c> (the resource name), <c>service.instance.id</c> (the replica name, before any attributes
/// the user set in <c>OTEL_RESOURCE_ATTRIBUTES</c>) and the run's <see cref="RunContext.ServiceEnvironment"/>.
/// </summary>
public sealed class ProjectResource(string name, string projectPath) : Resource(name)
{
    private static readonly HttpClient Probe = new() { Timeout = TimeSpan.FromSeconds(2) };

    /// <summary>Absolute path of the .csproj.</summary>
    public string ProjectPath { get; } = projectPath;

    /// <summary>Host name in the listen URL of a fixed port (the address users type), else loopback.</summary>
    public string Host => Endpoint.IsFixed ? "localhost" : "127.0.0.1";

    public string AssemblyName => Path.GetFileNameWithoutExtension(ProjectPath);

    /// <summary>The image repository <c>dotnet publish -t:PublishContainer</c> gives the project (its ContainerRepository).</summary>
    public string ContainerRepository { get; set; } = "aof-" + name;

    public override TimeSpan StartTimeout => TimeSpan.FromSeconds(90);

    /// <summary>Longer than the worker's drain timeout (30 s by default), so draining is not cut short.</summary>
    public override TimeSpan StopTimeout => TimeSpan.FromSeconds(40);

    public Uri Url(int replica = 0) => new($"http://{Host}:{Endpoint.Allocated[replica]}");

    public override ProcessSpec Describe(RunContext context, int replica)
    {
        var dll = context.ProjectDlls[this];
        List<string> args = [dll, .. Args, "--urls", Url(replica).ToString().TrimEnd('/')];
        // The AppHost's telemetry settings, then what the model set (it wins), then who this replica is.
        var env = new Dictionary<string, string>(context.ServiceEnvironment, StringComparer.Ordinal);
        foreach (var (key, value) in Environment) env[key] = value;
        env["OTEL_SERVICE_NAME"] = Name;
        var attributes = Environment.GetValueOrDefault("OTEL_RESOURCE_ATTRIBUTES")
                         ?? System.Environment.GetEnvironmentVariable("OTEL_RESOURCE_ATTRIBUTES");
        env["OTEL_RESOURCE_ATTRIBUTES"] = $"service.instance.id={ReplicaName(replica)}" + (string.IsNullOrWhiteSpace(attributes) ? "" : "," + attributes);
        foreach (var reference in References) env[$"ConnectionStrings__{reference.Name}"] = reference.ConnectionString;
        foreach (var (variable, parameter) in ParameterEnvironment)
        {
            if (parameter.LocalValue is not null) env[variable] = parameter.LocalValue;
        }
        return new ProcessSpec(context.DotnetPath, args, env, Path.GetDirectoryName(dll)!);
    }

    public override async Task<bool> IsHealthyAsync(int replica, CancellationToken ct)
    {
        try
        {
            using var response = await Probe.GetAsync(new Uri(Url(replica), "/health"), ct);
            return response.IsSuccessStatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            ct.ThrowIfCancellationRequested();
            return false;
        }
    }
}
