using Aof.Core.Configuration;
using Aof.Core.Executions.InMemory;
using Aof.Core.Executions;
using Aof.Runtime.Flows;
using Aof.Runtime.Flows.Durable;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Aof.Tests.Flows;

internal static class FlowTestKit
{
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private static readonly ServiceProvider Services = new ServiceCollection().AddHttpClient().BuildServiceProvider();

    public static IHttpClientFactory HttpClients => Services.GetRequiredService<IHttpClientFactory>();

    /// <summary>A flow executor with the built-in nodes plus <paramref name="extra"/>, durable over <paramref name="store"/> when given.</summary>
    public static FlowExecutor Executor(IExecutionStore? store = null, AofOptions? options = null, params INodeHandler[] extra)
    {
        FlowStateStore? durable = store is null ? null : new FlowStateStore(store, Options.Create(options ?? new AofOptions()));
        return new FlowExecutor([.. FlowExecutor.BuiltInNodes(), .. extra], NullLogger<FlowExecutor>.Instance, durable);
    }

    public static InMemoryExecutionStore MemoryStore() => new(new ExecutionOptions());
}
