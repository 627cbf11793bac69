using Aof.Core.Events;
using Aof.Core.Resources;

namespace Aof.Core.Triggers;

/// <summary>
/// The few fields of a GitHub delivery that trigger matching needs, read by the gateway from the raw body
/// without materializing the payload.
/// </summary>
public sealed record GitHubEvent
{
    /// <summary>X-GitHub-Event (pull_request, push, issue_comment...).</summary>
    public required string EventType { get; init; }

    /// <summary>payload.action; null for events without one (push).</summary>
    public string? Action { get; init; }

    /// <summary>repository.full_name (owner/repo).</summary>
    public string? Repository { get; init; }

    /// <summary>organization.login, else repository.owner.login.</summary>
    public string? Org { get; init; }

    /// <summary>
    /// Branch the event is about: push -> ref without refs/heads/; pull_request* -> pull_request.base.ref;
    /// others -> null (a branches filter then does not exclude the event).
    /// </summary>
    public string? Branch { get; init; }

    /// <summary>sender.login.</summary>
    public string? Sender { get; init; }

    /// <summary>comment.body for issue_comment / pull_request_review_comment; null otherwise.</summary>
    public string? CommentBody { get; init; }
}

/// <summary>One trigger matched: publish one message for it.</summary>
public sealed record TriggerMatch(
    TriggerResource Trigger,
    EventTarget Target,
    Priority Priority,
    string? Command,
    string? Args);
