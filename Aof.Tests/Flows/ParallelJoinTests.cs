using Aof.Core.Resources;
using Aof.Runtime.Execution;
using Aof.Runtime.Flows;
using static Aof.Tests.Runtime.RuntimeTestKit;

namespace Aof.Tests.Flows;

public class ParallelJoinTests
{
    private static Task<FlowResult> Run(AgentFlowResource flow) =>
        FlowTestKit.Executor().ExecuteAsync(flow, Request(), CancellationToken.None).WaitAsync(FlowTestKit.Bound);

    /// <summary>start -> fan (Parallel) -> three branches (a: 2 nodes, b, c) -> join (mode) -> done.</summary>
    private static AgentFlowResource Fan(string mode, string b, string c) => Flow("fan",
        [
            Node("fan", "Parallel"),
            Node("a1", "Transform", """{"output": {"n": "${event.payload.number}"}}"""),
            Node("a2", "Transform", """{"output": "a saw ${a1.output.n}"}"""),
            b == "ok" ? Node("b", "Transform", """{"template": "b ok"}""") : Script("b", "echo b failing >&2; exit 3"),
            c == "ok" ? Node("c", "Transform", """{"template": "c ok"}""") : Script("c", "exit 4"),
            Node("join", "Join", $$"""{"mode": "{{mode}}"}"""),
            Node("done", "End", """{"message": "${join.output.succeeded}|${join.output.results.a1}"}"""),
        ],
        Edge("start", "fan"),
        Edge("fan", "a1"), Edge("fan", "b"), Edge("fan", "c"),
        Edge("a1", "a2"), Edge("a2", "join"), Edge("b", "join"), Edge("c", "join"),
        Edge("join", "done"));

    [Fact]
    public async Task All_mode_joins_every_branch_output_and_goes_on()
    {
        var result = await Run(Fan("all", "ok", "ok"));
        Assert.EndsWith("|a saw 42", result.OutputText);
        Assert.Contains("\"a1\"", result.OutputText);
        Assert.Contains("\"b\"", result.OutputText);
        Assert.Contains("\"c\"", result.OutputText);
        Assert.Equal(["fan", "join", "done"], result.Visited.Where(v => v is "fan" or "join" or "done"));
    }

    [Fact]
    public async Task All_mode_fails_when_one_branch_fails()
    {
        var ex = await Assert.ThrowsAsync<ExecutionFailedException>(() => Run(Fan("all", "ok", "fail")));
        Assert.Contains("join mode 'all' not met: 2 of 3 branches succeeded", ex.Message);
        Assert.Contains("c:", ex.Message);
    }

    [Fact]
    public async Task Majority_mode_needs_more_than_half()
    {
        var two = await Run(Fan("majority", "ok", "fail"));
        Assert.EndsWith("|a saw 42", two.OutputText);
        Assert.DoesNotContain("\"c\"", two.OutputText!.Split('|')[0]);

        var ex = await Assert.ThrowsAsync<ExecutionFailedException>(() => Run(Fan("majority", "fail", "fail")));
        Assert.Contains("join mode 'majority' not met: 1 of 3 branches succeeded", ex.Message);
    }

    [Fact]
    public async Task Any_mode_needs_one_success()
    {
        var one = await Run(Fan("any", "fail", "fail"));
        Assert.Equal("""["a1"]|a saw 42""", one.OutputText);
    }

    [Fact]
    public async Task Join_output_names_failures_and_the_first_success()
    {
        var flow = Fan("any", "fail", "ok");
        var nodes = flow.Nodes.Where(n => n.Id != "done").ToArray();
        var result = await Run(Flow("fan", nodes, [.. flow.Connections.Where(c => c.To != "done")]));
        var output = result.Output!;
        Assert.Equal("any", output["mode"]!.GetValue<string>());
        Assert.Contains("exited with code 3", output["failed"]!["b"]!.GetValue<string>());
        Assert.Equal("c ok", output["results"]!["c"]!.GetValue<string>());
        Assert.Contains(output["first"]!.GetValue<string>(), new[] { "a1", "c" });
    }

    [Fact]
    public async Task Branches_run_concurrently()
    {
        // Each branch waits for a file the other one writes: sequential branches would both time out.
        var dir = Directory.CreateTempSubdirectory("aof-par-").FullName;
        try
        {
            var flow = Flow("both",
                [
                    Node("fan", "Parallel", """{"branches": ["x", "y"]}"""),
                    Script("x", $"touch {dir}/x; for i in $(seq 100); do [ -f {dir}/y ] && exit 0; sleep 0.1; done; exit 1"),
                    Script("y", $"touch {dir}/y; for i in $(seq 100); do [ -f {dir}/x ] && exit 0; sleep 0.1; done; exit 1"),
                    Node("join", "Join", """{"mode": "all"}"""),
                ],
                Edge("start", "fan"), Edge("x", "join"), Edge("y", "join"));
            var result = await Run(flow);
            Assert.Equal(2, result.Output!["succeeded"]!.AsArray().Count);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Bad_definitions_fail_permanently()
    {
        var badMode = Fan("most", "ok", "ok");
        Assert.Contains("config.mode must be all, any or majority", (await Assert.ThrowsAsync<PermanentExecutionException>(() => Run(badMode))).Message);

        var noBranches = Chain("f", Node("fan", "Parallel"));
        Assert.Contains("has no branches", (await Assert.ThrowsAsync<PermanentExecutionException>(() => Run(noBranches))).Message);

        var loneJoin = Chain("f", Node("join", "Join"));
        Assert.Contains("must follow the branches of a Parallel", (await Assert.ThrowsAsync<PermanentExecutionException>(() => Run(loneJoin))).Message);

        var waitInBranch = Flow("w",
            [Node("fan", "Parallel"), Node("pause", "Wait", """{"duration": "5s"}"""), Node("join", "Join")],
            Edge("start", "fan"), Edge("fan", "pause"), Edge("pause", "join"));
        var executor = FlowTestKit.Executor(FlowTestKit.MemoryStore());
        var ex = await Assert.ThrowsAsync<PermanentExecutionException>(() => executor.ExecuteAsync(waitInBranch, Request(), CancellationToken.None));
        Assert.Contains("cannot wait inside a Parallel branch", ex.Message);
    }

    [Fact]
    public async Task Without_a_join_the_flow_ends_with_every_branch_output()
    {
        var flow = Flow("f",
            [Node("fan", "Parallel"), Node("x", "Transform", """{"template": "X"}"""), Node("y", "Transform", """{"template": "Y"}""")],
            Edge("start", "fan"), Edge("fan", "x"), Edge("fan", "y"));
        Assert.Equal("""{"x":"X","y":"Y"}""", (await Run(flow)).OutputText);
    }
}
