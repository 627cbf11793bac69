using System.Text.Json.Nodes;
using Aof.Core.Events;
using Aof.Runtime.Agents;
using Aof.Runtime.Agents.Tools;
using Aof.Runtime.Execution;
using Aof.Tests.Agents.Stubs;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging.Abstractions;
using static Aof.Tests.Runtime.RuntimeTestKit;

namespace Aof.Tests.Agents;

public sealed class ToolTests
{
    private static AgentDefinition Agent(params ToolSpec[] tools) => new() { Name = "t", Provider = ModelProviders.OpenAI, Model = "m", Tools = tools };

    private static async Task<string> InvokeAsync(AgentDefinition agent, string tool, params (string Name, object? Value)[] args)
    {
        using var http = new HttpClient();
        await using var set = await AgentToolset.CreateAsync(agent, http, s => s.Replace("s3cr3t-value-123", "[REDACTED]"), NullLoggerFactory.Instance, CancellationToken.None);
        var function = set.Functions.Single(f => f.Name == tool);
        var arguments = new AIFunctionArguments();
        foreach (var (n, v) in args) arguments[n] = v;
        return (await function.InvokeAsync(arguments, CancellationToken.None))!.ToString()!;
    }

    [Fact]
    public void Command_lines_are_split_without_any_shell_interpretation()
    {
        Assert.Equal(["echo", "a b", "c d", "$HOME;", "|", ">", "x", "`id`"],
            ArgumentSplitter.Split("""echo "a b" 'c d' $HOME; | > x `id`"""));
        Assert.Throws<ArgumentException>(() => ArgumentSplitter.Split("echo 'open"));
    }

    [Fact]
    public async Task Shell_output_is_capped_and_secrets_in_it_are_redacted()
    {
        var agent = Agent(new ToolSpec { Name = "shell", Kind = ToolKind.Shell, AllowedCommands = ["seq", "echo"], MaxOutputBytes = 100 });

        var capped = await InvokeAsync(agent, "shell", ("command", "seq 1 100000"));
        Assert.Contains("[output truncated at 100 bytes]", capped);
        Assert.True(capped.Length < 200, capped);

        Assert.StartsWith("token=[REDACTED]", await InvokeAsync(agent, "shell", ("command", "echo token=s3cr3t-value-123")));
    }

    [Fact]
    public async Task Shell_runs_in_its_working_directory_and_is_killed_at_its_timeout()
    {
        var dir = Directory.CreateTempSubdirectory("aof-tool-").FullName;
        try
        {
            var agent = Agent(new ToolSpec { Name = "shell", Kind = ToolKind.Shell, AllowedCommands = ["pwd", "sleep"], WorkingDirectory = dir, Timeout = TimeSpan.FromSeconds(1) });

            Assert.StartsWith(dir, await InvokeAsync(agent, "shell", ("command", "pwd")));
            var slept = await InvokeAsync(agent, "shell", ("command", "sleep 30")).WaitAsync(TimeSpan.FromSeconds(15));
            Assert.Contains("[killed: timed out after 1s]", slept);
        }
        finally
        {
            Infrastructure.LocalProcesses.DeleteDirectory(dir);
        }
    }

    [Fact]
    public async Task Kubectl_style_tool_allows_only_its_listed_sub_commands()
    {
        // "echo" stands in for the kubectl binary, so the test shows exactly which arguments it would get.
        var agent = Agent(new ToolSpec { Name = "kubectl", Kind = ToolKind.Command, Executable = "echo", AllowedCommands = BuiltinTools.DefaultAllowed("kubectl") });

        Assert.StartsWith("get pods -n prod", await InvokeAsync(agent, "kubectl", ("args", "get pods -n prod")));
        Assert.StartsWith("refused: 'kubectl -n' is not allowed", await InvokeAsync(agent, "kubectl", ("args", "-n prod delete pod x")));
        Assert.StartsWith("refused: 'kubectl delete' is not allowed", await InvokeAsync(agent, "kubectl", ("args", "delete pod web-1")));
    }

    [Fact]
    public async Task Http_tool_reaches_allowed_hosts_only_and_allowed_methods_only()
    {
        await using var api = await StubHttpServer.StartAsync(_ => StubResponse.Json(new JsonObject { ["status"] = "green" }));
        var agent = Agent(new ToolSpec { Name = "http", Kind = ToolKind.Http, AllowedHosts = ["127.0.0.1"] });

        var ok = await InvokeAsync(agent, "http", ("url", api.Url + "health"), ("method", null), ("body", null));
        Assert.Equal("HTTP 200 OK\n{\"status\":\"green\"}", ok);
        var otherHost = await InvokeAsync(agent, "http", ("url", api.Url.Replace("127.0.0.1", "localhost") + "health"), ("method", null), ("body", null));
        Assert.StartsWith("refused: host 'localhost' is not allowed", otherHost);
        var post = await InvokeAsync(agent, "http", ("url", api.Url + "deploy"), ("method", "POST"), ("body", "{}"));
        Assert.StartsWith("refused: method POST is not allowed", post);
        Assert.Single(api.Requests);
    }

