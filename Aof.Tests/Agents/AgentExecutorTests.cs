using System.Text.Json.Nodes;
using Aof.Core.Events;
using Aof.Runtime.Agents;
using Aof.Runtime.Execution;
using Aof.Runtime.Replies;
using Aof.Tests.Agents.Stubs;
using static Aof.Tests.Runtime.RuntimeTestKit;

namespace Aof.Tests.Agents;

public sealed class AgentExecutorTests
{
    private const string GitHubToken = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";

    private static string AgentYaml(string tools = "", string extra = "") => $$"""
        apiVersion: aof.dev/v1
        kind: Agent
        metadata:
          name: pr-helper
        spec:
          model: openai:gpt-4o
          instructions: You review pull requests.
          max_iterations: 4
        {{extra}}
          tools:
            - name: shell
              config:
                allowed_commands: [echo]
                timeout_seconds: 10
        {{tools}}
        """;

    private static ExecutionRequest AgentRequest(string agent = "pr-helper") =>
        ExecutionRequest.For(Envelope(agent, kind: TargetKind.Agent));

    /// <summary>The tool results the model was sent back (role "tool" messages of the last request).</summary>
    private static List<string> ToolResults(StubRequest request) =>
        request.Json!["messages"]!.AsArray().Where(m => (string?)m!["role"] == "tool").Select(m => Unquote(m!["content"]!.ToString())).ToList();

    // Function results travel as JSON: a string result arrives as a JSON string literal.
    private static string Unquote(string content) =>
        content.StartsWith('"') ? System.Text.Json.JsonSerializer.Deserialize<string>(content)! : content;

    [Fact]
    public async Task Agent_calls_shell_then_answers_and_the_answer_is_posted_as_a_PR_comment()
    {
        var calls = 0;
        await using var llm = await StubHttpServer.StartAsync(req => Interlocked.Increment(ref calls) switch
        {
            1 => StubResponse.Json(Wire.OpenAiToolCall("shell", new JsonObject { ["command"] = "echo hello-from-shell" })),
            _ => StubResponse.Json(Wire.OpenAiText("LGTM. The shell said: " + ToolResults(req).Single().Split('\n')[0])),
        });
        await using var github = await StubHttpServer.StartAsync(req =>
            req.Method == "POST" && req.Path.EndsWith("/repos/myorg/myrepo/issues/42/comments", StringComparison.Ordinal)
                ? StubResponse.Json(Wire.GitHubComment("myorg/myrepo", 42, (string)req.Json!["body"]!), 201)
                : StubResponse.Error(404, """{"message":"Not Found"}"""));
        using var h = new AgentHarness(AgentYaml(), AgentHarness.OpenAiEnv(llm.Url),
            new ReplyOptions { GitHubToken = GitHubToken, GitHubApiUrl = github.Url });

        var result = await h.AgentExecutor.ExecuteAsync(AgentRequest(), CancellationToken.None);

        Assert.Equal("LGTM. The shell said: hello-from-shell", result.Output);

        // The model got the instructions, the event's prompt and the shell tool; then the tool's real output.
        var first = llm.Requests[0].Json!;
        Assert.Equal("gpt-4o", (string?)first["model"]);
        Assert.Equal("Bearer " + AgentHarness.OpenAiKey, llm.Requests[0].Header("authorization"));
        var messages = first["messages"]!.AsArray();
        Assert.Equal("You review pull requests.", messages[0]!["content"]!.ToString());
        var prompt = messages[1]!["content"]!.ToString();
        Assert.Contains("Pull request #42: Fix it", prompt);
        Assert.Contains("Repository: myorg/myrepo", prompt);
        Assert.Contains("Arguments: fast please", prompt);
        Assert.Equal("shell", (string?)first["tools"]![0]!["function"]!["name"]);
        Assert.Contains("hello-from-shell", ToolResults(llm.Requests[1]).Single());
        Assert.Contains("[exit code 0]", ToolResults(llm.Requests[1]).Single());

        // The answer went to the PR as a comment, with the token.
        var post = Assert.Single(github.Requests);
        Assert.Equal("POST", post.Method);
        Assert.EndsWith("/repos/myorg/myrepo/issues/42/comments", post.Path);
        Assert.Equal("LGTM. The shell said: hello-from-shell", (string?)post.Json!["body"]);
        Assert.Contains(GitHubToken, post.Header("authorization"));
    }

