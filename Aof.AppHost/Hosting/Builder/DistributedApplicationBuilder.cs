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
        AppHostOptions options;
        try
        {
            options = AppHostOptions.Parse(args);
        }
        catch (ArgumentException ex) when (hook is null)
        {
            // A bad command line is the user's mistake, not a crash: say what is wrong, no stack trace.
            System.Console.Error.WriteLine($"error: {ex.Message}");
            System.Console.Error.WriteLine(AppHostOptions.Usage);
            Environment.Exit(2);
            throw;
        }
        return new DistributedApplicationBuilder(options, hook);
    }

    public AppHostOptions Options { get; }

    /// <summary>True when the AppHost writes deployment files (<c>--publisher</c>) instead of running the app.</summary>
    public bool IsPublishMode => Options.Publisher is not null;

    public AppHostConsole Console { get; }

    public IReadOnlyList<Resource> Resources => _resources;

    /// <summary>The app's telemetry store and OTLP receiver (started with the app; the store exists already).</summary>
    public AppHostTelemetry Telemetry { get; } = new();

    /// <summary>Redis; when deployed it listens on 6379 and requires the generated secret <c>{name}-password</c>.</summary>
    public IResourceBuilder<RedisResource> AddRedis(string name) => AddBroker(new RedisResource(name), 6379);

    /// <summary>NATS; when deployed it listens on 4222 and requires user "nats" with the generated <c>{name}-password</c>.</summary>
    public IResourceBuilder<NatsResource> AddNats(string name) => AddBroker(new NatsResource(name), 4222);

    /// <summary>A service project; <paramref name="projectPath"/> is relative to the AppHost's project folder.</summary>
    public IResourceBuilder<ProjectResource> AddProject(string name, string projectPath) =>
        Add(new ProjectResource(name, Path.GetFullPath(Path.Combine(AppHostOptions.ProjectDirectory, projectPath))));

    /// <summary>
    /// A value given at deployment (a secret when <paramref name="secret"/>); <paramref name="localValue"/> is what a
    /// local run uses (null: the variable stays unset locally).
    /// </summary>
    public IResourceBuilder<ParameterResource> AddParameter(string name, bool secret = false, string? localValue = null) =>
        Add(new ParameterResource(name, secret) { LocalValue = localValue });

    /// <summary>Adds a resource of any kind (publishers refuse, by name, the kinds they cannot express).</summary>
    public IResourceBuilder<T> AddResource<T>(T resource) where T : Resource => Add(resource);

    private ResourceBuilder<T> AddBroker<T>(T broker, int targetPort) where T : BrokerResource
    {
        // Parameter first, as in Aspire's manifests: what the broker needs comes before it.
        broker.Password = Add(new ParameterResource($"{broker.Name}-password", secret: true) { GenerateMinLength = 22 }).Resource;
        broker.Endpoint.TargetPort = targetPort;
        return Add(broker);
    }

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
