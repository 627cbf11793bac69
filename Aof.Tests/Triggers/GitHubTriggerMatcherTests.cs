using System.Text.Json.Nodes;
using Aof.Core.Events;
using Aof.Core.Resources;
using Aof.Core.Triggers;
using Aof.Core.Triggers.GitHub;

namespace Aof.Tests.Triggers;

public sealed class GitHubTriggerMatcherTests
{
    private static TriggerResource Trigger(
        string name,
        Dictionary<string, CommandBinding>? commands = null,
        string[]? events = null,
        string[]? repos = null,
        string[]? branches = null,
        bool enabled = true,
        string type = "GitHub",
        Priority priority = Priority.Normal,
        string? defaultAgent = null) => new()
    {
        ApiVersion = "aof.dev/v1",
        Metadata = new ResourceMetadata { Name = name },
        Source = new ResourceSource($"{name}.yaml", 1),
        Spec = new JsonObject(),
        Type = type,
        Enabled = enabled,
        Priority = priority,
        DefaultAgent = defaultAgent,
        Commands = commands ?? new Dictionary<string, CommandBinding> { ["pull_request.opened"] = Flow("pr-flow") },
        GitHub = new GitHubTriggerConfig
        {
            WebhookSecret = "s",
            Events = events ?? [],
            Repositories = repos ?? [],
            Branches = branches ?? [],
        },
    };

    private static CommandBinding Flow(string name, Priority? priority = null) => new(new EventTarget(TargetKind.Flow, name), null, priority);

    private static GitHubEvent PrOpened(string repo = "acme/api", string? branch = "main") => new()
    {
        EventType = "pull_request", Action = "opened", Repository = repo, Org = repo.Split('/')[0], Branch = branch, Sender = "octocat",
    };

    private static GitHubEvent Comment(string body, string repo = "acme/api") => new()
    {
        EventType = "issue_comment", Action = "created", Repository = repo, CommentBody = body, Sender = "octocat",
    };

    [Theory]
    [InlineData(new string[0], true)]
    [InlineData(new[] { "pull_request" }, true)]
    [InlineData(new[] { "PULL_REQUEST" }, true)]
    [InlineData(new[] { "pull_request.opened" }, true)]
    [InlineData(new[] { "pull_request.closed" }, false)]
    [InlineData(new[] { "push", "issues" }, false)]
    public void Event_filter(string[] events, bool matches)
    {
        var result = GitHubTriggerMatcher.Match([Trigger("t", events: events)], PrOpened());

        Assert.Equal(matches ? 1 : 0, result.Count);
    }

    [Theory]
    [InlineData("acme/api", true)]
    [InlineData("ACME/Api", true)]
    [InlineData("acme/web", false)]
    [InlineData("acme/*", true)]
    [InlineData("other/*", false)]
    [InlineData("acme", false)]
    public void Repository_filter_exact_or_owner_wildcard(string filter, bool matches)
    {
        var result = GitHubTriggerMatcher.Match([Trigger("t", repos: [filter])], PrOpened("acme/api"));

        Assert.Equal(matches ? 1 : 0, result.Count);
    }

    [Fact]
    public void Repository_filter_excludes_an_event_without_a_repository()
    {
        var ev = PrOpened() with { Repository = null };

        Assert.Empty(GitHubTriggerMatcher.Match([Trigger("t", repos: ["acme/*"])], ev));
        Assert.Single(GitHubTriggerMatcher.Match([Trigger("t")], ev));
    }

    [Theory]
    [InlineData("main", "main", true)]
    [InlineData("main", "Main", false)]
    [InlineData("release/*", "release/1.2", true)]
    [InlineData("release/*", "release/1.2/hotfix", false)]
    [InlineData("release/**", "release/1.2/hotfix", true)]
    [InlineData("**", "feature/a/b", true)]
    [InlineData("feat-?", "feat-x", true)]
    [InlineData("feat-?", "feat-xy", false)]
    [InlineData("v1.*", "v1x2", false)]
    public void Branch_filter_globs(string glob, string branch, bool matches)
    {
        var result = GitHubTriggerMatcher.Match([Trigger("t", branches: [glob])], PrOpened(branch: branch));

        Assert.Equal(matches ? 1 : 0, result.Count);
    }

