using System.Text;
using System.Text.Json.Nodes;
using Aof.Core.Events;
using Aof.Core.Executions;
using Aof.Core.Queue;
using Aof.Runtime.Agents;
using Aof.Runtime.Execution;
using Aof.Runtime.Replies;
using Aof.Tests.Agents.Stubs;
using Aof.Tests.Runtime;
using static Aof.Tests.Runtime.RuntimeTestKit;

namespace Aof.Tests.Agents;

/// <summary>Replies to Slack and GitHub, their failures, and how agent failures travel through the worker loop.</summary>
public sealed class RepliesAndRetriesTests
{
    internal const string Yaml = """
        apiVersion: aof.dev/v1
        kind: Agent
        metadata: { name: helper }
        spec:
          model: openai:gpt-4o
          instructions: help
        """;

    private const string SlackPayload =
        """{"type":"event_callback","event":{"type":"app_mention","channel":"C0123","user":"U42","text":"<@bot> why is the deploy red?","ts":"1767225600.000100","thread_ts":"1767225500.000001"}}""";

    private static EventEnvelope SlackEnvelope() => new()
    {
        Id = Ulid.NewUlid(),
        Timestamp = DateTimeOffset.UtcNow,
        Platform = "slack",
        EventType = "app_mention",
        TriggerName = "slack-bot",
        Target = new EventTarget(TargetKind.Agent, "helper"),
        Payload = Encoding.UTF8.GetBytes(SlackPayload),
    };

    [Fact]
    public async Task Slack_event_gets_the_answer_in_its_thread_via_chat_postMessage()
    {
        await using var llm = await StubHttpServer.StartAsync(r =>
            StubResponse.Json(Wire.OpenAiText(r.Body.Contains("why is the deploy red?", StringComparison.Ordinal) ? "the deploy is red because of X" : "no question seen")));
        await using var slack = await StubHttpServer.StartAsync(r => r.Path == "/api/chat.postMessage"
            ? StubResponse.Json(Wire.SlackPosted("C0123"))
            : StubResponse.Json(new JsonObject { ["ok"] = false, ["error"] = "unknown_method" }));
        using var h = new AgentHarness(Yaml, AgentHarness.OpenAiEnv(llm.Url),
            new ReplyOptions { SlackBotToken = "xoxb-test-0123456789", SlackApiUrl = slack.Url + "api/" });

        var result = await h.AgentExecutor.ExecuteAsync(ExecutionRequest.For(SlackEnvelope()), CancellationToken.None);

        Assert.Equal("the deploy is red because of X", result.Output);
        var post = Assert.Single(slack.Requests);
        Assert.Equal("Bearer xoxb-test-0123456789", post.Header("authorization"));
        Assert.Equal("C0123", (string?)post.Json!["channel"]);
        Assert.Equal("1767225500.000001", (string?)post.Json!["thread_ts"]);
        Assert.Equal("the deploy is red because of X", (string?)post.Json!["text"]);
    }

    [Fact]
    public async Task GitHub_5xx_on_reply_is_retried_inside_the_step()
    {
        var posts = 0;
        await using var llm = await StubHttpServer.StartAsync(_ => StubResponse.Json(Wire.OpenAiText("answer")));
        await using var github = await StubHttpServer.StartAsync(_ => Interlocked.Increment(ref posts) == 1
            ? StubResponse.Error(502, """{"message":"Server Error"}""")
            : StubResponse.Json(Wire.GitHubComment("myorg/myrepo", 42, "answer"), 201));
        using var h = new AgentHarness(Yaml, AgentHarness.OpenAiEnv(llm.Url),
            new ReplyOptions { GitHubToken = "ghp_test0123456789abcdefghijklmnopqrstu", GitHubApiUrl = github.Url, RetryBaseDelay = TimeSpan.FromMilliseconds(10) });

        var result = await h.AgentExecutor.ExecuteAsync(ExecutionRequest.For(Envelope("helper", kind: TargetKind.Agent)), CancellationToken.None);

        Assert.Equal("answer", result.Output);
        Assert.Equal(2, github.Requests.Count);
        Assert.Single(llm.Requests); // the agent ran once; only the reply was tried again
    }

