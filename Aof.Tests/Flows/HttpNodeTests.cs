using System.Text.Json.Nodes;
using Aof.Core.Resources;
using Aof.Runtime.Execution;
using Aof.Runtime.Flows;
using Aof.Runtime.Flows.Nodes;
using static Aof.Tests.Runtime.RuntimeTestKit;

namespace Aof.Tests.Flows;

public class HttpNodeTests
{
    private static Task<FlowResult> Run(AgentFlowResource flow) =>
        FlowTestKit.Executor(extra: new HttpNode(FlowTestKit.HttpClients)).ExecuteAsync(flow, Request(), CancellationToken.None).WaitAsync(FlowTestKit.Bound);

    [Fact]
    public async Task Sends_the_rendered_request_and_exposes_status_and_parsed_json_body()
    {
        await using var stub = await StubHttpServer.StartAsync(_ => new StubResponse(201, """{"id": 7, "state": "created"}"""));
        var flow = Chain("f",
            Node("call", "HTTP", $$$"""
                {"url": "{{{stub.BaseUrl}}}/repos/${event.repo}/checks?pr=${event.payload.number}", "method": "post",
                 "headers": {"X-Trace": "pr-${event.payload.number}", "Authorization": "Bearer abc"},
                 "body": {"title": "${event.payload.pull_request.title}", "n": "${event.payload.number}"}}
                """),
            Node("done", "End", """{"message": "check ${call.output.body.id} is ${call.output.body.state} (${call.output.status})"}"""));

        var result = await Run(flow);

        Assert.Equal("check 7 is created (201)", result.OutputText);
        var request = Assert.Single(stub.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/repos/myorg/myrepo/checks", request.Path);
        Assert.Equal("?pr=42", request.Query);
        Assert.Equal("pr-42", request.Headers["X-Trace"]);
        Assert.Equal("Bearer abc", request.Headers["Authorization"]);
        Assert.StartsWith("application/json", request.Headers["Content-Type"]);
        Assert.Equal("""{"title":"Fix it","n":42}""", request.Body);
    }

    [Fact]
    public async Task A_text_response_is_kept_as_text()
    {
        await using var stub = await StubHttpServer.StartAsync(_ => new StubResponse(200, "pong", "text/plain"));
        var result = await Run(Chain("f", Node("call", "HTTP", $$"""{"url": "{{stub.BaseUrl}}/ping"}""")));
        Assert.Equal("""{"status":200,"body":"pong"}""", result.OutputText);
        Assert.Equal("GET", Assert.Single(stub.Requests).Method);
    }

    [Theory]
    [InlineData(500, false)]
    [InlineData(503, false)]
    [InlineData(429, false)]
    [InlineData(404, true)]
    [InlineData(400, true)]
    public async Task Server_errors_are_retried_and_client_errors_are_permanent(int status, bool permanent)
    {
        await using var stub = await StubHttpServer.StartAsync(_ => new StubResponse(status, """{"error":"nope"}"""));
        var flow = Chain("f", Node("call", "HTTP", $$"""{"url": "{{stub.BaseUrl}}/x?token=secret-value"}"""));

        var ex = await Assert.ThrowsAnyAsync<Exception>(() => Run(flow));

        Assert.Equal(permanent, ex is PermanentExecutionException);
        if (!permanent) Assert.IsType<ExecutionFailedException>(ex);
        Assert.Contains($"answered {status}", ex.Message);
        Assert.DoesNotContain("secret-value", ex.Message);
    }

    [Fact]
    public async Task With_fail_on_error_false_an_error_status_is_output_not_failure()
    {
        await using var stub = await StubHttpServer.StartAsync(_ => new StubResponse(404, """{"error":"missing"}"""));
        var result = await Run(Chain("f", Node("call", "HTTP", $$"""{"url": "{{stub.BaseUrl}}/x", "fail_on_error": false}""")));
        Assert.Equal(404, result.Output!["status"]!.GetValue<int>());
        Assert.Equal("missing", result.Output!["body"]!["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_unreachable_host_is_retryable_and_a_bad_url_is_permanent()
    {
        var port = Aof.Tests.Infrastructure.LocalProcesses.FreePort();
        var unreachable = await Assert.ThrowsAsync<ExecutionFailedException>(() =>
            Run(Chain("f", Node("call", "HTTP", $$"""{"url": "http://127.0.0.1:{{port}}/x", "timeout_seconds": 5}"""))));
        Assert.Contains("127.0.0.1", unreachable.Message);

        var bad = await Assert.ThrowsAsync<PermanentExecutionException>(() => Run(Chain("f", Node("call", "HTTP", """{"url": "not a url"}"""))));
        Assert.Contains("config.url must be an absolute http(s) URL", bad.Message);
    }
}
