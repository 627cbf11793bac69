using Aof.Runtime.Execution;
using Aof.Runtime.Replies;
using Aof.Tests.Agents.Stubs;
using Microsoft.Extensions.Configuration;
using static Aof.Tests.Runtime.RuntimeTestKit;

namespace Aof.Tests.Agents;

/// <summary>
/// Replies to GitHub use the token of the repository's organization (platforms.github.organizations[].token_env),
/// GITHUB_TOKEN for the others, and never another identity's token when an organization's variable is missing.
/// </summary>
public sealed class GitHubOrganizationTokenTests
{
    private const string Yaml = RepliesAndRetriesTests.Yaml;

    private static IConfiguration Config(params (string Name, string? TokenEnv)[] orgs)
    {
        var data = new Dictionary<string, string?>();
        for (var i = 0; i < orgs.Length; i++)
        {
            data[$"Aof:Platforms:Github:Organizations:{i}:Name"] = orgs[i].Name;
            data[$"Aof:Platforms:Github:Organizations:{i}:WebhookSecretEnv"] = "NOT_READ_BY_THE_WORKER";
            if (orgs[i].TokenEnv is { } env) data[$"Aof:Platforms:Github:Organizations:{i}:TokenEnv"] = env;
        }
        return new ConfigurationBuilder().AddInMemoryCollection(data).Build();
    }

    private static Func<string, string?> Env(Dictionary<string, string> vars) => name => vars.GetValueOrDefault(name);

    [Fact]
    public void An_organizations_own_token_wins_and_the_others_get_GITHUB_TOKEN()
    {
        var options = ReplyOptions.FromConfiguration(Config(("myorg", "MYORG_TOKEN"), ("plain", null)),
            Env(new() { ["MYORG_TOKEN"] = "ghp_myorg", ["GITHUB_TOKEN"] = "ghp_default" }));

        Assert.Equal("ghp_myorg", options.GitHubTokenFor("MyOrg").Token);    // GitHub logins are case-insensitive
        Assert.Equal("ghp_default", options.GitHubTokenFor("plain").Token);   // listed without token_env
        Assert.Equal("ghp_default", options.GitHubTokenFor("elsewhere").Token);
    }

    [Fact]
    public void An_organization_whose_variable_is_unset_gets_no_token_and_says_which()
    {
        var options = ReplyOptions.FromConfiguration(Config(("myorg", "MYORG_TOKEN")), Env(new() { ["GITHUB_TOKEN"] = "ghp_default" }));

        var choice = options.GitHubTokenFor("myorg");

        Assert.Null(choice.Token);
        Assert.Contains("MYORG_TOKEN", choice.Problem);
    }

    [Fact]
    public async Task A_reply_to_an_organizations_repository_is_posted_with_its_token()
    {
        await using var llm = await StubHttpServer.StartAsync(_ => StubResponse.Json(Wire.OpenAiText("answer")));
        await using var github = await StubHttpServer.StartAsync(_ => StubResponse.Json(Wire.GitHubComment("myorg/myrepo", 42, "answer"), 201));
        var replies = ReplyOptions.FromConfiguration(Config(("myorg", "MYORG_TOKEN")),
            Env(new() { ["MYORG_TOKEN"] = "ghp_myorg0123456789abcdefghijklmnopqrstu", ["GITHUB_TOKEN"] = "ghp_default0123456789abcdefghijklmnopqrs", ["GITHUB_API_URL"] = github.Url }));
        using var h = new AgentHarness(Yaml, AgentHarness.OpenAiEnv(llm.Url), replies);

        var result = await h.AgentExecutor.ExecuteAsync(ExecutionRequest.For(Envelope("helper", kind: Aof.Core.Events.TargetKind.Agent)), CancellationToken.None);

        Assert.Equal("answer", result.Output);
        var post = Assert.Single(github.Requests);
        Assert.EndsWith("/repos/myorg/myrepo/issues/42/comments", post.Path); // Octokit adds /api/v3 for an Enterprise URL
        Assert.Equal("Token ghp_myorg0123456789abcdefghijklmnopqrstu", post.Header("authorization"));
    }
}
