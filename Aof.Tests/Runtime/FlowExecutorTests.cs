using System.Text.Json.Nodes;
using Aof.Core.Queue;
using Aof.Runtime.Execution;
using Aof.Runtime.Flows;
using static Aof.Tests.Runtime.RuntimeTestKit;

namespace Aof.Tests.Runtime;

public class FlowExecutorTests
{
    private static readonly FlowExecutor Executor = FlowExecutor.CreateDefault();

    private static Task<FlowResult> Run(Aof.Core.Resources.AgentFlowResource flow, Aof.Core.Events.EventEnvelope? envelope = null) =>
        Executor.ExecuteAsync(flow, Request(envelope), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

    [Fact]
    public async Task Transform_output_renders_templates_recursively_and_keeps_json_types()
    {
        var flow = Chain("f", Node("shape", "Transform", """
            {"output": {"repo": "${event.repo}", "number": "${event.payload.number}",
                        "labels": ["first: ${event.payload.pull_request.labels[0].name}", "${event.payload.pull_request.draft}"],
                        "fixed": 7, "nested": {"who": "${event.sender}"}}}
            """));
        var result = await Run(flow);
        Assert.Equal("""{"repo":"myorg/myrepo","number":42,"labels":["first: ops",false],"fixed":7,"nested":{"who":"alice"}}""",
            result.Output!.ToJsonString());
    }

    [Fact]
    public async Task Transform_template_and_end_message_produce_the_flow_output()
    {
        var flow = Chain("f",
            Node("greet", "Transform", """{"template": "Hello ${event.sender} on ${event.repo}"}"""),
            Node("done", "End", """{"message": "${previous.output}!"}"""));
        var result = await Run(flow);
        Assert.Equal("Hello alice on myorg/myrepo!", result.OutputText);
        Assert.Equal(["greet", "done"], result.Visited);
    }

    [Fact]
    public async Task Without_an_end_node_the_last_output_is_the_flow_output()
    {
        var flow = Chain("f",
            Node("a", "Transform", """{"output": {"n": 1}}"""),
            Node("b", "Transform", """{"output": {"from_a": "${a.output.n}", "total": "${a.output}"}}"""));
        var result = await Run(flow);
        Assert.Equal("""{"from_a":1,"total":{"n":1}}""", result.OutputText);
    }

    [Fact]
    public async Task End_stops_the_walk_even_when_connections_continue()
    {
        var flow = Chain("f",
            Node("stop", "End", """{"message": "stopped"}"""),
            Node("after", "Transform", """{"template": "should not run"}"""));
        var result = await Run(flow);
        Assert.Equal("stopped", result.OutputText);
        Assert.Equal(["stop"], result.Visited);
    }

    [Fact]
    public async Task Connections_follow_the_first_when_that_holds()
    {
        var flow = Flow("f",
            [
                Node("classify", "Transform", """{"output": {"size": "${event.payload.number}"}}"""),
                Node("big", "End", """{"message": "big ${classify.output.size}"}"""),
                Node("small", "End", """{"message": "small"}"""),
                Node("never", "End", """{"message": "never"}"""),
            ],
            Edge("start", "classify"),
            Edge("classify", "never", "event.action == 'closed'"),
            Edge("classify", "big", "classify.output.size > 10"),
            Edge("classify", "small"));
        Assert.Equal("big 42", (await Run(flow)).OutputText);

        var smallEvent = Envelope(payload: """{"number": 3}""");
        Assert.Equal("small", (await Run(flow, smallEvent)).OutputText);
    }

    [Fact]
    public async Task A_node_with_no_matching_connection_ends_the_flow()
    {
        var flow = Flow("f",
            [Node("a", "Transform", """{"template": "a"}"""), Node("b", "Transform", """{"template": "b"}""")],
            Edge("start", "a"),
            Edge("a", "b", "event.action == 'closed'"));
        var result = await Run(flow);
        Assert.Equal("a", result.OutputText);
        Assert.Equal(["a"], result.Visited);
    }

    [Theory]
    [InlineData("event.payload.number == 42", "yes")]
    [InlineData("event.payload.number != 42", "no")]
    public async Task Conditional_true_and_false_targets(string expression, string expected)
    {
        var flow = Flow("f",
            [
                Node("check", "Conditional", $$"""{"expression": "{{expression}}", "true_target": "yes", "false_target": "no"}"""),
                Node("yes", "End", """{"message": "yes"}"""),
                Node("no", "End", """{"message": "no"}"""),
            ],
            Edge("start", "check"));
        Assert.Equal(expected, (await Run(flow)).OutputText);
    }

    [Theory]
    [InlineData("""{"severity":"critical"}""", "escalated")]
    [InlineData("""{"severity":"high"}""", "paged")]
    [InlineData("""{"severity":"low"}""", "ticket")]
    [InlineData("""{}""", "ticket")]
    public async Task Conditional_cases_pick_a_node_or_the_default(string assessment, string expected)
    {
        var flow = Flow("f",
            [
                Node("assess", "Transform", "{\"output\": " + assessment + "}"),
                Node("route", "Conditional", """{"expression": "${assess.output.severity}", "cases": {"critical": "escalate", "high": "page", "default": "log"}}"""),
                Node("escalate", "End", """{"message": "escalated"}"""),
                Node("page", "End", """{"message": "paged"}"""),
                Node("log", "End", """{"message": "ticket"}"""),
            ],
            Edge("start", "assess"),
            Edge("assess", "route"));
        Assert.Equal(expected, (await Run(flow)).OutputText);
    }

    [Theory]
    [InlineData("critical", "escalated")]
    [InlineData("high", "paged")]
    [InlineData("low", "ticket")]
    public async Task Conditional_cases_can_be_routed_by_connection_labels(string severity, string expected)
    {
        // The AOF documentation's form: cases map to labels, connections say `condition: <label>`.
        var flow = Flow("f",
            [
                Node("assess", "Transform", "{\"output\": {\"severity\": \"" + severity + "\"}}"),
                Node("route", "Conditional", """{"expression": "${assess.output.severity}", "cases": {"critical": "", "high": ""}}"""),
                Node("escalate", "End", """{"message": "escalated"}"""),
                Node("page", "End", """{"message": "paged"}"""),
                Node("log", "End", """{"message": "ticket"}"""),
            ],
            Edge("start", "assess"),
            Edge("assess", "route"),
            Edge("route", "escalate", "critical"),
            Edge("route", "page", "'high'"),
            Edge("route", "log", "default"));
        Assert.Equal(expected, (await Run(flow)).OutputText);
    }

    [Theory]
    [InlineData("opened", "approved")]
    [InlineData("closed", "rejected")]
    public async Task Boolean_conditional_can_be_routed_by_true_false_connections(string action, string expected)
    {
        var envelope = Envelope();
        envelope = new Aof.Core.Events.EventEnvelope
        {
            Id = envelope.Id, Timestamp = envelope.Timestamp, Platform = envelope.Platform, EventType = envelope.EventType,
            TriggerName = envelope.TriggerName, Target = envelope.Target, Payload = envelope.Payload, Action = action,
        };
        var flow = Flow("f",
            [
                Node("gate", "Conditional", """{"expression": "event.action == 'opened'"}"""),
                Node("ok", "End", """{"message": "approved"}"""),
                Node("nope", "End", """{"message": "rejected"}"""),
            ],
            Edge("start", "gate"),
            Edge("gate", "ok", "true"),
            Edge("gate", "nope", "false"));
        Assert.Equal(expected, (await Run(flow, envelope)).OutputText);
    }

    [Fact]
    public async Task An_unsupported_node_type_fails_permanently_naming_node_and_type()
    {
        var flow = Chain("f", Node("think", "Agent", """{"agent": "k8s"}"""));
        var ex = await Assert.ThrowsAsync<PermanentExecutionException>(() => Run(flow));
        Assert.Equal(DeadLetterReasons.PermanentFailure, ex.Reason);
        Assert.Contains("node 'think'", ex.Message);
        Assert.Contains("node type Agent is not supported by this runtime yet", ex.Message);
    }

    [Fact]
    public async Task A_bad_when_fails_permanently_naming_the_connection()
    {
        var flow = Flow("f", [Node("a", "Transform", """{"template": "a"}"""), Node("b", "End")],
            Edge("start", "a"), Edge("a", "b", "event.action = 'x'"));
        var ex = await Assert.ThrowsAsync<PermanentExecutionException>(() => Run(flow));
        Assert.Contains("connection 'a' -> 'b'", ex.Message);
        Assert.Contains("syntax error", ex.Message);
    }

    [Fact]
    public async Task A_bad_conditional_expression_fails_permanently_naming_the_node()
    {
        var flow = Chain("f", Node("check", "Conditional", """{"expression": "(x == 1", "true_target": "a"}"""));
        var ex = await Assert.ThrowsAsync<PermanentExecutionException>(() => Run(flow));
        Assert.Contains("node 'check' (Conditional)", ex.Message);
        Assert.Contains("expected ')'", ex.Message);
    }

    [Fact]
    public async Task Connections_to_unknown_nodes_fail_permanently()
    {
        var flow = Flow("f", [Node("a", "Transform", """{"template": "a"}""")], Edge("start", "a"), Edge("a", "ghost"));
        var ex = await Assert.ThrowsAsync<PermanentExecutionException>(() => Run(flow));
        Assert.Contains("unknown node 'ghost'", ex.Message);

        var branch = Chain("g", Node("c", "Conditional", """{"expression": "true", "true_target": "ghost"}"""));
        ex = await Assert.ThrowsAsync<PermanentExecutionException>(() => Run(branch));
        Assert.Contains("unknown node 'ghost'", ex.Message);
    }

    [Fact]
    public async Task Transform_without_output_or_template_fails_permanently()
    {
        var ex = await Assert.ThrowsAsync<PermanentExecutionException>(() => Run(Chain("f", Node("t", "Transform"))));
        Assert.Contains("config.output or config.template is required", ex.Message);
    }

    [Fact]
    public async Task A_loop_is_stopped_after_max_steps()
    {
        var flow = Flow("f", [Node("a", "Transform", """{"template": "a"}"""), Node("b", "Transform", """{"template": "b"}""")],
            Edge("start", "a"), Edge("a", "b"), Edge("b", "a"));
        var executor = new FlowExecutor(FlowExecutor.BuiltInNodes(), Microsoft.Extensions.Logging.Abstractions.NullLogger<FlowExecutor>.Instance) { MaxSteps = 50 };
        var ex = await Assert.ThrowsAsync<PermanentExecutionException>(() => executor.ExecuteAsync(flow, Request(), CancellationToken.None));
        Assert.Contains("stopped after 50 steps", ex.Message);

        // With the default bound too.
        ex = await Assert.ThrowsAsync<PermanentExecutionException>(() => Run(flow));
        Assert.Contains($"stopped after {FlowExecutor.DefaultMaxSteps} steps", ex.Message);
    }

    [Fact]
    public async Task A_bounded_loop_ends_through_its_condition()
    {
        // The loop reads the attempt number: a loop whose condition turns false must end normally.
        var flow = Flow("f",
            [Node("a", "Transform", """{"output": {"seen": "${event.attempt}"}}"""), Node("done", "End", """{"message": "done"}""")],
            Edge("start", "a"), Edge("a", "done", "a.output.seen >= 1"), Edge("a", "a"));
        Assert.Equal("done", (await Run(flow)).OutputText);
    }

    [Fact]
    public async Task An_empty_flow_succeeds_with_no_output()
    {
        var result = await Run(Flow("f", []));
        Assert.Null(result.Output);
        Assert.Empty(result.Visited);
    }

    [Fact]
    public async Task Node_outputs_are_separate_values()
    {
        var flow = Chain("f",
            Node("a", "Transform", """{"output": {"list": [1, 2]}}"""),
            Node("b", "Transform", """{"output": {"again": "${a.output.list}", "first": "${a.output.list[0]}"}}"""));
        var result = await Run(flow);
        Assert.Equal(JsonNode.Parse("""{"again":[1,2],"first":1}""")!.ToJsonString(), result.OutputText);
    }
}
