using Aof.Core.Resources;
using Aof.Runtime.Agents;
using Aof.Runtime.Fleets;
using Aof.Runtime.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Aof.Tests.Agents;

/// <summary>Bad agents and fleets are refused when the resources load, each error naming the resource and the culprit.</summary>
public sealed class AgentCatalogTests
{
    private const string Head = "apiVersion: aof.dev/v1\n";

    [Fact]
    public void Unknown_tool_is_a_load_time_error_naming_the_agent_and_the_tool()
    {
        var ex = AgentHarness.LoadErrors(Head + """
            kind: Agent
            metadata: { name: ops-bot }
            spec:
              model: openai:gpt-4o
              tools: [shell, teleport]
            """);

        var error = Assert.Single(ex.Errors);
        Assert.Equal("spec.tools[1]", error.Field);
        Assert.Contains("Agent 'ops-bot'", error.Message);
        Assert.Contains("unknown tool 'teleport'", error.Message);
        Assert.EndsWith("resources.yaml", error.File);
    }

    [Fact]
    public void Unknown_MCP_server_is_a_load_time_error_naming_the_agent_and_the_server()
    {
        var ex = AgentHarness.LoadErrors(Head + """
            kind: Agent
            metadata: { name: docs-bot }
            spec:
              model: anthropic:claude-sonnet-4-5
              mcp_servers:
                - name: filesystem
                  command: npx
                  args: ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"]
              tools:
                - mcp:filesystem
                - name: github
                  type: mcp
            """);

        var error = Assert.Single(ex.Errors);
        Assert.Equal("spec.tools[1]", error.Field);
        Assert.Contains("Agent 'docs-bot'", error.Message);
        Assert.Contains("MCP server 'github', which is not defined", error.Message);
    }

    [Fact]
    public void Unsupported_fleet_mode_and_unknown_member_are_load_time_errors()
    {
        var ex = AgentHarness.LoadErrors(Head + """
            kind: Agent
            metadata: { name: a }
            spec: { model: "openai:gpt-4o" }
            ---
            apiVersion: aof.dev/v1
            kind: AgentFleet
            metadata: { name: swarm }
            spec:
              agents:
                - name: a
                - name: ghost
              coordination:
                mode: swarm
            """);

        Assert.Equal(2, ex.Errors.Count);
        Assert.Contains(ex.Errors, e => e.Field == "spec.coordination.mode" && e.Message.Contains("AgentFleet 'swarm': unsupported coordination mode 'swarm'"));
        Assert.Contains(ex.Errors, e => e.Field == "spec.agents[1]" && e.Message.Contains("Agent 'ghost', which is not loaded"));
    }

    [Fact]
    public void Bad_model_and_unknown_provider_are_load_time_errors()
    {
        var ex = AgentHarness.LoadErrors(Head + """
            kind: Agent
            metadata: { name: nomodel }
            spec: { instructions: hi }
            ---
            apiVersion: aof.dev/v1
            kind: Agent
            metadata: { name: mystery }
            spec: { model: "cohere:command-r" }
            """);

        Assert.Contains(ex.Errors, e => e.Field == "spec.model" && e.Message.Contains("Agent 'nomodel': required"));
        Assert.Contains(ex.Errors, e => e.Field == "spec.model" && e.Message.Contains("Agent 'mystery': unknown provider 'cohere'"));
    }

    [Fact]
    public void A_good_tree_reads_providers_tools_and_fleets()
    {
        using var h = new AgentHarness(Head + """
            kind: Agent
            metadata: { name: k8s }
            spec:
              model: gemini:gemini-2.5-flash
              temperature: 0.2
              max_tokens: 800
              tools:
                - kubectl
                - name: http
                  allowed_hosts: [api.example.com, "*.internal"]
            ---
            apiVersion: aof.dev/v1
            kind: AgentFleet
            metadata: { name: team }
            spec:
              agents:
                - { name: boss, ref: k8s, role: manager }
                - name: helper
                  replicas: 2
                  spec: { model: "ollama:llama3.2" }
              coordination: { mode: hierarchical }
            """, new Dictionary<string, string>());

        var k8s = h.Agents.Agents["k8s"];
        Assert.Equal((ModelProviders.Google, "gemini-2.5-flash"), (k8s.Provider, k8s.Model));
        Assert.Equal(0.2f, k8s.Temperature);
        Assert.Equal(800, k8s.MaxTokens);
        Assert.Contains("get", k8s.Tools[0].AllowedCommands);
        Assert.DoesNotContain("delete", k8s.Tools[0].AllowedCommands);
        Assert.Equal(["api.example.com", "*.internal"], k8s.Tools[1].AllowedHosts);

        var team = h.Agents.Fleets["team"];
        Assert.Equal(FleetModes.Hierarchical, team.Mode);
        Assert.Equal("boss", team.Manager);
        Assert.Equal(2, team.Members[1].Replicas);
        Assert.Equal(ModelProviders.Ollama, h.Agents.Agents["team/helper"].Provider);
    }

    [Fact]
    public void AddAofAgents_checks_the_catalog_at_registration_and_registers_real_executors()
    {
        var dir = Path.Combine(Path.GetTempPath(), "aof-agents-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(dir);
        try
        {
            File.WriteAllText(Path.Combine(dir, "a.yaml"), Head + "kind: Agent\nmetadata: { name: bad }\nspec: { model: \"openai:x\", tools: [nope] }\n");
            var catalog = Aof.Core.Resources.Loading.ResourceLoader.Load([dir], _ => null);
            var ex = Assert.Throws<ResourceLoadException>(() => new ServiceCollection().AddSingleton(catalog).AddAofAgents());
            Assert.Contains("unknown tool 'nope'", ex.Message);

            using var sp = new ServiceCollection().AddSingleton(ResourceCatalog.Empty).AddAofAgents().BuildServiceProvider();
            var executors = sp.GetServices<Aof.Runtime.Execution.ITargetExecutor>().ToList();
            Assert.Contains(executors, e => e is AgentTargetExecutor);
            Assert.Contains(executors, e => e is FleetTargetExecutor);
        }
        finally
        {
            Infrastructure.LocalProcesses.DeleteDirectory(dir);
        }
    }
}
