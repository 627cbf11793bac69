using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Aof.Gateway.Platforms.GitHub;
using Aof.Tests.Gateway;
using static Aof.Tests.Platforms.PlatformGateway;

namespace Aof.Tests.Platforms;

/// <summary>
/// Every real GitHub example payload (@octokit/webhooks-examples) parses, and matches exactly the triggers
/// that should take it, decided here from the payload independently of the gateway's matcher.
/// </summary>
public sealed class GitHubExamplesTests
{
    private const string Triggers = """
        apiVersion: aof.dev/v1
        kind: Trigger
        metadata:
          name: pr-opened
        spec:
          type: GitHub
          config:
            webhook_secret: test-secret
            github_events: [pull_request]
          commands:
            pull_request.opened:
              agent: reviewer
        ---
        apiVersion: aof.dev/v1
        kind: Trigger
        metadata:
          name: master-push
        spec:
          type: GitHub
          config:
            webhook_secret: test-secret
            github_events: [push]
            branches: [master]
          default_agent: reviewer
        ---
        apiVersion: aof.dev/v1
        kind: Trigger
        metadata:
          name: agreeing-comments
        spec:
          type: GitHub
          config:
            webhook_secret: test-secret
            github_events: [issue_comment]
            patterns: ['(?i)totally right']
          default_agent: reviewer
        """;

    private static string? Text(JsonElement e, params string[] path)
    {
        foreach (var p in path)
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(p, out e)) return null;
        }
        return e.ValueKind == JsonValueKind.String ? e.GetString() : null;
    }

    private static string[] ExpectedTriggers(OctokitExample x)
    {
        var expected = new List<string>();
        if (x.EventName == "pull_request" && Text(x.Payload, "action") == "opened") expected.Add("pr-opened");
        if (x.EventName == "push" && Text(x.Payload, "ref") == "refs/heads/master") expected.Add("master-push");
        if (x.EventName == "issue_comment" && Text(x.Payload, "comment", "body") is { } body &&
            Regex.IsMatch(body, "(?i)totally right")) expected.Add("agreeing-comments");
        return [.. expected];
    }

    [Fact]
    public void Every_example_parses_with_its_action_repository_and_sender()
    {
        var examples = OctokitExamples.Load();
        Assert.True(examples.Count > 300, $"only {examples.Count} examples");

        foreach (var x in examples)
        {
            var ev = GitHubEventReader.Read(x.EventName, Encoding.UTF8.GetBytes(x.Payload.GetRawText()));
            Assert.Equal(x.EventName, ev.EventType);
            Assert.True(Text(x.Payload, "action") == ev.Action, $"{x}: action");
            Assert.True(Text(x.Payload, "repository", "full_name") == ev.Repository, $"{x}: repository");
            Assert.True(Text(x.Payload, "sender", "login") == ev.Sender, $"{x}: sender");
        }
    }

    [Fact]
    public async Task Every_example_delivered_to_the_gateway_matches_exactly_the_triggers_it_should()
    {
        var examples = OctokitExamples.Load();
        using var app = new GatewayApp(Triggers, new() { ["Aof:Gateway:MaxBodyBytes"] = (4 * 1024 * 1024).ToString() });
        var client = app.CreateClient();
        var matched = new Dictionary<string, int>();

        foreach (var x in examples)
        {
            var delivery = GatewayApp.Delivery(x.EventName, x.Payload.GetRawText());
            var (status, text, _) = await SendAsync(client, delivery);
            var expected = ExpectedTriggers(x);

            var expectedStatus = expected.Length > 0 ? HttpStatusCode.Accepted : HttpStatusCode.OK;
            Assert.True(expectedStatus == status, $"{x}: {(int)status} {text}");
            var published = (await TakeAllAsync(app)).Select(e => e.TriggerName).Order().ToArray();
            Assert.True(expected.Order().SequenceEqual(published), $"{x}: expected [{string.Join(",", expected)}], got [{string.Join(",", published)}]");
            foreach (var t in published) matched[t] = matched.GetValueOrDefault(t) + 1;
        }

        // The examples do exercise every trigger, so a matcher that matched nothing would fail above.
        Assert.True(matched.GetValueOrDefault("pr-opened") > 0);
        Assert.True(matched.GetValueOrDefault("master-push") > 0);
        Assert.True(matched.GetValueOrDefault("agreeing-comments") > 0);
    }
}
