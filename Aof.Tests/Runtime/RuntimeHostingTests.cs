using Aof.Core.Configuration;
using Aof.Core.Events;
using Aof.Core.Executions;
using Aof.Core.Executions.InMemory;
using Aof.Core.Queue;
using Aof.Core.Queue.InMemory;
using Aof.Core.Resources;
using Aof.Runtime.Execution;
using Aof.Runtime.Hosting;
using Aof.Runtime.Processing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using static Aof.Tests.Runtime.RuntimeTestKit;

namespace Aof.Tests.Runtime;

public class RuntimeHostingTests
{
    private static IHost BuildHost(int drainSecs, Action<IServiceCollection>? extra = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.Configure<AofOptions>(o =>
        {
            o.Worker.DrainTimeoutSecs = drainSecs;
            o.Queue.RetryDelayMs = 10;
        });
        builder.Services.AddSingleton<IMessageQueue>(sp => new InMemoryMessageQueue(sp.GetRequiredService<IOptions<AofOptions>>().Value.Queue));
        builder.Services.AddSingleton<IExecutionStore>(new InMemoryExecutionStore(new ExecutionOptions()));
        builder.Services.AddSingleton(Catalog(Chain("hello", Node("say", "Transform", """{"template": "hi ${event.repo}"}"""))));
        extra?.Invoke(builder.Services);
        builder.Services.AddAofRuntime();
        builder.Services.AddAofRuntime(); // idempotent
        return builder.Build();
    }

    [Fact]
    public void Shutdown_timeout_covers_the_drain()
    {
        using var host = BuildHost(drainSecs: 40);
        var hostOptions = host.Services.GetRequiredService<IOptions<HostOptions>>().Value;
        Assert.Equal(TimeSpan.FromSeconds(45), hostOptions.ShutdownTimeout);
        Assert.Single(host.Services.GetServices<IHostedService>().OfType<QueueProcessor>());
    }

    [Fact]
    public async Task The_hosted_processor_executes_published_flows()
    {
        using var host = BuildHost(drainSecs: 5);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await host.StartAsync(timeout.Token);

        var queue = host.Services.GetRequiredService<IMessageQueue>();
        var store = host.Services.GetRequiredService<IExecutionStore>();
        var envelope = Envelope("hello");
        await queue.PublishAsync([new OutgoingMessage(envelope.Id, Priority.Normal, EnvelopeCodec.Serialize(envelope), 3)], null, timeout.Token);

        await ProcessorHarness.WaitUntilAsync(
            async () => (await store.GetAsync(envelope.Id, timeout.Token))?.Status == ExecutionStatus.Succeeded,
            () => "the flow to succeed");
        Assert.Equal("hi myorg/myrepo", (await store.GetAsync(envelope.Id, timeout.Token))!.Output);
        await host.StopAsync(timeout.Token);
    }

    [Fact]
    public void A_registered_agent_executor_replaces_the_placeholder()
    {
        using var host = BuildHost(drainSecs: 5, s => s.AddSingleton<ITargetExecutor, EchoAgentExecutor>());
        var registry = host.Services.GetRequiredService<TargetExecutorRegistry>();
        Assert.IsType<EchoAgentExecutor>(registry.Get(TargetKind.Agent));
        Assert.IsType<UnsupportedTargetExecutor>(registry.Get(TargetKind.Fleet));
        Assert.IsType<FlowTargetExecutor>(registry.Get(TargetKind.Flow));
    }

    private sealed class EchoAgentExecutor : ITargetExecutor
    {
        public TargetKind Kind => TargetKind.Agent;
        public Task<ExecutionResult> ExecuteAsync(ExecutionRequest request, CancellationToken ct) => Task.FromResult(new ExecutionResult("echo"));
    }
}