    [Fact]
    public void Branch_filter_does_not_exclude_an_event_without_a_branch()
    {
        var trigger = Trigger("t", branches: ["release/*"], commands: new() { ["issue_comment.created"] = Flow("comments") });

        var match = Assert.Single(GitHubTriggerMatcher.Match([trigger], Comment("hello")));

        Assert.Equal("comments", match.Target.Name);
    }

    [Fact]
    public void Slash_command_with_args_on_an_issue_comment()
    {
        var trigger = Trigger("t", commands: new()
        {
            ["/review"] = new CommandBinding(new EventTarget(TargetKind.Agent, "reviewer"), "Review", Priority.High),
            ["issue_comment.created"] = Flow("comments"),
        });

        var match = Assert.Single(GitHubTriggerMatcher.Match([trigger], Comment("  /review  security  focus \nsecond line /ignored")));

        Assert.Equal(new EventTarget(TargetKind.Agent, "reviewer"), match.Target);
        Assert.Equal("/review", match.Command);
        Assert.Equal("security  focus", match.Args);
        Assert.Equal(Priority.High, match.Priority);
        Assert.Same(trigger, match.Trigger);
    }

    [Fact]
    public void Slash_command_without_args_has_null_args()
    {
        var trigger = Trigger("t", commands: new() { ["/fail"] = Flow("always-fails") });

        var match = Assert.Single(GitHubTriggerMatcher.Match([trigger], Comment("/fail\r\nthanks")));

        Assert.Equal("/fail", match.Command);
        Assert.Null(match.Args);
    }

    [Fact]
    public void Unknown_slash_command_falls_back_to_the_event_bindings()
    {
        var trigger = Trigger("t", commands: new() { ["/review"] = Flow("review"), ["issue_comment"] = Flow("any-comment") });

        var match = Assert.Single(GitHubTriggerMatcher.Match([trigger], Comment("/deploy now")));

        Assert.Equal("any-comment", match.Target.Name);
        Assert.Null(match.Command);
        Assert.Null(match.Args);
    }

    [Fact]
    public void Slash_command_not_on_the_first_word_does_not_count()
    {
        var trigger = Trigger("t", commands: new() { ["/review"] = Flow("review") });

        Assert.Empty(GitHubTriggerMatcher.Match([trigger], Comment("please /review")));
        Assert.Empty(GitHubTriggerMatcher.Match([trigger], Comment("first line\n/review")));
    }

    [Fact]
    public void Event_action_binding_wins_over_the_bare_event()
    {
        var both = Trigger("t", commands: new() { ["pull_request"] = Flow("any-pr"), ["pull_request.opened"] = Flow("opened-pr") });
        var bareOnly = Trigger("u", commands: new() { ["pull_request"] = Flow("any-pr") });

        Assert.Equal("opened-pr", Assert.Single(GitHubTriggerMatcher.Match([both], PrOpened())).Target.Name);
        Assert.Equal("any-pr", Assert.Single(GitHubTriggerMatcher.Match([both], PrOpened() with { Action = "closed" })).Target.Name);
        Assert.Equal("any-pr", Assert.Single(GitHubTriggerMatcher.Match([bareOnly], PrOpened())).Target.Name);
    }

    [Fact]
    public void Push_has_no_action_and_matches_the_bare_key()
    {
        var trigger = Trigger("t", commands: new() { ["push"] = Flow("ci") });
        var push = new GitHubEvent { EventType = "push", Repository = "acme/api", Branch = "main" };

        Assert.Equal("ci", Assert.Single(GitHubTriggerMatcher.Match([trigger], push)).Target.Name);
    }