    [Fact]
    public async Task A_tool_the_agent_does_not_list_and_a_command_outside_the_allow_list_are_refused()
    {
        var marker = Path.Combine(Path.GetTempPath(), "aof-refused-" + Guid.NewGuid().ToString("N"));
        var calls = 0;
        await using var llm = await StubHttpServer.StartAsync(req => Interlocked.Increment(ref calls) switch
        {
            1 => StubResponse.Json(Wire.OpenAiToolCall("http", new JsonObject { ["url"] = "http://127.0.0.1:9/" })),
            2 => StubResponse.Json(Wire.OpenAiToolCall("shell", new JsonObject { ["command"] = $"touch {marker}" })),
            3 => StubResponse.Json(Wire.OpenAiToolCall("shell", new JsonObject { ["command"] = $"echo x; touch {marker}" })),
            _ => StubResponse.Json(Wire.OpenAiText("gave up")),
        });
        using var h = new AgentHarness(AgentYaml(), AgentHarness.OpenAiEnv(llm.Url));

        var result = await h.AgentExecutor.ExecuteAsync(AgentRequest(), CancellationToken.None);

        Assert.Equal("gave up", result.Output);
        Assert.False(File.Exists(marker));
        // Only the listed tool was offered, and the unlisted one was answered with an error, not run.
        Assert.Single(llm.Requests[0].Json!["tools"]!.AsArray());
        Assert.Contains("not found", ToolResults(llm.Requests[1]).Single(), StringComparison.OrdinalIgnoreCase);
        Assert.StartsWith("refused: command 'touch' is not allowed", ToolResults(llm.Requests[2]).Last());
        // "echo x; touch ..." is echo with literal arguments: no shell ever sees the ';'.
        Assert.StartsWith("x; touch " + marker, ToolResults(llm.Requests[3]).Last());
    }

    [Fact]
    public async Task Model_calling_tools_past_max_iterations_fails_permanently_with_that_reason()
    {
        await using var llm = await StubHttpServer.StartAsync(_ =>
            StubResponse.Json(Wire.OpenAiToolCall("shell", new JsonObject { ["command"] = "echo again" })));
        using var h = new AgentHarness(AgentYaml(), AgentHarness.OpenAiEnv(llm.Url));

        var ex = await Assert.ThrowsAsync<PermanentExecutionException>(() => h.AgentExecutor.ExecuteAsync(AgentRequest(), CancellationToken.None));

        Assert.Equal(AgentDeadLetterReasons.MaxIterations, ex.Reason);
        Assert.Contains("exceeded max_iterations (4)", ex.Message);
        Assert.Equal(4, llm.Requests.Count);
    }

    [Fact]
    public async Task A_model_without_a_key_fails_with_a_clear_permanent_error_and_no_request()
    {
        await using var llm = await StubHttpServer.StartAsync(_ => StubResponse.Json(Wire.OpenAiText("never")));
        using var h = new AgentHarness(AgentYaml(), new Dictionary<string, string> { ["OPENAI_BASE_URL"] = llm.Url + "v1" });

        var ex = await Assert.ThrowsAsync<PermanentExecutionException>(() => h.AgentExecutor.ExecuteAsync(AgentRequest(), CancellationToken.None));

        Assert.Equal(AgentDeadLetterReasons.ProviderAuth, ex.Reason);
        Assert.Contains("set OPENAI_API_KEY", ex.Message);
        Assert.Empty(llm.Requests);
    }

    [Fact]
    public async Task Provider_401_is_not_retried_and_is_permanent()
    {
        await using var llm = await StubHttpServer.StartAsync(_ =>
            StubResponse.Error(401, """{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}}"""));
        using var h = new AgentHarness(AgentYaml(), AgentHarness.OpenAiEnv(llm.Url));

        var ex = await Assert.ThrowsAsync<PermanentExecutionException>(() => h.AgentExecutor.ExecuteAsync(AgentRequest(), CancellationToken.None));

        Assert.Equal(AgentDeadLetterReasons.ProviderAuth, ex.Reason);
        Assert.Contains("openai rejected the credentials (401", ex.Message);
        Assert.DoesNotContain(AgentHarness.OpenAiKey, ex.Message);
        Assert.Single(llm.Requests);
    }

