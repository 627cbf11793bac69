using Aof.Core.Events;
using Aof.Core.Resources;

namespace Aof.Core.Triggers.GitHub;

/// <summary>
/// Decides which GitHub triggers a delivery matches. Every matching trigger yields its own
/// <see cref="TriggerMatch"/> (one message each), in the catalog's order.
/// </summary>
public static class GitHubTriggerMatcher
{
    public const string TriggerType = "GitHub";

    public static bool IsGitHub(TriggerResource trigger) =>
        string.Equals(trigger.Type, TriggerType, StringComparison.OrdinalIgnoreCase);

    public static IReadOnlyList<TriggerMatch> Match(IReadOnlyList<TriggerResource> triggers, GitHubEvent ev)
    {
        var matches = new List<TriggerMatch>();
        foreach (var trigger in triggers)
        {
            if (!trigger.Enabled || !IsGitHub(trigger) || !PassesFilters(trigger.GitHub, ev) ||
                !trigger.Filters.PassesUserAndText(ev.Sender, ev.CommentBody))
            {
                continue;
            }

            if (SelectBinding(trigger, ev) is { } match)
            {
                matches.Add(match);
            }
        }

        return matches;
    }

    /// <summary>Events, repositories and branches filters; an empty filter lets everything through.</summary>
    public static bool PassesFilters(GitHubTriggerConfig? filters, GitHubEvent ev)
    {
        if (filters is null)
        {
            return true;
        }

        if (filters.Events.Count > 0 && !filters.Events.Any(e => IsEvent(e, ev)))
        {
            return false;
        }

        if (filters.Repositories.Count > 0 &&
            (ev.Repository is null || !filters.Repositories.Any(r => GlobPattern.IsMatch(r, ev.Repository, ignoreCase: true))))
        {
            return false;
        }

        // Events without a branch (issues, comments) are not excluded by a branch filter; a push of a tag is
        // (it is a push, and it is to no branch).
        if (filters.Branches.Count == 0) return true;
        if (ev.Branch is null) return ev.EventType != "push";
        return filters.Branches.Any(b => GlobPattern.IsMatch(b, ev.Branch));
    }

    // "pull_request" names the event; "pull_request.opened" narrows it to one action.
    private static bool IsEvent(string filter, GitHubEvent ev) =>
        string.Equals(filter, ev.EventType, StringComparison.OrdinalIgnoreCase) ||
        (ev.Action is not null && string.Equals(filter, $"{ev.EventType}.{ev.Action}", StringComparison.OrdinalIgnoreCase));

    /// <summary>Slash command in the comment, then <c>event.action</c>, then the bare event; else the default agent of a trigger without commands.</summary>
    private static TriggerMatch? SelectBinding(TriggerResource trigger, GitHubEvent ev)
    {
        if (trigger.Commands.Count == 0)
        {
            return trigger.DefaultAgent is { } agent
                ? new TriggerMatch(trigger, new EventTarget(TargetKind.Agent, agent), trigger.Priority, null, null)
                : null;
        }

        if (SlashCommand.Parse(ev.CommentBody) is { } slash && Find(trigger, slash.Command) is { } slashBinding)
        {
            return new TriggerMatch(trigger, slashBinding.Target, slashBinding.Priority ?? trigger.Priority, slash.Command, slash.Args);
        }

        var binding = (ev.Action is not null ? Find(trigger, $"{ev.EventType}.{ev.Action}") : null) ?? Find(trigger, ev.EventType);
        return binding is null ? null : new TriggerMatch(trigger, binding.Target, binding.Priority ?? trigger.Priority, null, null);
    }

    // The loader's dictionary is case-insensitive already; a hand-built one may not be.
    private static CommandBinding? Find(TriggerResource trigger, string key)
    {
        if (trigger.Commands.TryGetValue(key, out var binding))
        {
            return binding;
        }

        foreach (var (k, v) in trigger.Commands)
        {
            if (string.Equals(k, key, StringComparison.OrdinalIgnoreCase))
            {
                return v;
            }
        }

        return null;
    }
}
