using System.Globalization;
using Aof.AppHost.Hosting.ApplicationModel;
using Aof.AppHost.Hosting.Builder;
using Aof.AppHost.ResourceTree;
using YamlDotNet.RepresentationModel;

namespace Aof.AppHost.Publishing;

/// <summary>
/// What the publishers read: the app model's resources that a deployment needs (the projects, the brokers they
/// use, the parameters they read) and the DaemonConfig folder the projects are given with <c>--config</c>, whose
/// files become a ConfigMap. Built the way a run picks resources: a broker nobody uses is not deployed.
/// </summary>
public sealed class DeploymentModel
{
    /// <summary>Where the DaemonConfig folder is mounted in the containers of Kubernetes and Helm.</summary>
    public const string ConfigMountPath = "/etc/aof";

    /// <summary>Labels every object carries (Kubernetes' recommended app.kubernetes.io/part-of).</summary>
    public const string PartOf = "aof";

    private DeploymentModel(AppHostOptions options, IReadOnlyList<Resource> all)
    {
        Options = options;
        All = all;
    }

    public AppHostOptions Options { get; }

    /// <summary>Every resource of the model, in model order.</summary>
    public IReadOnlyList<Resource> All { get; }

    public IReadOnlyList<ProjectResource> Projects { get; private init; } = [];

    public IReadOnlyList<BrokerResource> Brokers { get; private init; } = [];

    /// <summary>Parameters the deployed resources read (broker passwords of brokers that are deployed, secrets in env).</summary>
    public IReadOnlyList<ParameterResource> Parameters { get; private init; } = [];

    /// <summary>The DaemonConfig folder: file path relative to it (forward slashes) -> content, sorted.</summary>
    public IReadOnlyDictionary<string, string> ConfigFiles { get; private init; } = new Dictionary<string, string>();

    /// <summary>The DaemonConfig's file name inside <see cref="ConfigFiles"/>.</summary>
    public string DaemonConfigFile { get; private init; } = "daemon.yaml";

    public string DaemonConfigDirectory { get; private init; } = "";

    /// <summary>queue.prefix of the DaemonConfig: names the streams KEDA watches.</summary>
    public string QueuePrefix { get; private init; } = "aof";

    /// <summary>queue.consumer_group of the DaemonConfig.</summary>
    public string ConsumerGroup { get; private init; } = "aof-workers";

    /// <summary>worker.drain_timeout_secs: a pod's grace period must be longer.</summary>
    public int DrainTimeoutSecs { get; private init; } = 30;

    /// <summary>The lanes, in priority order, as the queue backends name them.</summary>
    public static IReadOnlyList<string> Lanes { get; } = ["high", "normal", "low"];

    /// <summary>Seconds Kubernetes waits after SIGTERM: the drain timeout plus time to release leases and exit.</summary>
    public int TerminationGraceSecs => DrainTimeoutSecs + 15;

