using System.Text.Json.Nodes;
using Aof.Core.Events;
using Aof.Runtime.Execution;
using Aof.Tests.Agents.Stubs;
using static Aof.Tests.Runtime.RuntimeTestKit;

namespace Aof.Tests.Agents;

public sealed class FleetTests
{
    private static string Agent(string name, string instructions) => $"""
        apiVersion: aof.dev/v1
        kind: Agent
        metadata: {"{"} name: {name} {"}"}
        spec:
          model: openai:gpt-4o-mini
          instructions: "{instructions}"
        ---

        """;

    private static string Fleet(string name, string mode, string agents, string consensus = "majority") => $"""
        apiVersion: aof.dev/v1
        kind: AgentFleet
        metadata: {"{"} name: {name} {"}"}
        spec:
          agents:
        {agents}
          coordination:
            mode: {mode}
            consensus:
              algorithm: {consensus}
        """;

    private static string System(StubRequest r) => r.Json!["messages"]![0]!["content"]!.ToString();
    private static string LastUser(StubRequest r) => r.Json!["messages"]!.AsArray().Last(m => (string?)m!["role"] == "user")!["content"]!.ToString();

    private static ExecutionRequest FleetRequest(string fleet) => ExecutionRequest.For(Envelope(fleet, kind: TargetKind.Fleet));

    [Fact]
    public async Task Peer_fleet_reaches_a_majority()
    {
        await using var llm = await StubHttpServer.StartAsync(r => StubResponse.Json(Wire.OpenAiText(System(r) switch
        {
            "reviewer a" => "APPROVE\nclean change",
            "reviewer b" => "approve.",
            _ => "REJECT\nneeds tests",
        })));
        var yaml = Agent("a", "reviewer a") + Agent("b", "reviewer b") + Agent("c", "reviewer c")
            + Fleet("review-board", "peer", "    - { name: a }\n    - { name: b }\n    - { name: c }");
        using var h = new AgentHarness(yaml, AgentHarness.OpenAiEnv(llm.Url));

        var result = await h.FleetExecutor.ExecuteAsync(FleetRequest("review-board"), CancellationToken.None);

        Assert.Equal(3, llm.Requests.Count);
        Assert.Contains(result.Output!, new[] { "APPROVE\nclean change", "approve." });
        // Every peer saw the same event prompt.
        Assert.All(llm.Requests, r => Assert.Contains("Pull request #42", LastUser(r)));
    }

    [Fact]
    public async Task Peer_fleet_without_a_majority_fails_retryably_and_says_how_the_votes_fell()
    {
        await using var llm = await StubHttpServer.StartAsync(r => StubResponse.Json(Wire.OpenAiText(System(r) == "reviewer a" ? "approve" : "reject")));
        var yaml = Agent("a", "reviewer a") + Agent("b", "reviewer b")
            + Fleet("split", "peer", "    - { name: a }\n    - { name: b }", consensus: "unanimous");
        using var h = new AgentHarness(yaml, AgentHarness.OpenAiEnv(llm.Url));

        var ex = await Assert.ThrowsAsync<ExecutionFailedException>(() => h.FleetExecutor.ExecuteAsync(FleetRequest("split"), CancellationToken.None));

        Assert.Contains("no unanimous consensus among 2 answers", ex.Message);
        Assert.Contains("'approve': 1", ex.Message);
    }

    [Fact]
    public async Task Weighted_consensus_follows_the_heavier_votes_and_replicas_each_vote()
    {
        await using var llm = await StubHttpServer.StartAsync(r => StubResponse.Json(Wire.OpenAiText(System(r) == "senior" ? "reject" : "approve")));
        var yaml = Agent("senior", "senior") + Agent("junior", "junior")
            + Fleet("weighted", "peer", "    - { name: senior, weight: 3 }\n    - { name: junior, replicas: 2 }", consensus: "weighted");
        using var h = new AgentHarness(yaml, AgentHarness.OpenAiEnv(llm.Url));

        var result = await h.FleetExecutor.ExecuteAsync(FleetRequest("weighted"), CancellationToken.None);

        Assert.Equal("reject", result.Output);
        Assert.Equal(3, llm.Requests.Count);
    }

