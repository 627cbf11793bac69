using Aof.AppHost.Hosting.ApplicationModel;

namespace Aof.AppHost.Hosting.Builder;

/// <summary>A resource being modelled; the With* extensions hang off it, as in Aspire.</summary>
public interface IResourceBuilder<out T> where T : Resource
{
    T Resource { get; }

    DistributedApplicationBuilder ApplicationBuilder { get; }
}

internal sealed class ResourceBuilder<T>(T resource, DistributedApplicationBuilder builder) : IResourceBuilder<T> where T : Resource
{
    public T Resource { get; } = resource;

    public DistributedApplicationBuilder ApplicationBuilder { get; } = builder;
}
