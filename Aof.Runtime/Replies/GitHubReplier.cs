using System.Collections.Concurrent;
using Octokit;

namespace Aof.Runtime.Replies;

/// <summary>
/// Posts an issue or PR comment through Octokit (a PR's conversation comments are issue comments), with the token of
/// the repository's organization (<see cref="ReplyOptions.GitHubTokenFor"/>): one client per token.
/// </summary>
public sealed class GitHubReplier(ReplyOptions options)
{
    private readonly ConcurrentDictionary<string, GitHubClient> _clients = new();

    /// <summary>The token a reply to <paramref name="repo"/> ("owner/name") would use, or why there is none.</summary>
    public GitHubTokenChoice TokenFor(string? repo) => options.GitHubTokenFor(repo is null ? null : Split(repo).Owner);

    /// <summary>Returns the comment's URL.</summary>
    public async Task<string> CommentAsync(ReplyTarget target, string body, CancellationToken ct)
    {
        var (owner, name) = Split(target.Repo!);
        var choice = options.GitHubTokenFor(owner);
        if (choice.Token is not { } token) throw new ReplyFailedException(choice.Problem, retryable: false);
        var client = _clients.GetOrAdd(token, t =>
            new GitHubClient(new ProductHeaderValue("aof-worker"), new Uri(options.GitHubApiUrl)) { Credentials = new Credentials(t) });
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
            throw new ReplyFailedException($"GitHub rejected the token for {owner} (401): {ex.Message}", retryable: false, null, ex);
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
        return slash < 0 ? (repo, "") : (repo[..slash], repo[(slash + 1)..]);
    }
}
