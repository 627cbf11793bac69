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

    /// <summary>Listens on <paramref name="port"/>; null or 0: a free port chosen at start.</summary>
    public static IResourceBuilder<T> WithHttpEndpoint<T>(this IResourceBuilder<T> builder, int? port = null) where T : Resource
    {
        builder.Resource.Endpoint.Port = port is > 0 ? port : null;
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
