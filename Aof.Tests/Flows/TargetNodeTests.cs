using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Aof.Core.Events;
using Aof.Core.Resources;
using Aof.Runtime.Execution;
using Aof.Runtime.Flows;
using Aof.Runtime.Flows.Nodes;
using static Aof.Tests.Runtime.RuntimeTestKit;

namespace Aof.Tests.Flows;

/// <summary>Agent and Fleet nodes hand their input to the executor registered for the target kind (a test executor here).</summary>
public class TargetNodeTests
{
    private sealed class RecordingExecutor(TargetKind kind, Func<ExecutionRequest, string?> answer) : ITargetExecutor
    {
        public ConcurrentQueue<ExecutionRequest> Requests { get; } = new();
        public TargetKind Kind => kind;

        public Task<ExecutionResult> ExecuteAsync(ExecutionRequest request, CancellationToken ct)
        {
            Requests.Enqueue(request);
            return Task.FromResult(new ExecutionResult(answer(request)));
        }
    }

    private static AgentResource Agent(string name) => new()
    {
        ApiVersion = "aof.dev/v1",
        Metadata = new ResourceMetadata { Name = name },
        Source = new ResourceSource("agents.yaml", 1),
        Spec = new JsonObject(),
        Model = "openai:gpt-4o",
    };

    [Fact]
    public async Task Agent_and_fleet_nodes_run_their_targets_with_the_rendered_input()
    {
        var agents = new RecordingExecutor(TargetKind.Agent, r => """{"severity": "high", "summary": "from agent"}""");
        var fleets = new RecordingExecutor(TargetKind.Fleet, r => $"fleet answer to: {r.Input}");
        var registry = new TargetExecutorRegistry([agents, fleets]);
        var catalog = new ResourceCatalog
        {
            Agents = new Dictionary<string, AgentResource> { ["triage"] = Agent("triage") },
            Fleets = new Dictionary<string, AgentFleetResource> { ["rca"] = TestFleet("rca") },
        };
        var executor = FlowTestKit.Executor(extra: [new AgentNode(catalog, () => registry), new FleetNode(catalog, () => registry)]);
        var flow = Chain("f",
            Node("assess", "Agent", """{"agent": "triage", "input": "Assess PR ${event.payload.number}: ${event.payload.pull_request.title}"}"""),
            Node("dig", "Fleet", """{"fleet": "rca", "input": "severity ${assess.output.severity}"}"""));

        var envelope = Envelope();
        var result = await executor.ExecuteAsync(flow, Request(envelope) with { ExecutionId = "exec-1" }, CancellationToken.None).WaitAsync(FlowTestKit.Bound);

        Assert.Equal("fleet answer to: severity high", result.OutputText);
        var agentCall = Assert.Single(agents.Requests);
        Assert.Equal("Assess PR 42: Fix it", agentCall.Input);
        Assert.Equal(new EventTarget(TargetKind.Agent, "triage"), agentCall.Envelope.Target);
        Assert.Equal("exec-1", agentCall.ExecutionId);
        Assert.Equal("myorg/myrepo", agentCall.Envelope.Repo);
        Assert.Equal(envelope.Payload.ToArray(), agentCall.Envelope.Payload.ToArray());
        Assert.Equal(new EventTarget(TargetKind.Agent, "triage"), EnvelopeCodec.Parse(agentCall.Body).Target);
        Assert.Equal(new EventTarget(TargetKind.Fleet, "rca"), Assert.Single(fleets.Requests).Envelope.Target);
    }

    [Fact]
    public async Task A_node_replies_where_the_event_came_from_unless_it_says_reply_false()
    {
        var agents = new RecordingExecutor(TargetKind.Agent, r => """{"severity": "high"}""");
        var registry = new TargetExecutorRegistry([agents]);
        var catalog = new ResourceCatalog { Agents = new Dictionary<string, AgentResource> { ["triage"] = Agent("triage") } };
        var executor = FlowTestKit.Executor(extra: new AgentNode(catalog, () => registry));
        var flow = Chain("f",
            Node("classify", "Agent", """{"agent": "triage", "reply": false}"""),
            Node("answer", "Agent", """{"agent": "triage", "input": "severity ${classify.output.severity}"}"""),
            Node("quoted", "Agent", """{"agent": "triage", "reply": "false"}"""));

        await executor.ExecuteAsync(flow, Request(), CancellationToken.None).WaitAsync(FlowTestKit.Bound);

        Assert.Equal([false, true, false], agents.Requests.Select(r => r.PostReply).ToArray());
    }

    [Fact]
    public async Task A_reply_setting_that_is_not_true_or_false_is_a_definition_error()
    {
        var registry = new TargetExecutorRegistry([new RecordingExecutor(TargetKind.Agent, _ => "x")]);
        var catalog = new ResourceCatalog { Agents = new Dictionary<string, AgentResource> { ["triage"] = Agent("triage") } };
        var executor = FlowTestKit.Executor(extra: new AgentNode(catalog, () => registry));
        var ex = await Assert.ThrowsAsync<PermanentExecutionException>(() =>
            executor.ExecuteAsync(Chain("f", Node("a", "Agent", """{"agent": "triage", "reply": "sometimes"}""")), Request(), CancellationToken.None));
        Assert.Contains("reply", ex.Message);
    }

    [Fact]
    public async Task An_unknown_agent_is_a_permanent_failure_naming_it()
    {
        var registry = new TargetExecutorRegistry([]);
        var executor = FlowTestKit.Executor(extra: new AgentNode(ResourceCatalog.Empty, () => registry));
        var ex = await Assert.ThrowsAsync<PermanentExecutionException>(() =>
            executor.ExecuteAsync(Chain("f", Node("a", "Agent", """{"agent": "ghost"}""")), Request(), CancellationToken.None));
        Assert.Contains("no Agent named 'ghost'", ex.Message);
        Assert.Equal(Aof.Core.Queue.DeadLetterReasons.UnknownTarget, ex.Reason);
    }

    private static AgentFleetResource TestFleet(string name) => new()
    {
        ApiVersion = "aof.dev/v1",
        Metadata = new ResourceMetadata { Name = name },
        Source = new ResourceSource("fleets.yaml", 1),
        Spec = new JsonObject(),
    };
}
