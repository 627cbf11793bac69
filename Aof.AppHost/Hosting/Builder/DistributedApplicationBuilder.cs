using Aof.AppHost.Hosting.ApplicationModel;
using Aof.AppHost.Hosting.Orchestration;
using Aof.AppHost.Hosting.Processes;
using Aof.AppHost.Hosting.Testing;
using Aof.AppHost.Telemetry;

namespace Aof.AppHost.Hosting.Builder;

/// <summary>Collects the resources of the app; <see cref="Build"/> makes the runnable app.</summary>
public sealed class DistributedApplicationBuilder
{
    private readonly List<Resource> _resources = [];
    private readonly DistributedApplicationTestingHook? _hook;

    private DistributedApplicationBuilder(AppHostOptions options, DistributedApplicationTestingHook? hook)
    {
        Options = options;
        _hook = hook;
        Console = hook?.Console ?? AppHostConsole.Standard;
    }

    internal static DistributedApplicationBuilder Create(string[] args)
    {
        var hook = DistributedApplicationTestingHook.Current;
        return new DistributedApplicationBuilder(AppHostOptions.Parse(args), hook);
    }

    public AppHostOptions Options { get; }

    public AppHostConsole Console { get; }

    public IReadOnlyList<Resource> Resources => _resources;

    /// <summary>The app's telemetry store and OTLP receiver (started with the app; the store exists already).</summary>
    public AppHostTelemetry Telemetry { get; } = new();

    public IResourceBuilder<RedisResource> AddRedis(string name) => Add(new RedisResource(name));

    public IResourceBuilder<NatsResource> AddNats(string name) => Add(new NatsResource(name));

    /// <summary>A service project; <paramref name="projectPath"/> is relative to the AppHost's project folder.</summary>
    public IResourceBuilder<ProjectResource> AddProject(string name, string projectPath) =>
        Add(new ProjectResource(name, Path.GetFullPath(Path.Combine(AppHostOptions.ProjectDirectory, projectPath))));

    public DistributedApplication Build()
    {
        _hook?.Configure?.Invoke(this);
        var app = new DistributedApplication(_resources, Options, Console, Telemetry, isTesting: _hook is not null);
        _hook?.Built.TrySetResult(app);
        return app;
    }

    private ResourceBuilder<T> Add<T>(T resource) where T : Resource
    {
        if (_resources.Any(r => r.Name == resource.Name))
            throw new ArgumentException($"a resource named '{resource.Name}' already exists");
        _resources.Add(resource);
        return new ResourceBuilder<T>(resource, this);
    }
}
