namespace Aof.Core.Triggers;

/// <summary>
/// A verified delivery of any platform, normalized to the fields trigger matching and the envelope use.
/// Fields a platform does not have stay null; a filter on such a field then does not let the event through
/// (an allow-list of users must not admit an event without a user), except <see cref="Branch"/>.
/// </summary>
public sealed record PlatformEvent
{
    /// <summary>Route name: gitlab, slack, discord...</summary>
    public required string Platform { get; init; }

    /// <summary>The platform's event name (merge_request, app_mention, incident, repo:push...).</summary>
    public required string EventType { get; init; }

    public string? Action { get; init; }

    /// <summary>Organization, group, workspace or team.</summary>
    public string? Org { get; init; }

    /// <summary>Repository (group/project, workspace/repo) for code platforms; project key for Jira.</summary>
    public string? Repo { get; init; }

    /// <summary>Channel (Slack, Discord), chat (Telegram), phone number id (WhatsApp).</summary>
    public string? Channel { get; init; }

    public string? User { get; init; }

    /// <summary>Message, comment or command text; slash commands and <c>patterns</c> are read from it.</summary>
    public string? Text { get; init; }

    /// <summary>Branch for push and merge/pull request events; null elsewhere (a branches filter then lets it through).</summary>
    public string? Branch { get; init; }

    public string? ChatId { get; init; }
    public string? GuildId { get; init; }
    public string? ServiceId { get; init; }

    /// <summary>The platform's id of this delivery: the dedup key.</summary>
    public required string DeliveryId { get; init; }
}