    [Fact]
    public async Task Provider_429_is_retried_inside_the_step_honouring_Retry_After()
    {
        var calls = 0;
        await using var llm = await StubHttpServer.StartAsync(_ => Interlocked.Increment(ref calls) == 1
            ? StubResponse.Error(429, """{"error":{"message":"Rate limit reached","type":"requests"}}""", ("Retry-After", "1"))
            : StubResponse.Json(Wire.OpenAiText("after the wait")));
        using var h = new AgentHarness(AgentYaml(), AgentHarness.OpenAiEnv(llm.Url));

        var started = System.Diagnostics.Stopwatch.StartNew();
        var result = await h.AgentExecutor.ExecuteAsync(AgentRequest(), CancellationToken.None);

        Assert.Equal("after the wait", result.Output);
        Assert.Equal(2, llm.Requests.Count);
        // The backoff alone is 20-100 ms here; waiting at least the second Retry-After asked for shows it was honoured.
        Assert.True(started.Elapsed >= TimeSpan.FromMilliseconds(950), $"retried after {started.Elapsed.TotalMilliseconds:0} ms");
    }

    [Fact]
    public async Task Provider_5xx_past_the_in_step_retries_is_a_retryable_failure()
    {
        await using var llm = await StubHttpServer.StartAsync(_ => StubResponse.Error(503, """{"error":{"message":"overloaded"}}"""));
        using var h = new AgentHarness(AgentYaml(), AgentHarness.OpenAiEnv(llm.Url), providerRetries: 2);

        var ex = await Assert.ThrowsAsync<ExecutionFailedException>(() => h.AgentExecutor.ExecuteAsync(AgentRequest(), CancellationToken.None));

        Assert.Contains("openai answered 503", ex.Message);
        Assert.Equal(3, llm.Requests.Count); // the first try and two retries
    }

    [Fact]
    public async Task Anthropic_messages_with_tool_use_then_text()
    {
        var calls = 0;
        await using var llm = await StubHttpServer.StartAsync(req => Interlocked.Increment(ref calls) switch
        {
            1 => StubResponse.Json(Wire.AnthropicToolUse("shell", new JsonObject { ["command"] = "echo from-claude" })),
            _ => StubResponse.Json(Wire.AnthropicText("claude saw " + (req.Body.Contains("from-claude", StringComparison.Ordinal) ? "the output" : "nothing"))),
        });
        var yaml = AgentYaml().Replace("openai:gpt-4o", "anthropic:claude-sonnet-4-5");
        using var h = new AgentHarness(yaml, new Dictionary<string, string>
        {
            ["ANTHROPIC_API_KEY"] = "sk-ant-test-0123456789abcdef",
            ["ANTHROPIC_BASE_URL"] = llm.Url.TrimEnd('/'),
        });

        var result = await h.AgentExecutor.ExecuteAsync(AgentRequest(), CancellationToken.None);

        Assert.Equal("claude saw the output", result.Output);
        Assert.All(llm.Requests, r => Assert.EndsWith("/v1/messages", r.Path));
        // The SDK sends the key as x-api-key or (newer versions) as a bearer token.
        Assert.Contains("sk-ant-test-0123456789abcdef", llm.Requests[0].Header("x-api-key") ?? llm.Requests[0].Header("authorization"));
        Assert.NotNull(llm.Requests[0].Header("anthropic-version"));
        Assert.Equal("claude-sonnet-4-5", (string?)llm.Requests[0].Json!["model"]);
        Assert.Equal("You review pull requests.", llm.Requests[0].Json!["system"] is JsonArray sys ? (string?)sys[0]!["text"] : llm.Requests[0].Json!["system"]!.ToString());
    }