    [Fact]
    public async Task A_reply_that_keeps_failing_fails_the_step_and_the_record_keeps_the_answer()
    {
        await using var llm = await StubHttpServer.StartAsync(_ => StubResponse.Json(Wire.OpenAiText("the precious answer")));
        await using var github = await StubHttpServer.StartAsync(_ => StubResponse.Error(503, """{"message":"unavailable"}"""));
        var replies = new ReplyOptions { GitHubToken = "ghp_test0123456789abcdefghijklmnopqrstu", GitHubApiUrl = github.Url, RetryBaseDelay = TimeSpan.FromMilliseconds(10), MaxAttempts = 2 };
        using var h = new AgentHarness(Yaml, AgentHarness.OpenAiEnv(llm.Url), replies);
        await using var worker = new ProcessorHarness(ProcessorHarness.DefaultOptions(), h.Catalog, extraExecutors: [h.AgentExecutor]);
        await worker.StartAsync();

        var id = await worker.PublishAsync(Envelope("helper", kind: TargetKind.Agent), maxRetries: 1);
        var record = await worker.WaitForStatusAsync(id, ExecutionStatus.DeadLettered);

        Assert.Equal(DeadLetterReasons.MaxRetriesExceeded, record.DeadLetterReason);
        Assert.Contains("the reply failed: GitHub answered 503", record.Error);
        Assert.Contains("Answer: the precious answer", record.Error);
        Assert.Equal(4, github.Requests.Count); // two tries per attempt, two attempts (the message's retry policy)
    }

    [Fact]
    public async Task Provider_401_through_the_worker_is_dead_lettered_at_once_with_a_clear_reason()
    {
        await using var llm = await StubHttpServer.StartAsync(_ => StubResponse.Error(401, """{"error":{"message":"Incorrect API key provided"}}"""));
        using var h = new AgentHarness(Yaml, AgentHarness.OpenAiEnv(llm.Url));
        await using var worker = new ProcessorHarness(ProcessorHarness.DefaultOptions(), h.Catalog, extraExecutors: [h.AgentExecutor]);
        await worker.StartAsync();

        var id = await worker.PublishAsync(Envelope("helper", kind: TargetKind.Agent), maxRetries: 3);
        var record = await worker.WaitForStatusAsync(id, ExecutionStatus.DeadLettered);

        Assert.Equal(AgentDeadLetterReasons.ProviderAuth, record.DeadLetterReason);
        Assert.Contains("openai rejected the credentials (401", record.Error);
        Assert.Contains("Incorrect API key provided", record.Error);
        Assert.Equal(1, record.Attempts);
        Assert.Single(llm.Requests);
        var dead = Assert.Single(await worker.Queue.DeadLetters.ListAsync(0, 10, CancellationToken.None));
        Assert.Equal(AgentDeadLetterReasons.ProviderAuth, dead.Reason);
    }

    [Fact]
    public async Task Provider_5xx_through_the_worker_is_retried_by_the_message_policy_then_dead_lettered()
    {
        await using var llm = await StubHttpServer.StartAsync(_ => StubResponse.Error(500, """{"error":{"message":"boom"}}"""));
        using var h = new AgentHarness(Yaml, AgentHarness.OpenAiEnv(llm.Url), providerRetries: 1);
        await using var worker = new ProcessorHarness(ProcessorHarness.DefaultOptions(), h.Catalog, extraExecutors: [h.AgentExecutor]);
        await worker.StartAsync();

        var id = await worker.PublishAsync(Envelope("helper", kind: TargetKind.Agent), maxRetries: 2);
        var record = await worker.WaitForStatusAsync(id, ExecutionStatus.DeadLettered);

        Assert.Equal(DeadLetterReasons.MaxRetriesExceeded, record.DeadLetterReason);
        Assert.Contains("openai answered 500", record.Error);
        Assert.Equal(3, record.Attempts);
        Assert.Equal(6, llm.Requests.Count); // 3 attempts x (first try + 1 in-step retry)
    }
}
