using Aof.Core.Events;
using Aof.Runtime.Safety;
using Microsoft.Extensions.Logging;

namespace Aof.Runtime.Replies;

/// <summary>What happened to a reply: posted (where), or skipped (why).</summary>
public sealed record ReplyOutcome(bool Posted, string Detail);

/// <summary>
/// Sends a result back where its event came from (GitHub issue/PR comment, Slack thread), redacted and capped,
/// retrying 429 / 5xx / network failures inside the step with backoff and Retry-After. What still fails is thrown
/// as <see cref="ReplyFailedException"/>; the caller turns it into a step failure (retried by the message policy).
/// </summary>
public sealed partial class ReplySender(ReplyOptions options, GitHubReplier github, SlackReplier slack, SecretRedactor redactor, ILogger<ReplySender> logger)
{
    public async Task<ReplyOutcome> ReplyAsync(EventEnvelope envelope, string text, CancellationToken ct)
    {
        if (!options.Enabled) return new(false, "replies are turned off");
        var target = ReplyTarget.From(envelope);
        if (target is null) return new(false, $"a {envelope.Platform} {envelope.EventType} event has nowhere to reply");

        Func<CancellationToken, Task<string>> post;
        if (target.Platform == ReplyTarget.GitHub)
        {
            if (github.TokenFor(target.Repo) is { Token: null } none) return Skip(target, none.Problem);
            post = c => github.CommentAsync(target, Prepare(text), c);
        }
        else
        {
            if (!slack.Configured) return Skip(target, "SLACK_BOT_TOKEN is not set");
            post = c => slack.PostAsync(target, Prepare(text), c);
        }

        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var where = await post(ct);
                return new(true, where);
            }
            catch (ReplyFailedException ex) when (ex.Retryable && attempt < options.MaxAttempts && (ex.RetryAfter is null || ex.RetryAfter <= options.MaxRetryAfter))
            {
                var delay = ex.RetryAfter ?? TimeSpan.FromMilliseconds(options.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, attempt - 1) * (0.5 + Random.Shared.NextDouble() / 2));
                LogRetrying(target.ToString(), attempt, delay.TotalMilliseconds, redactor.Redact(ex.Message));
                await Task.Delay(delay, ct);
            }
        }
    }

    private string Prepare(string text)
    {
        text = redactor.Redact(text);
        return text.Length <= options.MaxLength ? text : text[..options.MaxLength] + "\n\n_(truncated)_";
    }

    private ReplyOutcome Skip(ReplyTarget target, string why)
    {
        LogSkipped(target.ToString(), why);
        return new(false, why);
    }

    [LoggerMessage(LogLevel.Warning, "Reply to {Target} not posted: {Reason}")]
    private partial void LogSkipped(string target, string reason);

    [LoggerMessage(LogLevel.Warning, "Reply to {Target} failed on try {Attempt}; retrying in {DelayMs:0} ms: {Error}")]
    private partial void LogRetrying(string target, int attempt, double delayMs, string error);
}
