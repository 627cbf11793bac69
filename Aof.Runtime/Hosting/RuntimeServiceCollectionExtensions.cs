using Aof.Core.Configuration;
using Aof.Core.Events;
using Aof.Runtime.Execution;
using Aof.Runtime.Flows;
using Aof.Core.Executions;
using Aof.Core.Resources;
using Aof.Runtime.Flows.Durable;
using Aof.Runtime.Flows.Nodes;
using Aof.Runtime.Flows.Nodes.Http;
using Aof.Runtime.Flows.Nodes.Messaging;
using Aof.Runtime.Processing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Aof.Runtime.Hosting;

public static class RuntimeServiceCollectionExtensions
{
    /// <summary>Seconds the host waits beyond the drain timeout, for releasing and final bookkeeping.</summary>
    public const int ShutdownMarginSecs = 5;

    /// <summary>
    /// The worker engine: flow node handlers, target executors and the <see cref="QueueProcessor"/> hosted service.
    /// Expects <c>IMessageQueue</c>, <c>IExecutionStore</c>, <c>ResourceCatalog</c> and <c>IOptions&lt;AofOptions&gt;</c>
    /// to be registered by the host. Agent and Fleet targets dead-letter as unsupported unless another
    /// <see cref="ITargetExecutor"/> for that kind is registered (before or after this call).
    /// </summary>
    public static IServiceCollection AddAofRuntime(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(QueueProcessor))) return services;

        services.AddOptions();
        services.AddLogging();

        services.TryAddEnumerable(ServiceDescriptor.Singleton<INodeHandler, TransformNode>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<INodeHandler, ScriptNode>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<INodeHandler, ConditionalNode>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<INodeHandler, EndNode>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<INodeHandler, ParallelNode>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<INodeHandler, JoinNode>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<INodeHandler, HttpNode>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<INodeHandler, SlackNode>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<INodeHandler, DiscordNode>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<INodeHandler, WaitNode>(sp => new WaitNode(sp.GetService<TimeProvider>())));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<INodeHandler, ApprovalNode>(sp => new ApprovalNode(sp.GetService<TimeProvider>())));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<INodeHandler, HumanApprovalNode>(sp => new HumanApprovalNode(sp.GetService<TimeProvider>())));
        // Agent and Fleet nodes run targets through the registry, which itself holds the flow executor: resolve it late.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<INodeHandler, AgentNode>(sp =>
            new AgentNode(sp.GetRequiredService<ResourceCatalog>(), () => sp.GetRequiredService<TargetExecutorRegistry>())));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<INodeHandler, FleetNode>(sp =>
            new FleetNode(sp.GetRequiredService<ResourceCatalog>(), () => sp.GetRequiredService<TargetExecutorRegistry>())));
        services.AddHttpClient(HttpCalls.ClientName);
        services.TryAddSingleton(sp => new FlowStateStore(
            sp.GetRequiredService<IExecutionStore>(), sp.GetRequiredService<IOptions<AofOptions>>(), sp.GetService<TimeProvider>()));
        services.TryAddSingleton<FlowExecutor>();

        services.AddSingleton<ITargetExecutor, FlowTargetExecutor>();
        services.AddSingleton<ITargetExecutor>(new UnsupportedTargetExecutor(TargetKind.Agent));
        services.AddSingleton<ITargetExecutor>(new UnsupportedTargetExecutor(TargetKind.Fleet));
        services.TryAddSingleton<TargetExecutorRegistry>();

        services.AddSingleton<QueueProcessor>();
        services.AddHostedService(sp => sp.GetRequiredService<QueueProcessor>());

        // The host must wait for the drain, or in-flight executions are cut off and their deliveries left leased.
        services.AddOptions<HostOptions>().Configure<IOptions<AofOptions>>((host, aof) =>
        {
            var needed = TimeSpan.FromSeconds(aof.Value.Worker.DrainTimeoutSecs + ShutdownMarginSecs);
            if (host.ShutdownTimeout < needed) host.ShutdownTimeout = needed;
        });
        return services;
    }
}
