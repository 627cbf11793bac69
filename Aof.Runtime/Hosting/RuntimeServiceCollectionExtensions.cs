using Aof.Core.Configuration;
using Aof.Core.Events;
using Aof.Runtime.Execution;
using Aof.Runtime.Flows;
using Aof.Runtime.Flows.Nodes;
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
