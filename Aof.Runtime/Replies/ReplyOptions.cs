namespace Aof.Runtime.Replies;

/// <summary>
/// Where replies go and with which credentials: GITHUB_TOKEN (and GITHUB_API_URL for GitHub Enterprise, e.g.
/// https://ghe.example.com/api/v3/), SLACK_BOT_TOKEN (and SLACK_API_URL). A platform without a token gets no reply
/// (logged), the execution still succeeds with its output recorded.
/// </summary>
public sealed class ReplyOptions
{
    public const string DefaultGitHubApiUrl = "https://api.github.com/";
    public const string DefaultSlackApiUrl = "https://slack.com/api/";

    public bool Enabled { get; init; } = true;
    public string? GitHubToken { get; init; }
    public string GitHubApiUrl { get; init; } = DefaultGitHubApiUrl;
    public string? SlackBotToken { get; init; }
    public string SlackApiUrl { get; init; } = DefaultSlackApiUrl;

    /// <summary>Tries of one reply inside the step (429 / 5xx / network), honouring Retry-After.</summary>
    public int MaxAttempts { get; init; } = 3;
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Replies longer than this are cut (GitHub allows 65536 characters per comment).</summary>
    public int MaxLength { get; init; } = 60_000;

    public static ReplyOptions FromEnvironment(Func<string, string?>? env = null)
    {
        env ??= Environment.GetEnvironmentVariable;
        string? Get(string name) => env(name) is { Length: > 0 } v ? v.Trim() : null;
        return new ReplyOptions
        {
            Enabled = !string.Equals(Get("AOF_REPLIES"), "off", StringComparison.OrdinalIgnoreCase),
            GitHubToken = Get("GITHUB_TOKEN"),
            GitHubApiUrl = Get("GITHUB_API_URL") ?? DefaultGitHubApiUrl,
            SlackBotToken = Get("SLACK_BOT_TOKEN"),
            SlackApiUrl = Get("SLACK_API_URL") ?? DefaultSlackApiUrl,
        };
    }
}
