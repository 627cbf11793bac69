using System.Text.Json.Nodes;
using Aof.Core.Events;
using Aof.Runtime.Agents.Providers;
using Aof.Runtime.Execution;
using Aof.Tests.Agents.Stubs;
using static Aof.Tests.Runtime.RuntimeTestKit;

namespace Aof.Tests.Agents;

/// <summary>Google (OpenAI-compatible endpoint) and Ollama (its /api/chat) reached through the variables AOF uses.</summary>
public sealed class ProviderTests
{
    private static string Yaml(string model) => $"""
        apiVersion: aof.dev/v1
        kind: Agent
        metadata: {"{"} name: a {"}"}
        spec:
          model: "{model}"
        """;

    private static ExecutionRequest Request() => ExecutionRequest.For(Envelope("a", kind: TargetKind.Agent));

    [Fact]
    public async Task Google_goes_through_its_OpenAI_compatible_endpoint_with_GOOGLE_API_KEY()
    {
        await using var llm = await StubHttpServer.StartAsync(_ => StubResponse.Json(Wire.OpenAiText("gemini here")));
        using var h = new AgentHarness(Yaml("gemini:gemini-2.5-flash"), new Dictionary<string, string>
        {
            ["GOOGLE_API_KEY"] = "AIzaTestKey0123456789abcdefghijklmnopq",
            ["GOOGLE_BASE_URL"] = llm.Url + "v1beta/openai/",
        });

        var result = await h.AgentExecutor.ExecuteAsync(Request(), CancellationToken.None);

        Assert.Equal("gemini here", result.Output);
        var request = Assert.Single(llm.Requests);
        Assert.Equal("/v1beta/openai/chat/completions", request.Path);
        Assert.Equal("Bearer AIzaTestKey0123456789abcdefghijklmnopq", request.Header("authorization"));
        Assert.Equal("gemini-2.5-flash", (string?)request.Json!["model"]);
    }

    [Fact]
    public async Task Ollama_is_found_through_OLLAMA_HOST_written_without_a_scheme_and_needs_no_key()
    {
        // One JSON object with done=true: a whole answer for a non-streaming call, the only line of a streaming one.
        await using var llm = await StubHttpServer.StartAsync(r => r.Path == "/api/chat"
            ? StubResponse.Json(new JsonObject
            {
                ["model"] = "llama3.2",
                ["created_at"] = "2026-01-15T10:30:00Z",
                ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = "local answer" },
                ["done"] = true,
                ["done_reason"] = "stop",
            })
            : StubResponse.Error(404, """{"error":"not found"}"""));
        using var h = new AgentHarness(Yaml("ollama:llama3.2"), new Dictionary<string, string>
        {
            ["OLLAMA_HOST"] = llm.Url.Replace("http://", "").TrimEnd('/'),
        });

        var result = await h.AgentExecutor.ExecuteAsync(Request(), CancellationToken.None);

        Assert.Equal("local answer", result.Output);
        Assert.Equal("llama3.2", (string?)Assert.Single(llm.Requests).Json!["model"]);
    }

    [Fact]
    public void Endpoints_follow_the_environment()
    {
        var env = new Dictionary<string, string> { ["OPENAI_BASE_URL"] = "http://vllm:8000/v1", ["OPENAI_API_KEY"] = "k" };
        var options = new ProviderOptions { Environment = n => env.TryGetValue(n, out var v) ? v : null };

        Assert.Equal(new ProviderEndpoint("openai", "http://vllm:8000/v1", "k", "OPENAI_API_KEY"), options.Resolve("openai"));
        Assert.Equal(ProviderOptions.DefaultOllamaUrl, options.Resolve("ollama").BaseUrl);
        Assert.Null(options.Resolve("anthropic").ApiKey);
    }
}
