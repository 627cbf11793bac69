using Aof.Core.Configuration;
using Aof.Core.Resources;
using Aof.Core.Resources.Loading;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Aof.Core.Hosting;

public static class ResourceServiceCollectionExtensions
{
    /// <summary>
    /// Registers the <see cref="ResourceCatalog"/>, loaded now from <see cref="AofOptions.ResourceDirectoriesFrom"/>,
    /// so a bad resource tree stops the host at startup with every error listed (a <see cref="ResourceLoadException"/>).
    /// No configured directory: an empty catalog.
    /// </summary>
    public static IServiceCollection AddAofResources(this IServiceCollection services, IConfiguration configuration)
    {
        var directories = AofOptions.ResourceDirectoriesFrom(configuration);
        var catalog = directories.Count == 0 ? ResourceCatalog.Empty : ResourceLoader.Load(directories);
        services.AddSingleton(catalog);
        return services;
    }
}
