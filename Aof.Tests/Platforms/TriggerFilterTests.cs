using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Aof.Core.Events;
using Aof.Core.Resources;
using Aof.Core.Resources.Loading;
using Aof.Core.Triggers;
using Aof.Core.Triggers.Platforms;
using Aof.Tests.Gateway;
using Aof.Tests.Resources;
using static Aof.Tests.Platforms.PlatformGateway;

namespace Aof.Tests.Platforms;

/// <summary>AOF's trigger fields, enforced per platform: each filter admits what it lists and nothing else.</summary>
public sealed class TriggerFilterTests : IDisposable
{
    private readonly TempTree _tree = new();

    public void Dispose() => _tree.Dispose();

    private TriggerResource LoadTrigger(string config, string commands = "")
    {
        _tree.Write("agents/a.yaml", ResourceYaml.Agent("reviewer"));
        _tree.Write("triggers/t.yaml", $"""
            apiVersion: aof.dev/v1
            kind: Trigger
            metadata:
              name: filtered
            spec:
              type: Slack
              default_agent: reviewer
              config:
            {config}{commands}
            """);
        return Assert.Single(ResourceLoader.Load([_tree.Root], TestEnv.Empty).Triggers);
    }

    private static PlatformEvent Event(string eventType = "message", string? action = null, string? channel = "C1", string? user = "U1",
        string? text = "hello", string? repo = null, string? branch = null, string? chat = null, string? guild = null, string? service = null) => new()
    {
        Platform = "test", EventType = eventType, Action = action, Channel = channel, User = user, Text = text, Repo = repo,
        Branch = branch, ChatId = chat, GuildId = guild, ServiceId = service, DeliveryId = "d",
    };

    private static bool Matches(TriggerResource t, PlatformEvent e) => PlatformTriggerMatcher.Match([t], e).Count == 1;

    [Fact]
    public void Events_filter_takes_event_names_and_event_dot_action()
    {
        var t = LoadTrigger("    events: [app_mention, incident.triggered]");
        Assert.True(Matches(t, Event("app_mention")));
        Assert.True(Matches(t, Event("incident", "triggered")));
        Assert.False(Matches(t, Event("incident", "resolved")));
        Assert.False(Matches(t, Event("message")));
    }

    [Fact]
    public void Channels_and_users_filters_admit_only_listed_values_and_not_events_without_them()
    {
        var t = LoadTrigger("    channels: [C1, ops-*]\n    users: [U1]");
        Assert.True(Matches(t, Event(channel: "C1", user: "U1")));
        Assert.True(Matches(t, Event(channel: "ops-alerts", user: "U1")));
        Assert.False(Matches(t, Event(channel: "C2", user: "U1")));
        Assert.False(Matches(t, Event(channel: "C1", user: "U2")));
        Assert.False(Matches(t, Event(channel: null, user: "U1")));
        Assert.False(Matches(t, Event(channel: "C1", user: null)));
    }

    [Fact]
    public void Chat_guild_and_service_id_filters_compare_exactly_and_accept_numbers()
    {
        var chat = LoadTrigger("    chat_ids: [-100123, 42]");
        Assert.True(Matches(chat, Event(chat: "-100123")));
        Assert.False(Matches(chat, Event(chat: "-1001234")));
        Assert.False(Matches(chat, Event(chat: null)));

        var guild = LoadTrigger("    guild_ids: [\"987\"]");
        Assert.True(Matches(guild, Event(guild: "987")));
        Assert.False(Matches(guild, Event(guild: "988")));

        var service = LoadTrigger("    service_ids: [PSVC1]");
        Assert.True(Matches(service, Event(service: "PSVC1")));
        Assert.False(Matches(service, Event(service: "psvc1")));
    }

    [Fact]
    public void Repositories_and_branches_filters_use_globs_and_events_without_a_branch_pass()
    {
        var t = LoadTrigger("    repositories: [acme/*]\n    branches: [main, release/*]");
        Assert.True(Matches(t, Event(repo: "acme/api", branch: "main")));
        Assert.True(Matches(t, Event(repo: "ACME/api", branch: "release/1.2")));
        Assert.True(Matches(t, Event(repo: "acme/api", branch: null)));
        Assert.False(Matches(t, Event(repo: "acme/api", branch: "feature/x")));
        Assert.False(Matches(t, Event(repo: "globex/api", branch: "main")));
        Assert.False(Matches(t, Event(repo: null, branch: "main")));
    }

