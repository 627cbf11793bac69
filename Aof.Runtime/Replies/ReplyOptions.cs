using Aof.Core.Configuration;
using Microsoft.Extensions.Configuration;

namespace Aof.Runtime.Replies;

/// <summary>A GitHub organization's own API token (<c>platforms.github.organizations[].token_env</c>).</summary>
/// <param name="TokenVariable">The variable <c>token_env</c> names; null when the organization has none.</param>
public sealed record GitHubOrganizationToken(string Name, string? TokenVariable, string? Token);

/// <summary>The token to reply to one repository with, or why there is none.</summary>
public readonly record struct GitHubTokenChoice(string? Token, string Problem);

/// <summary>
/// Where replies go and with which credentials: GITHUB_TOKEN (and GITHUB_API_URL for GitHub Enterprise, e.g.
/// https://ghe.example.com/api/v3/), SLACK_BOT_TOKEN (and SLACK_API_URL). A GitHub organization listed in
/// <c>platforms.github.organizations</c> with a <c>token_env</c> is answered with its own token. A platform without a
/// token gets no reply (logged), the execution still succeeds with its output recorded.
/// </summary>
public sealed class ReplyOptions
{
    public const string DefaultGitHubApiUrl = "https://api.github.com/";
    public const string DefaultSlackApiUrl = "https://slack.com/api/";

    public bool Enabled { get; init; } = true;
    public string? GitHubToken { get; init; }
    public string GitHubApiUrl { get; init; } = DefaultGitHubApiUrl;
    public IReadOnlyList<GitHubOrganizationToken> GitHubOrganizations { get; init; } = [];
    public string? SlackBotToken { get; init; }
    public string SlackApiUrl { get; init; } = DefaultSlackApiUrl;

    /// <summary>Tries of one reply inside the step (429 / 5xx / network), honouring Retry-After.</summary>
    public int MaxAttempts { get; init; } = 3;
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Replies longer than this are cut (GitHub allows 65536 characters per comment).</summary>
    public int MaxLength { get; init; } = 60_000;

    /// <summary>
    /// The token for a repository's owner: its organization's own when it has one, else GITHUB_TOKEN. An organization
    /// whose <c>token_env</c> names an unset variable gets none (never another identity's token).
    /// </summary>
    public GitHubTokenChoice GitHubTokenFor(string? owner)
    {
        var org = owner is null ? null : GitHubOrganizations.FirstOrDefault(o => o.Name.Equals(owner, StringComparison.OrdinalIgnoreCase));
        if (org?.TokenVariable is { } variable)
            return new(org.Token, $"{variable} (platforms.github.organizations '{org.Name}' token_env) is not set");
        return new(GitHubToken, "GITHUB_TOKEN is not set");
    }

    /// <summary>
    /// <see cref="FromEnvironment"/> plus the organizations of <c>Aof:Platforms:Github:Organizations</c> (name and
    /// token_env; the webhook secrets there are the gateway's business, not read here).
    /// </summary>
    public static ReplyOptions FromConfiguration(IConfiguration configuration, Func<string, string?>? env = null)
    {
        env ??= Environment.GetEnvironmentVariable;
        var github = configuration.GetSection($"{AofOptions.Section}:Platforms:Github");
        if (string.Equals(github["Enabled"]?.Trim(), "false", StringComparison.OrdinalIgnoreCase)) return FromEnvironment(env);
        var orgs = new List<GitHubOrganizationToken>();
        foreach (var item in github.GetSection("Organizations").GetChildren())
        {
            if (item["Name"]?.Trim() is not { Length: > 0 } name) continue;
            var variable = item["TokenEnv"]?.Trim() is { Length: > 0 } v ? v : null;
            orgs.Add(new GitHubOrganizationToken(name, variable, variable is null ? null : Variable(env, variable)));
        }
        return FromEnvironment(env, orgs);
    }

    public static ReplyOptions FromEnvironment(Func<string, string?>? env = null) => FromEnvironment(env ?? Environment.GetEnvironmentVariable, []);

    private static ReplyOptions FromEnvironment(Func<string, string?> env, IReadOnlyList<GitHubOrganizationToken> organizations) => new()
    {
        Enabled = !string.Equals(Variable(env, "AOF_REPLIES"), "off", StringComparison.OrdinalIgnoreCase),
        GitHubToken = Variable(env, "GITHUB_TOKEN"),
        GitHubApiUrl = Variable(env, "GITHUB_API_URL") ?? DefaultGitHubApiUrl,
        GitHubOrganizations = organizations,
        SlackBotToken = Variable(env, "SLACK_BOT_TOKEN"),
        SlackApiUrl = Variable(env, "SLACK_API_URL") ?? DefaultSlackApiUrl,
    };

    // A variable that is unset or empty counts as absent; values are trimmed.
    private static string? Variable(Func<string, string?> env, string name) => env(name) is { Length: > 0 } v ? v.Trim() : null;
}
