using Aof.Core.Resources;
using Aof.Runtime.Agents;
using Aof.Runtime.Agents.Providers;
using Aof.Runtime.Execution;
using Aof.Runtime.Fleets;
using Aof.Runtime.Replies;
using Aof.Runtime.Safety;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Aof.Runtime.Hosting;

public static class AgentServiceCollectionExtensions
{
    /// <summary>
    /// Agent and AgentFleet execution: the real <see cref="ITargetExecutor"/>s for Agent and Fleet targets (they take
    /// over from the unsupported placeholders of <see cref="RuntimeServiceCollectionExtensions.AddAofRuntime"/>),
    /// providers and replies configured from the environment, secrets redacted with the environment's secret values.
    /// The agents and fleets of the registered <see cref="ResourceCatalog"/> are checked now, so an unknown tool or
    /// MCP server, or an unsupported fleet mode, stops the host at start with a <see cref="ResourceLoadException"/>.
    /// Call after <c>AddAofResources</c>; options already registered (tests) are kept.
    /// </summary>
    public static IServiceCollection AddAofAgents(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(AgentRunner))) return services;

        var catalog = services.LastOrDefault(d => d.ServiceType == typeof(ResourceCatalog))?.ImplementationInstance as ResourceCatalog;
        if (catalog is not null) services.AddSingleton(AgentCatalog.Build(catalog)); // fail fast
        else services.TryAddSingleton(sp => AgentCatalog.Build(sp.GetRequiredService<ResourceCatalog>()));

        services.AddLogging();
        services.TryAddSingleton(_ => SecretRedactor.FromEnvironment());
        services.TryAddSingleton(_ => new ProviderOptions());
        services.TryAddSingleton(sp => sp.GetService<IConfiguration>() is { } configuration
            ? ReplyOptions.FromConfiguration(configuration)
            : ReplyOptions.FromEnvironment());
        services.TryAddSingleton<ChatClientFactory>();
        services.AddSingleton(sp => new AgentRunner(
            sp.GetRequiredService<ChatClientFactory>(),
            sp.GetRequiredService<SecretRedactor>(),
            ToolHttp.Shared,
            sp.GetRequiredService<ILoggerFactory>()));
        services.TryAddSingleton<FleetRunner>();
        services.TryAddSingleton<GitHubReplier>();
        services.TryAddSingleton(sp => new SlackReplier(sp.GetRequiredService<ReplyOptions>(), ToolHttp.Shared));
        services.TryAddSingleton<ReplySender>();

        services.AddSingleton<ITargetExecutor, AgentTargetExecutor>();
        services.AddSingleton<ITargetExecutor, FleetTargetExecutor>();
        return services;
    }

    /// <summary>One pooled client for tool and Slack calls; per-call timeouts are set by the callers.</summary>
    private static class ToolHttp
    {
        public static readonly HttpClient Shared = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            Timeout = TimeSpan.FromMinutes(2),
        };
    }
}
