using System.Text.RegularExpressions;

namespace Aof.Core.Triggers;

/// <summary>
/// AOF's trigger filter fields, read from a trigger's <c>config</c>. An empty list lets everything through.
/// Patterns are compiled once at load time (an invalid one is a load error naming the trigger) and run
/// with <see cref="PatternTimeout"/>, so a pathological pattern over a large text cannot hold the gateway.
/// </summary>
public sealed class TriggerFilters
{
    public static readonly TimeSpan PatternTimeout = TimeSpan.FromMilliseconds(100);

    public static TriggerFilters None { get; } = new();

    /// <summary><c>events</c> (GitHub: <c>github_events</c>): "event" or "event.action".</summary>
    public IReadOnlyList<string> Events { get; init; } = [];
    public IReadOnlyList<string> Channels { get; init; } = [];
    public IReadOnlyList<string> Users { get; init; } = [];
    public IReadOnlyList<Regex> Patterns { get; init; } = [];
    public IReadOnlyList<string> ChatIds { get; init; } = [];
    public IReadOnlyList<string> GuildIds { get; init; } = [];
    public IReadOnlyList<string> ServiceIds { get; init; } = [];
    public IReadOnlyList<string> Repositories { get; init; } = [];
    public IReadOnlyList<string> Branches { get; init; } = [];

    public static Regex CompilePattern(string pattern) =>
        new(pattern, RegexOptions.CultureInvariant, PatternTimeout);

    /// <summary>Users and patterns: the two filters every platform has (GitHub applies them to sender and comment).</summary>
    public bool PassesUserAndText(string? user, string? text) =>
        AnyOrEmpty(Users, user, static (f, v) => GlobPattern.IsMatch(f, v, ignoreCase: true)) && PatternsMatch(text);

    public bool Passes(PlatformEvent ev) =>
        (Events.Count == 0 || Events.Any(e => IsEvent(e, ev.EventType, ev.Action))) &&
        AnyOrEmpty(Channels, ev.Channel, static (f, v) => GlobPattern.IsMatch(f, v, ignoreCase: true)) &&
        AnyOrEmpty(ChatIds, ev.ChatId, static (f, v) => string.Equals(f, v, StringComparison.Ordinal)) &&
        AnyOrEmpty(GuildIds, ev.GuildId, static (f, v) => string.Equals(f, v, StringComparison.Ordinal)) &&
        AnyOrEmpty(ServiceIds, ev.ServiceId, static (f, v) => string.Equals(f, v, StringComparison.Ordinal)) &&
        AnyOrEmpty(Repositories, ev.Repo, static (f, v) => GlobPattern.IsMatch(f, v, ignoreCase: true)) &&
        (Branches.Count == 0 || ev.Branch is null || Branches.Any(b => GlobPattern.IsMatch(b, ev.Branch))) &&
        PassesUserAndText(ev.User, ev.Text);

    /// <summary>"pull_request" names the event; "pull_request.opened" narrows it to one action.</summary>
    public static bool IsEvent(string filter, string eventType, string? action) =>
        string.Equals(filter, eventType, StringComparison.OrdinalIgnoreCase) ||
        (action is not null && filter.Length == eventType.Length + 1 + action.Length &&
         string.Equals(filter, $"{eventType}.{action}", StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// True when no pattern is set, or one matches <paramref name="text"/> within its time limit. A pattern that
    /// runs out of time counts as not matching: a slow pattern must never turn into a match.
    /// </summary>
    public bool PatternsMatch(string? text)
    {
        if (Patterns.Count == 0) return true;
        if (text is null) return false;
        foreach (var pattern in Patterns)
        {
            try
            {
                if (pattern.IsMatch(text)) return true;
            }
            catch (RegexMatchTimeoutException)
            {
                // Not a match; the next pattern still gets its own time limit.
            }
        }
        return false;
    }

    private static bool AnyOrEmpty(IReadOnlyList<string> filter, string? value, Func<string, string, bool> matches)
    {
        if (filter.Count == 0) return true;
        if (value is null) return false;
        foreach (var f in filter)
            if (matches(f, value)) return true;
        return false;
    }
}
