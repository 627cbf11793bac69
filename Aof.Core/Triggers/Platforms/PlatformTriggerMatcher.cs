using Aof.Core.Events;
using Aof.Core.Resources;

namespace Aof.Core.Triggers.Platforms;

/// <summary>
/// Decides which triggers a normalized delivery matches (every platform but GitHub, which has its own
/// matcher). Each matching trigger yields one <see cref="TriggerMatch"/>, in the order given.
/// </summary>
public static class PlatformTriggerMatcher
{
    public static IReadOnlyList<TriggerMatch> Match(IReadOnlyList<TriggerResource> triggers, PlatformEvent ev)
    {
        var matches = new List<TriggerMatch>();
        foreach (var trigger in triggers)
        {
            if (!trigger.Enabled || !trigger.Filters.Passes(ev)) continue;
            if (SelectBinding(trigger, ev) is { } match) matches.Add(match);
        }
        return matches;
    }

    /// <summary>Slash command in the text, then <c>event.action</c>, then the bare event; else the default agent of a trigger without commands.</summary>
    public static TriggerMatch? SelectBinding(TriggerResource trigger, PlatformEvent ev)
    {
        if (trigger.Commands.Count == 0)
        {
            return trigger.DefaultAgent is { } agent
                ? new TriggerMatch(trigger, new EventTarget(TargetKind.Agent, agent), trigger.Priority, null, null)
                : null;
        }

        if (SlashCommand.Parse(ev.Text) is { } slash && Find(trigger, slash.Command) is { } slashBinding)
            return new TriggerMatch(trigger, slashBinding.Target, slashBinding.Priority ?? trigger.Priority, slash.Command, slash.Args);

        var binding = (ev.Action is not null ? Find(trigger, $"{ev.EventType}.{ev.Action}") : null) ?? Find(trigger, ev.EventType);
        return binding is null ? null : new TriggerMatch(trigger, binding.Target, binding.Priority ?? trigger.Priority, null, null);
    }

    // The loader's dictionary is case-insensitive already; a hand-built one may not be.
    private static CommandBinding? Find(TriggerResource trigger, string key)
    {
        if (trigger.Commands.TryGetValue(key, out var binding)) return binding;
        foreach (var (k, v) in trigger.Commands)
            if (string.Equals(k, key, StringComparison.OrdinalIgnoreCase)) return v;
        return null;
    }
}