    [Fact]
    public void Trigger_without_a_matching_command_does_not_match()
    {
        var trigger = Trigger("t", commands: new() { ["pull_request.closed"] = Flow("x") }, defaultAgent: "devops");

        Assert.Empty(GitHubTriggerMatcher.Match([trigger], PrOpened()));
    }

    [Fact]
    public void Trigger_without_commands_routes_to_its_default_agent()
    {
        var trigger = Trigger("t", commands: [], defaultAgent: "devops", priority: Priority.Low);
        var bare = Trigger("u", commands: []);

        var match = Assert.Single(GitHubTriggerMatcher.Match([trigger, bare], PrOpened()));

        Assert.Equal(new EventTarget(TargetKind.Agent, "devops"), match.Target);
        Assert.Equal(Priority.Low, match.Priority);
    }

    [Fact]
    public void Disabled_and_non_github_triggers_are_skipped()
    {
        var triggers = new[] { Trigger("off", enabled: false), Trigger("slack", type: "Slack"), Trigger("lower", type: "github") };

        var match = Assert.Single(GitHubTriggerMatcher.Match(triggers, PrOpened()));

        Assert.Equal("lower", match.Trigger.Name);
    }

    [Fact]
    public void Two_matching_triggers_give_two_matches_in_order()
    {
        var a = Trigger("a", commands: new() { ["pull_request.opened"] = Flow("flow-a") });
        var b = Trigger("b", commands: new() { ["pull_request"] = Flow("flow-b", Priority.High) }, priority: Priority.Low);

        var matches = GitHubTriggerMatcher.Match([a, b], PrOpened());

        Assert.Equal(["a", "b"], matches.Select(m => m.Trigger.Name));
        Assert.Equal(["flow-a", "flow-b"], matches.Select(m => m.Target.Name));
    }

    [Fact]
    public void Priority_comes_from_the_binding_else_the_trigger()
    {
        var t = Trigger("t", priority: Priority.High, commands: new()
        {
            ["pull_request.opened"] = Flow("opened", Priority.Low),
            ["pull_request.closed"] = Flow("closed"),
        });

        Assert.Equal(Priority.Low, Assert.Single(GitHubTriggerMatcher.Match([t], PrOpened())).Priority);
        Assert.Equal(Priority.High, Assert.Single(GitHubTriggerMatcher.Match([t], PrOpened() with { Action = "closed" })).Priority);
    }

    [Fact]
    public void Matches_the_example_trigger_loaded_from_yaml()
    {
        var examples = Path.Combine(Resources.RepoRoot.Find(), "examples");
        var catalog = Core.Resources.Loading.ResourceLoader.Load([examples], Resources.TestEnv.Of(("GITHUB_WEBHOOK_SECRET", "x")));

        var opened = Assert.Single(GitHubTriggerMatcher.Match(catalog.Triggers, PrOpened()));
        var fail = Assert.Single(GitHubTriggerMatcher.Match(catalog.Triggers, Comment("/fail please")));

        Assert.Equal(new EventTarget(TargetKind.Flow, "pr-hello"), opened.Target);
        Assert.Equal(new EventTarget(TargetKind.Flow, "always-fails"), fail.Target);
        Assert.Equal(("/fail", "please", Priority.Low), (fail.Command, fail.Args, fail.Priority));
        Assert.Empty(GitHubTriggerMatcher.Match(catalog.Triggers, new GitHubEvent { EventType = "push", Branch = "main" }));
    }
}

public sealed class SlashCommandTests
{
    [Theory]
    [InlineData("/review", "/review", null)]
    [InlineData("/review a b", "/review", "a b")]
    [InlineData("\t/deploy\tprod  \nmore", "/deploy", "prod")]
    public void Parses_the_first_word_of_the_first_line(string text, string command, string? args)
    {
        Assert.Equal(new SlashCommand(command, args), SlashCommand.Parse(text));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("/")]
    [InlineData("review")]
    [InlineData("text\n/review")]
    public void Not_a_slash_command(string? text)
    {
        Assert.Null(SlashCommand.Parse(text));
    }
}