    [Fact]
    public async Task Agent_uses_the_tools_of_an_MCP_server_over_HTTP()
    {
        await using var mcp = await StubHttpServer.StartAsync(McpServer);
        var calls = 0;
        await using var llm = await StubHttpServer.StartAsync(r => Interlocked.Increment(ref calls) switch
        {
            1 => StubResponse.Json(Wire.OpenAiToolCall("search_docs", new JsonObject { ["query"] = "rollback" })),
            _ => StubResponse.Json(Wire.OpenAiText(r.Body.Contains("docs say: rollback with helm", StringComparison.Ordinal) ? "use helm rollback" : "no docs")),
        });
        var yaml = $"""
            apiVersion: aof.dev/v1
            kind: Agent
            metadata: {"{"} name: docs-bot {"}"}
            spec:
              model: openai:gpt-4o
              mcp_servers:
                - name: docs
                  transport: http
                  url: {mcp.Url}mcp
              tools: [ "mcp:docs" ]
            """;
        using var h = new AgentHarness(yaml, AgentHarness.OpenAiEnv(llm.Url));

        var result = await h.AgentExecutor.ExecuteAsync(ExecutionRequest.For(Envelope("docs-bot", kind: TargetKind.Agent)), CancellationToken.None);

        Assert.Equal("use helm rollback", result.Output);
        Assert.Equal("search_docs", (string?)llm.Requests[0].Json!["tools"]![0]!["function"]!["name"]);
        Assert.Contains(mcp.Requests, r => r.Body.Contains("\"tools/call\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Agent_uses_the_tools_of_an_MCP_server_over_stdio()
    {
        var dir = Directory.CreateTempSubdirectory("aof-mcp-").FullName;
        try
        {
            var script = Path.Combine(dir, "server.sh");
            await File.WriteAllTextAsync(script, StdioMcpServer);
            var calls = 0;
            await using var llm = await StubHttpServer.StartAsync(r => Interlocked.Increment(ref calls) switch
            {
                1 => StubResponse.Json(Wire.OpenAiToolCall("whoami_server", new JsonObject())),
                _ => StubResponse.Json(Wire.OpenAiText(r.Body.Contains("served over stdio", StringComparison.Ordinal) ? "stdio works" : "no answer")),
            });
            var yaml = $"""
                apiVersion: aof.dev/v1
                kind: Agent
                metadata: {"{"} name: local-bot {"}"}
                spec:
                  model: openai:gpt-4o
                  mcp_servers:
                    - name: local
                      command: bash
                      args: ["{script}"]
                  tools: [ "mcp:local" ]
                """;
            using var h = new AgentHarness(yaml, AgentHarness.OpenAiEnv(llm.Url));

            var result = await h.AgentExecutor.ExecuteAsync(ExecutionRequest.For(Envelope("local-bot", kind: TargetKind.Agent)), CancellationToken.None)
                .WaitAsync(TimeSpan.FromSeconds(60));

            Assert.Equal("stdio works", result.Output);
        }
        finally
        {
            Infrastructure.LocalProcesses.DeleteDirectory(dir);
        }
    }

    /// <summary>A newline-delimited JSON-RPC MCP server in bash: initialize, tools/list, tools/call; "method not found" for the rest.</summary>
    private const string StdioMcpServer = """
        while IFS= read -r line; do
          id=$(printf '%s' "$line" | sed -n 's/.*"id":\([^,}]*\).*/\1/p')
          method=$(printf '%s' "$line" | sed -n 's/.*"method":"\([^"]*\)".*/\1/p')
          [ -z "$id" ] && continue
          case "$method" in
            initialize)
              ver=$(printf '%s' "$line" | sed -n 's/.*"protocolVersion":"\([^"]*\)".*/\1/p')
              printf '{"jsonrpc":"2.0","id":%s,"result":{"protocolVersion":"%s","capabilities":{"tools":{}},"serverInfo":{"name":"stdio-stub","version":"1.0.0"}}}\n' "$id" "$ver" ;;
            tools/list)
              printf '{"jsonrpc":"2.0","id":%s,"result":{"tools":[{"name":"whoami_server","description":"Say who serves","inputSchema":{"type":"object","properties":{}}}]}}\n' "$id" ;;
            tools/call)
              printf '{"jsonrpc":"2.0","id":%s,"result":{"content":[{"type":"text","text":"served over stdio"}],"isError":false}}\n' "$id" ;;
            *)
              printf '{"jsonrpc":"2.0","id":%s,"error":{"code":-32601,"message":"Method not found"}}\n' "$id" ;;
          esac
        done
        """;

    /// <summary>An MCP server speaking JSON-RPC over streamable HTTP (JSON responses), with one tool.</summary>
    private static StubResponse McpServer(StubRequest r)
    {
        if (r.Method != "POST") return StubResponse.Error(405, "");
        var msg = r.Json!.AsObject();
        if (msg["id"] is null) return new StubResponse(202, "");
        var id = msg["id"]!.DeepClone();
        JsonNode? result = (string?)msg["method"] switch
        {
            "initialize" => new JsonObject
            {
                ["protocolVersion"] = msg["params"]!["protocolVersion"]!.DeepClone(),
                ["capabilities"] = new JsonObject { ["tools"] = new JsonObject() },
                ["serverInfo"] = new JsonObject { ["name"] = "docs-stub", ["version"] = "1.0.0" },
            },
            "tools/list" => new JsonObject
            {
                ["tools"] = new JsonArray(new JsonObject
                {
                    ["name"] = "search_docs",
                    ["description"] = "Search the runbooks",
                    ["inputSchema"] = JsonNode.Parse("""{"type":"object","properties":{"query":{"type":"string"}},"required":["query"]}"""),
                }),
            },
            "tools/call" => new JsonObject
            {
                ["content"] = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = $"docs say: {msg["params"]!["arguments"]!["query"]} with helm" }),
                ["isError"] = false,
            },
            _ => null,
        };
        // Anything else (server/discover of newer revisions included) gets "method not found", as from a server
        // that only speaks the initialize handshake; the client then falls back to it.
        return result is null
            ? StubResponse.Json(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id, ["error"] = new JsonObject { ["code"] = -32601, ["message"] = "Method not found" } })
            : StubResponse.Json(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id, ["result"] = result });
    }
}