    [Fact]
    public async Task Output_schema_retry_asks_the_model_again_and_stores_the_valid_json()
    {
        var calls = 0;
        await using var llm = await StubHttpServer.StartAsync(_ => Interlocked.Increment(ref calls) switch
        {
            1 => StubResponse.Json(Wire.OpenAiText("""{"verdict":"maybe"}""")),
            _ => StubResponse.Json(Wire.OpenAiText("```json\n{\"verdict\":\"approve\",\"score\":9}\n```")),
        });
        var extra = """
              on_schema_failure: retry
              output_schema:
                type: object
                required: [verdict]
                properties:
                  verdict: { type: string, enum: [approve, reject] }
                  score: { type: integer }
            """;
        using var h = new AgentHarness(AgentYaml(extra: extra), AgentHarness.OpenAiEnv(llm.Url));

        var result = await h.AgentExecutor.ExecuteAsync(AgentRequest(), CancellationToken.None);

        Assert.Equal("""{"verdict":"approve","score":9}""", result.Output);
        Assert.Equal("json_schema", (string?)llm.Requests[0].Json!["response_format"]!["type"]);
        Assert.Contains("does not match the required JSON schema", llm.Requests[1].Body);
    }

    [Fact]
    public async Task Output_schema_fail_dead_letters_as_invalid_output()
    {
        await using var llm = await StubHttpServer.StartAsync(_ => StubResponse.Json(Wire.OpenAiText("not json at all")));
        var extra = """
              output_schema:
                type: object
            """;
        using var h = new AgentHarness(AgentYaml(extra: extra), AgentHarness.OpenAiEnv(llm.Url));

        var ex = await Assert.ThrowsAsync<PermanentExecutionException>(() => h.AgentExecutor.ExecuteAsync(AgentRequest(), CancellationToken.None));

        Assert.Equal(AgentDeadLetterReasons.InvalidOutput, ex.Reason);
        Assert.Contains("the answer is not JSON", ex.Message);
    }

    [Fact]
    public async Task Secrets_in_the_answer_are_redacted_from_the_record_and_the_reply()
    {
        await using var llm = await StubHttpServer.StartAsync(_ =>
            StubResponse.Json(Wire.OpenAiText($"the key is {AgentHarness.OpenAiKey} and a token ghp_ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210")));
        await using var github = await StubHttpServer.StartAsync(req => StubResponse.Json(Wire.GitHubComment("myorg/myrepo", 42, "x"), 201));
        using var h = new AgentHarness(AgentYaml(), AgentHarness.OpenAiEnv(llm.Url),
            new ReplyOptions { GitHubToken = GitHubToken, GitHubApiUrl = github.Url });

        var result = await h.AgentExecutor.ExecuteAsync(AgentRequest(), CancellationToken.None);

        Assert.Equal("the key is [REDACTED] and a token [REDACTED]", result.Output);
        Assert.Equal(result.Output, (string?)Assert.Single(github.Requests).Json!["body"]);
    }

    [Fact]
    public async Task Model_and_tool_calls_are_traced_as_spans_of_the_Aof_source()
    {
        var spans = new System.Collections.Concurrent.ConcurrentBag<string>();
        using var listener = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = s => s.Name == Aof.Core.Telemetry.AofTelemetry.SourceName,
            Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => System.Diagnostics.ActivitySamplingResult.AllData,
            ActivityStopped = a => spans.Add(a.DisplayName),
        };
        System.Diagnostics.ActivitySource.AddActivityListener(listener);
        var calls = 0;
        await using var llm = await StubHttpServer.StartAsync(_ => Interlocked.Increment(ref calls) == 1
            ? StubResponse.Json(Wire.OpenAiToolCall("shell", new JsonObject { ["command"] = "echo traced" }))
            : StubResponse.Json(Wire.OpenAiText("done")));
        using var h = new AgentHarness(AgentYaml(), AgentHarness.OpenAiEnv(llm.Url));

        await h.AgentExecutor.ExecuteAsync(AgentRequest(), CancellationToken.None);

        Assert.Contains(spans, s => s.StartsWith("chat gpt-4o", StringComparison.Ordinal));
        Assert.Contains(spans, s => s == "execute_tool shell");
    }
}