    [Fact]
    public async Task Pipeline_fleet_feeds_each_answer_to_the_next_agent()
    {
        await using var llm = await StubHttpServer.StartAsync(r => StubResponse.Json(Wire.OpenAiText(System(r) switch
        {
            "summarize" => "SUMMARY(" + (LastUser(r).Contains("Fix it", StringComparison.Ordinal) ? "Fix it" : "?") + ")",
            _ => "REVIEW OF " + LastUser(r),
        })));
        var yaml = Agent("summarizer", "summarize") + Agent("reviewer", "review")
            + Fleet("two-step", "pipeline", "    - { name: summarizer }\n    - { name: reviewer }");
        using var h = new AgentHarness(yaml, AgentHarness.OpenAiEnv(llm.Url));

        var result = await h.FleetExecutor.ExecuteAsync(FleetRequest("two-step"), CancellationToken.None);

        Assert.Equal("REVIEW OF SUMMARY(Fix it)", result.Output);
        Assert.Equal(["summarize", "review"], llm.Requests.Select(System).ToArray());
    }

    [Fact]
    public async Task Hierarchical_manager_delegates_to_a_member_through_a_tool()
    {
        await using var llm = await StubHttpServer.StartAsync(r =>
        {
            var messages = r.Json!["messages"]!.AsArray();
            if (System(r) == "worker") return StubResponse.Json(Wire.OpenAiText("checked: " + LastUser(r)));
            var toolResult = messages.LastOrDefault(m => (string?)m!["role"] == "tool");
            return toolResult is null
                ? StubResponse.Json(Wire.OpenAiToolCall("delegate_to_checker", new JsonObject { ["task"] = "check the CI" }))
                : StubResponse.Json(Wire.OpenAiText("manager says " + toolResult["content"]!.ToString().Trim('"')));
        });
        var yaml = Agent("lead", "manager") + Agent("checker", "worker")
            + Fleet("team", "hierarchical", "    - { name: lead, role: manager }\n    - { name: checker }");
        using var h = new AgentHarness(yaml, AgentHarness.OpenAiEnv(llm.Url));

        var result = await h.FleetExecutor.ExecuteAsync(FleetRequest("team"), CancellationToken.None);

        Assert.Equal("manager says checked: check the CI", result.Output);
        var managerTools = llm.Requests[0].Json!["tools"]!.AsArray().Select(t => (string?)t!["function"]!["name"]).ToList();
        Assert.Equal(["delegate_to_checker"], managerTools);
    }

    [Fact]
    public async Task Tiered_fleet_passes_the_first_tier_findings_to_the_last_tier()
    {
        await using var llm = await StubHttpServer.StartAsync(r => StubResponse.Json(Wire.OpenAiText(System(r) switch
        {
            "collector one" => "finding-1",
            "collector two" => "finding-2",
            _ => LastUser(r).Contains("finding-1", StringComparison.Ordinal) && LastUser(r).Contains("finding-2", StringComparison.Ordinal) ? "decided on both" : "missing findings",
        })));
        var yaml = Agent("c1", "collector one") + Agent("c2", "collector two") + Agent("judge", "judge")
            + Fleet("tiers", "tiered", "    - { name: c1, tier: 1 }\n    - { name: c2, tier: 1 }\n    - { name: judge, tier: 2 }");
        using var h = new AgentHarness(yaml, AgentHarness.OpenAiEnv(llm.Url));

        var result = await h.FleetExecutor.ExecuteAsync(FleetRequest("tiers"), CancellationToken.None);

        Assert.Equal("decided on both", result.Output);
    }
}