    [Fact]
    public void Patterns_are_regexes_over_the_text_any_one_matching()
    {
        var t = LoadTrigger("    patterns: ['^deploy\\s+(prod|staging)$', 'rollback']");
        Assert.True(Matches(t, Event(text: "deploy prod")));
        Assert.True(Matches(t, Event(text: "please rollback now")));
        Assert.False(Matches(t, Event(text: "deploy dev")));
        Assert.False(Matches(t, Event(text: null)));
    }

    [Fact]
    public void Commands_select_by_slash_command_then_event_action_then_event_with_their_priority()
    {
        var t = LoadTrigger("    events: [message, incident]", """

              priority: low
              commands:
                /deploy:
                  agent: reviewer
                  priority: high
                incident.triggered:
                  agent: reviewer
            """);
        var slash = Assert.Single(PlatformTriggerMatcher.Match([t], Event(text: "/deploy prod")));
        Assert.Equal(("/deploy", "prod", Priority.High), (slash.Command, slash.Args, slash.Priority));
        var incident = Assert.Single(PlatformTriggerMatcher.Match([t], Event("incident", "triggered", text: null)));
        Assert.Equal((null, Priority.Low), (incident.Command, incident.Priority));
        Assert.Empty(PlatformTriggerMatcher.Match([t], Event(text: "just chatting")));
    }

    [Fact]
    public void Invalid_regex_is_a_load_time_error_naming_the_trigger()
    {
        var ex = Assert.Throws<ResourceLoadException>(() => LoadTrigger("    patterns: ['ok', '(unclosed']"));

        var error = Assert.Single(ex.Errors);
        Assert.Equal("spec.config.patterns[1]", error.Field);
        Assert.Contains("trigger 'filtered'", error.Message);
        Assert.Contains("(unclosed", error.Message);
    }

    private const string Pathological = @"^(\w+\s?)*$";

    private static string PathologicalText() => string.Concat(Enumerable.Repeat("aaaa ", 20_000)) + "!";

    [Fact]
    public void Pathological_regex_is_stopped_by_its_time_limit_and_does_not_match()
    {
        var t = LoadTrigger($"    patterns: ['{Pathological}']");
        var text = PathologicalText();

        // The pattern really is catastrophic on this text: alone, with the same limit, it times out.
        Assert.Throws<RegexMatchTimeoutException>(() => new Regex(Pathological, RegexOptions.None, TriggerFilters.PatternTimeout).IsMatch(text));
        Assert.False(Matches(t, Event(text: text)));
        Assert.True(Matches(t, Event(text: "short words")));
    }

    [Fact]
    public async Task Gateway_stays_responsive_while_a_pathological_pattern_runs()
    {
        var triggers = PlatformSenders.Trigger("slow", "Slack", $"signing_secret: {PlatformSenders.Secret}\n    patterns: ['{Pathological}']");
        using var app = new GatewayApp(triggers, new() { ["Aof:Gateway:MaxBodyBytes"] = (1024 * 1024).ToString() });
        var client = app.CreateClient();
        var big = Encoding.UTF8.GetBytes($$$"""{"type":"event_callback","team_id":"T1","event_id":"Ev-slow","event":{"type":"message","user":"U1","channel":"C1","text":"{{{PathologicalText()}}}"}}""");
        var small = Encoding.UTF8.GetBytes("""{"type":"event_callback","team_id":"T1","event_id":"Ev-fast","event":{"type":"message","user":"U1","channel":"C1","text":"two words"}}""");

        var slow = Task.WhenAll(Enumerable.Range(0, 4).Select(_ => SendAsync(client, PlatformSenders.Request("slack", big, "Ev-slow"))));
        var fast = await SendAsync(client, PlatformSenders.Request("slack", small, "Ev-fast"));
        var slowResults = await slow;

        Assert.Equal(HttpStatusCode.Accepted, fast.Status);
        Assert.All(slowResults, r => Assert.Equal(HttpStatusCode.OK, r.Status)); // verified, but the trigger did not match
        Assert.All(slowResults, r => Assert.Equal(0, Json(r.Text).GetProperty("matched").GetInt32()));
        var envelope = Assert.Single(await TakeAllAsync(app));
        Assert.Equal("Ev-fast", envelope.Metadata.DeliveryId);
    }
}
