using System.Text.Json.Nodes;
using Aof.Core.Resources;
using Aof.Runtime.Execution;
using Aof.Runtime.Flows;
using Aof.Runtime.Flows.Nodes.Messaging;
using static Aof.Tests.Runtime.RuntimeTestKit;

namespace Aof.Tests.Flows;

/// <summary>Slack and Discord nodes against local stubs answering in Slack's Web API and Discord's webhook formats.</summary>
public class MessagingNodeTests
{
    private static Task<FlowResult> Run(AgentFlowResource flow) =>
        FlowTestKit.Executor(extra: [new SlackNode(FlowTestKit.HttpClients), new DiscordNode(FlowTestKit.HttpClients)])
            .ExecuteAsync(flow, Request(), CancellationToken.None).WaitAsync(FlowTestKit.Bound);

    [Fact]
    public async Task Slack_posts_chat_postMessage_with_the_bot_token_in_the_thread()
    {
        await using var slack = await StubHttpServer.StartAsync(_ =>
            new StubResponse(200, """{"ok": true, "channel": "C123", "ts": "1700000000.000200", "message": {"text": "x"}}"""));
        var flow = Chain("f", Node("notify", "Slack", $$"""
            {"api_url": "{{slack.BaseUrl}}/api", "token": "xoxb-test-token", "channel": "C123",
             "message": "PR #${event.payload.number} by ${event.sender}: ${event.payload.pull_request.title}",
             "thread_ts": "1700000000.000100"}
            """));

        var result = await Run(flow);

        Assert.Equal("""{"channel":"C123","ts":"1700000000.000200"}""", result.OutputText);
        var request = Assert.Single(slack.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/api/chat.postMessage", request.Path);
        Assert.Equal("Bearer xoxb-test-token", request.Headers["Authorization"]);
        Assert.StartsWith("application/json", request.Headers["Content-Type"]);
        var body = JsonNode.Parse(request.Body)!;
        Assert.Equal("C123", body["channel"]!.GetValue<string>());
        Assert.Equal("PR #42 by alice: Fix it", body["text"]!.GetValue<string>());
        Assert.Equal("1700000000.000100", body["thread_ts"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("channel_not_found", true)]
    [InlineData("invalid_auth", true)]
    [InlineData("ratelimited", false)]
    [InlineData("internal_error", false)]
    public async Task Slack_ok_false_errors_are_permanent_unless_transient(string error, bool permanent)
    {
        await using var slack = await StubHttpServer.StartAsync(_ => new StubResponse(200, $$"""{"ok": false, "error": "{{error}}"}"""));
        var flow = Chain("f", Node("notify", "Slack", $$"""{"api_url": "{{slack.BaseUrl}}", "token": "xoxb-secret", "channel": "C1", "message": "hi"}"""));

        var ex = await Assert.ThrowsAnyAsync<Exception>(() => Run(flow));

        Assert.Equal(permanent, ex is PermanentExecutionException);
        Assert.Contains(error, ex.Message);
        Assert.DoesNotContain("xoxb-secret", ex.Message);
    }

    [Fact]
    public async Task Slack_without_a_token_fails_permanently_and_says_how_to_fix_it()
    {
        var flow = Chain("f", Node("notify", "Slack", """{"api_url": "http://127.0.0.1:9", "token": "", "channel": "C1", "message": "hi"}"""));
        var ex = await Assert.ThrowsAsync<PermanentExecutionException>(() => Run(flow));
        Assert.Contains(SlackNode.TokenVariable, ex.Message);
    }

    [Fact]
    public async Task Discord_posts_to_the_webhook_with_wait_and_returns_the_message_id()
    {
        await using var discord = await StubHttpServer.StartAsync(_ =>
            new StubResponse(200, """{"id": "1180000000000000001", "channel_id": "990", "content": "x", "type": 0}"""));
        var flow = Chain("f", Node("notify", "Discord", $$"""
            {"webhook_url": "{{discord.BaseUrl}}/api/webhooks/123/tok-secret", "message": "Review ${event.repo}#${event.payload.number}", "username": "aof"}
            """));

        var result = await Run(flow);

        Assert.Equal("""{"id":"1180000000000000001","channel_id":"990"}""", result.OutputText);
        var request = Assert.Single(discord.Requests);
        Assert.Equal("/api/webhooks/123/tok-secret", request.Path);
        Assert.Equal("?wait=true", request.Query);
        var body = JsonNode.Parse(request.Body)!;
        Assert.Equal("Review myorg/myrepo#42", body["content"]!.GetValue<string>());
        Assert.Equal("aof", body["username"]!.GetValue<string>());
    }

    [Fact]
    public async Task Discord_content_is_cut_to_2000_characters()
    {
        await using var discord = await StubHttpServer.StartAsync(_ => new StubResponse(200, """{"id": "1", "channel_id": "2"}"""));
        var flow = Chain("f", Node("notify", "Discord", $$"""{"webhook_url": "{{discord.BaseUrl}}/api/webhooks/1/t", "message": "{{new string('x', 2500)}}"}"""));
        await Run(flow);
        var content = JsonNode.Parse(Assert.Single(discord.Requests).Body)!["content"]!.GetValue<string>();
        Assert.Equal(DiscordNode.MaxContentLength, content.Length);
        Assert.EndsWith("…", content);
    }

    [Theory]
    [InlineData(429, false)]
    [InlineData(502, false)]
    [InlineData(404, true)]
    public async Task Discord_rate_limits_and_outages_are_retried_and_a_gone_webhook_is_permanent(int status, bool permanent)
    {
        await using var discord = await StubHttpServer.StartAsync(_ => new StubResponse(status, """{"message": "x", "retry_after": 1.5}""",
            Headers: new Dictionary<string, string> { ["Retry-After"] = "2" }));
        var flow = Chain("f", Node("notify", "Discord", $$"""{"webhook_url": "{{discord.BaseUrl}}/api/webhooks/1/tok-secret", "message": "hi"}"""));

        var ex = await Assert.ThrowsAnyAsync<Exception>(() => Run(flow));

        Assert.Equal(permanent, ex is PermanentExecutionException);
        Assert.Contains($"answered {status}", ex.Message);
        Assert.DoesNotContain("tok-secret", ex.Message);
    }
}