    /// <exception cref="PublishingException">A resource of a kind no publisher knows, or projects with different configs.</exception>
    public static DeploymentModel From(AppHostOptions options, IReadOnlyList<Resource> resources, string publisher)
    {
        foreach (var resource in resources.Where(r => r is not (ProjectResource or BrokerResource or ParameterResource)))
            throw new PublishingException(
                $"the {publisher} publisher cannot express resource '{resource.Name}' ({resource.GetType().Name}): " +
                "it deploys projects, Redis and NATS brokers, and parameters only; remove it from the model or deploy it another way");

        var projects = resources.OfType<ProjectResource>().ToList();
        var used = new HashSet<Resource>(projects);
        foreach (var project in projects)
        {
            foreach (var dependency in project.WaitsFor.Concat(project.References.Cast<Resource>()).Concat(project.ParameterEnvironment.Values))
                used.Add(dependency);
        }
        var brokers = resources.OfType<BrokerResource>().Where(used.Contains).ToList();
        foreach (var broker in brokers.Where(b => b.Password is not null && !b.IsExternal)) used.Add(broker.Password!);
        var parameters = resources.OfType<ParameterResource>().Where(used.Contains).ToList();

        var configs = projects.Select(p => (Project: p, Config: ConfigArgument(p))).Where(x => x.Config is not null).ToList();
        var distinct = configs.Select(x => x.Config!).Distinct(StringComparer.Ordinal).ToList();
        if (distinct.Count > 1)
            throw new PublishingException(
                $"the {publisher} publisher cannot express resource '{configs.First(x => x.Config != distinct[0]).Project.Name}': " +
                "its --config differs from the other projects', and a deployment mounts one DaemonConfig folder");
        var daemonConfig = distinct.Count == 1 ? distinct[0] : options.DaemonConfig;
        var folder = Path.GetDirectoryName(daemonConfig)!;
        var settings = ReadSettings(daemonConfig);

        return new DeploymentModel(options, resources)
        {
            Projects = projects,
            Brokers = brokers,
            Parameters = parameters,
            ConfigFiles = ResourceFolder.Read(folder),
            DaemonConfigFile = Path.GetFileName(daemonConfig),
            DaemonConfigDirectory = folder,
            QueuePrefix = settings.GetValueOrDefault("queue.prefix") ?? "aof",
            ConsumerGroup = settings.GetValueOrDefault("queue.consumer_group") ?? "aof-workers",
            DrainTimeoutSecs = int.TryParse(settings.GetValueOrDefault("worker.drain_timeout_secs"), CultureInfo.InvariantCulture, out var drain) ? drain : 30,
        };
    }

    /// <summary>The project's arguments with its <c>--config</c> path replaced by where the config is in the container.</summary>
    public IReadOnlyList<string> DeployedArgs(ProjectResource project, string configDirectory)
    {
        var args = project.Args.ToList();
        var i = args.IndexOf("--config");
        if (i >= 0 && i + 1 < args.Count) args[i + 1] = $"{configDirectory}/{DaemonConfigFile}";
        return args;
    }

    /// <summary>The broker's queue type the projects were given (Aof__Queue__Type), e.g. "redis".</summary>
    public string QueueType => Brokers.FirstOrDefault()?.QueueType ?? "memory";

    /// <summary>A project's mode (its <c>--mode</c>): gateway, worker or standalone.</summary>
    public static string ModeOf(ProjectResource project)
    {
        var i = project.Args.IndexOf("--mode");
        return i >= 0 && i + 1 < project.Args.Count ? project.Args[i + 1] : project.Name;
    }

    private static string? ConfigArgument(ProjectResource project)
    {
        var i = project.Args.IndexOf("--config");
        return i >= 0 && i + 1 < project.Args.Count ? Path.GetFullPath(project.Args[i + 1]) : null;
    }

    /// <summary>The few DaemonConfig keys a deployment needs, as "section.key" -> scalar.</summary>
    private static Dictionary<string, string> ReadSettings(string daemonConfig)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var yaml = new YamlStream();
        try
        {
            using var reader = new StringReader(File.ReadAllText(daemonConfig));
            yaml.Load(reader);
        }
        catch (Exception ex) when (ex is IOException or YamlDotNet.Core.YamlException)
        {
            throw new PublishingException($"cannot read the DaemonConfig {daemonConfig}: {ex.Message}", ex);
        }
        if (yaml.Documents.FirstOrDefault()?.RootNode is not YamlMappingNode root) return result;
        if (!root.Children.TryGetValue(new YamlScalarNode("spec"), out var spec) || spec is not YamlMappingNode specMap) return result;
        foreach (var (section, body) in specMap.Children)
        {
            if (body is not YamlMappingNode map) continue;
            foreach (var (key, value) in map.Children)
            {
                if (value is YamlScalarNode { Value: { } scalar }) result[$"{section}.{key}"] = scalar;
            }
        }
        return result;
    }
}
