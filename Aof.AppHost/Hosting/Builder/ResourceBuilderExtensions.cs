using Aof.AppHost.Hosting.ApplicationModel;

namespace Aof.AppHost.Hosting.Builder;

/// <summary>The Aspire-style verbs of the model.</summary>
public static class ResourceBuilderExtensions
{
    /// <summary>Injects <c>ConnectionStrings__{name}</c> of <paramref name="source"/>.</summary>
    public static IResourceBuilder<T> WithReference<T>(this IResourceBuilder<T> builder, IResourceBuilder<BrokerResource> source)
        where T : Resource
    {
        builder.Resource.References.Add(source.Resource);
        return builder;
    }

    /// <summary>Starts this resource only once <paramref name="dependency"/> is healthy.</summary>
    public static IResourceBuilder<T> WaitFor<T>(this IResourceBuilder<T> builder, IResourceBuilder<Resource> dependency) where T : Resource
    {
        builder.Resource.WaitsFor.Add(dependency.Resource);
        return builder;
    }

    /// <summary>Runs <paramref name="replicas"/> copies, named "{name}-0" .. "{name}-{n-1}", each supervised on its own.</summary>
    public static IResourceBuilder<T> WithReplicas<T>(this IResourceBuilder<T> builder, int replicas) where T : Resource
    {
        ArgumentOutOfRangeException.ThrowIfNegative(replicas);
        builder.Resource.Replicas = replicas;
        builder.Resource.IsReplicated = true;
        return builder;
    }

    /// <summary>
    /// Listens on <paramref name="port"/>; null or 0: a free port chosen at start. Deployed, the container listens
    /// on <paramref name="targetPort"/> (8080, the port of .NET's container images).
    /// </summary>
    public static IResourceBuilder<T> WithHttpEndpoint<T>(this IResourceBuilder<T> builder, int? port = null, int targetPort = 8080)
        where T : Resource
    {
        builder.Resource.Endpoint.Port = port is > 0 ? port : null;
        builder.Resource.Endpoint.Scheme = "http";
        builder.Resource.Endpoint.TargetPort = targetPort;
        return builder;
    }

    /// <summary>Deployed, the http endpoint is reachable from outside (ingress of Container Apps, a Kubernetes Ingress).</summary>
    public static IResourceBuilder<T> WithExternalHttpEndpoints<T>(this IResourceBuilder<T> builder) where T : Resource
    {
        builder.Resource.Endpoint.IsExternal = true;
        return builder;
    }

    /// <summary>Sets <paramref name="name"/> to the parameter's value (deployed: a reference to the secret, never the value).</summary>
    public static IResourceBuilder<T> WithEnvironment<T>(this IResourceBuilder<T> builder, string name, IResourceBuilder<ParameterResource> parameter)
        where T : Resource
    {
        builder.Resource.ParameterEnvironment[name] = parameter.Resource;
        return builder;
    }

    /// <summary>Deployment tools generate the parameter's value (at least <paramref name="minLength"/> characters) instead of asking.</summary>
    public static IResourceBuilder<ParameterResource> WithGeneratedValue(this IResourceBuilder<ParameterResource> builder, int minLength = 22)
    {
        builder.Resource.GenerateMinLength = minLength;
        return builder;
    }

    /// <summary>A deployment may leave the parameter empty (see <see cref="ParameterResource.Optional"/>).</summary>
    public static IResourceBuilder<ParameterResource> AsOptional(this IResourceBuilder<ParameterResource> builder)
    {
        builder.Resource.Optional = true;
        return builder;
    }

    /// <summary>CPU and memory one replica requests and may use when deployed.</summary>
    public static IResourceBuilder<T> WithComputeResources<T>(this IResourceBuilder<T> builder,
        string cpuRequest, string memoryRequest, string cpuLimit, string memoryLimit) where T : Resource
    {
        builder.Resource.Compute = new ComputeResources(cpuRequest, memoryRequest, cpuLimit, memoryLimit);
        return builder;
    }

    /// <summary>Deployed, scales between min and max replicas: on queue lag per lane (KEDA) when lagTarget is set, else on CPU.</summary>
    public static IResourceBuilder<T> WithAutoscaling<T>(this IResourceBuilder<T> builder, int minReplicas, int maxReplicas,
        int? lagTarget = null, int cpuUtilization = 70) where T : Resource
    {
        if (minReplicas < 0 || maxReplicas < Math.Max(1, minReplicas))
            throw new ArgumentOutOfRangeException(nameof(maxReplicas), $"{builder.Resource.Name}: autoscaling needs 0 <= min <= max and max >= 1");
        builder.Resource.Autoscale = new AutoscaleSettings(minReplicas, maxReplicas, lagTarget, cpuUtilization);
        return builder;
    }

    /// <summary>Deploys <paramref name="image"/> for this broker instead of the default.</summary>
    public static IResourceBuilder<T> WithImage<T>(this IResourceBuilder<T> builder, ContainerImage image) where T : BrokerResource
    {
        builder.Resource.Image = image;
        return builder;
    }

    /// <summary>Deployed against a broker that already exists: no container; its connection string is a secret parameter.</summary>
    public static IResourceBuilder<T> PublishAsExisting<T>(this IResourceBuilder<T> builder) where T : BrokerResource
    {
        builder.Resource.IsExternal = true;
        return builder;
    }

    public static IResourceBuilder<T> WithEnvironment<T>(this IResourceBuilder<T> builder, string name, string value) where T : Resource
    {
        builder.Resource.Environment[name] = value;
        return builder;
    }

    public static IResourceBuilder<T> WithArgs<T>(this IResourceBuilder<T> builder, params string[] args) where T : Resource
    {
        builder.Resource.Args.AddRange(args);
        return builder;
    }

    /// <summary>Runs nats-server with JetStream (<c>-js</c>) and its file store in the state folder.</summary>
    public static IResourceBuilder<NatsResource> WithJetStream(this IResourceBuilder<NatsResource> builder)
    {
        builder.Resource.JetStream = true;
        return builder;
    }
}
