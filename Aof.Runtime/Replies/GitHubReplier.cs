using Octokit;

namespace Aof.Runtime.Replies;

/// <summary>Posts an issue or PR comment through Octokit (a PR's conversation comments are issue comments).</summary>
public sealed class GitHubReplier(ReplyOptions options)
{
    private readonly Lazy<GitHubClient?> _client = new(() => options.GitHubToken is null
        ? null
        : new GitHubClient(new ProductHeaderValue("aof-worker"), new Uri(options.GitHubApiUrl)) { Credentials = new Credentials(options.GitHubToken) });

    public bool Configured => options.GitHubToken is not null;

    /// <summary>Returns the comment's URL.</summary>
    public async Task<string> CommentAsync(ReplyTarget target, string body, CancellationToken ct)
    {
        var client = _client.Value ?? throw new ReplyFailedException("GITHUB_TOKEN is not set", retryable: false);
        var (owner, name) = Split(target.Repo!);
        try
        {
            // Octokit takes no token; the step's own timeout bounds the call.
            var comment = await client.Issue.Comment.Create(owner, name, target.Number!.Value, body).WaitAsync(ct);
            return comment.HtmlUrl;
        }
        catch (SecondaryRateLimitExceededException ex)
        {
            throw new ReplyFailedException($"GitHub secondary rate limit: {ex.Message}", retryable: true, TimeSpan.FromSeconds(60), ex);
        }
        catch (RateLimitExceededException ex)
        {
            var wait = ex.Reset - DateTimeOffset.UtcNow;
            throw new ReplyFailedException($"GitHub rate limit exceeded (resets {ex.Reset:u})", retryable: true, wait > TimeSpan.Zero ? wait : TimeSpan.Zero, ex);
        }
        catch (AuthorizationException ex)
        {
            throw new ReplyFailedException($"GitHub rejected GITHUB_TOKEN (401): {ex.Message}", retryable: false, null, ex);
        }
        catch (ApiException ex)
        {
            var status = (int)ex.StatusCode;
            var retryable = status == 429 || status >= 500;
            var retryAfter = ex.HttpResponse?.Headers is { } h && h.TryGetValue("Retry-After", out var ra) && int.TryParse(ra, out var secs)
                ? TimeSpan.FromSeconds(secs)
                : (TimeSpan?)null;
            throw new ReplyFailedException($"GitHub answered {status} commenting on {target}: {ex.Message}", retryable, retryAfter, ex);
        }
        catch (HttpRequestException ex)
        {
            throw new ReplyFailedException($"GitHub unreachable: {ex.Message}", retryable: true, null, ex);
        }
    }

    private static (string Owner, string Name) Split(string repo)
    {
        var slash = repo.IndexOf('/');
        return (repo[..slash], repo[(slash + 1)..]);
    }
}
