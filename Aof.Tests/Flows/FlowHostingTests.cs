using System.Text.Json.Nodes;
using Aof.Core.Configuration;
using Aof.Core.Events;
using Aof.Core.Executions;
using Aof.Core.Executions.InMemory;
using Aof.Core.Queue;
using Aof.Core.Queue.InMemory;
using Aof.Core.Resources;
using Aof.Runtime.Execution;
using Aof.Runtime.Flows;
using Aof.Runtime.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using static Aof.Tests.Runtime.RuntimeTestKit;

namespace Aof.Tests.Flows;

/// <summary>AddAofRuntime wires every node: durable state for Wait/Approval, and Agent nodes reaching the registry without a cycle.</summary>
public class FlowHostingTests
{
    private sealed class EchoAgent : ITargetExecutor
    {
        public TargetKind Kind => TargetKind.Agent;
        public Task<ExecutionResult> ExecuteAsync(ExecutionRequest request, CancellationToken ct) =>
            Task.FromResult(new ExecutionResult($"agent {request.Envelope.Target.Name} got: {request.Input}"));
    }

    [Fact]
    public async Task The_runtime_registers_the_new_nodes_with_durable_state_and_agent_targets()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton<IMessageQueue>(sp => new InMemoryMessageQueue(sp.GetRequiredService<IOptions<AofOptions>>().Value.Queue));
        var store = new InMemoryExecutionStore(new ExecutionOptions());
        builder.Services.AddSingleton<IExecutionStore>(store);
        builder.Services.AddSingleton(new ResourceCatalog
        {
            Agents = new Dictionary<string, AgentResource>
            {
                ["helper"] = new() { ApiVersion = "aof.dev/v1", Metadata = new ResourceMetadata { Name = "helper" }, Source = new ResourceSource("a.yaml", 1), Spec = new JsonObject() },
            },
        });
        builder.Services.AddAofRuntime();
        builder.Services.AddSingleton<ITargetExecutor, EchoAgent>();
        using var host = builder.Build();
        var flows = host.Services.GetRequiredService<FlowExecutor>();

        var ask = Chain("ask", Node("a", "Agent", """{"agent": "helper", "input": "hello ${event.repo}"}"""));
        var answered = await flows.ExecuteAsync(ask, Request(), CancellationToken.None).WaitAsync(FlowTestKit.Bound);
        Assert.Equal("agent helper got: hello myorg/myrepo", answered.OutputText);

        var pause = Chain("pause", Node("w", "Wait", """{"duration": "1h"}"""), Node("gate", "HumanApproval"));
        var request = Request();
        var suspended = await flows.ExecuteAsync(pause, request, CancellationToken.None).WaitAsync(FlowTestKit.Bound);
        Assert.NotNull(suspended.DeferFor);
        Assert.Equal(ExecutionStatus.Waiting, (await store.GetCheckpointAsync(request.ExecutionId, CancellationToken.None))!.Status);

        var gate = await flows.ExecuteAsync(Chain("gate", Node("g", "Approval")), Request(), CancellationToken.None).WaitAsync(FlowTestKit.Bound);
        Assert.NotNull(gate.DeferFor);

        // Registered: each fails on its empty config, not as an unknown node type.
        foreach (var type in new[] { "HTTP", "Slack", "Discord", "Fleet", "Parallel", "Join" })
        {
            var flow = Chain("t", Node("n", type));
            var ex = await Assert.ThrowsAsync<PermanentExecutionException>(() => flows.ExecuteAsync(flow, Request(), CancellationToken.None));
            Assert.DoesNotContain("not supported by this runtime", ex.Message);
        }
    }
}
