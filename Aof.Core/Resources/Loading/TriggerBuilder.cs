using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Aof.Core.Events;
using Aof.Core.Triggers;

namespace Aof.Core.Resources.Loading;

/// <summary>A name a resource refers to, checked once every file is loaded.</summary>
internal sealed record ResourceReference(string File, int Document, string Field, int? Line, TargetKind Kind, string Name);

/// <summary>Builds a Trigger: type, command bindings (exactly one target each), priority, and typed GitHub settings.</summary>
internal static class TriggerBuilder
{
    private static readonly string[] TargetKeys = ["agent", "fleet", "flow"];

    public static TriggerResource Build(ResourceEnvelope env, DocumentContext ctx, ICollection<ResourceReference> references)
    {
        var spec = env.Spec;
        var type = ctx.String(spec, "type", "spec", required: true)?.Trim() ?? "";
        var config = ctx.Object(spec, "config", "spec", required: false) ?? new JsonObject();
        var priority = ReadPriority(spec, "spec", ctx) ?? Priority.Normal;
        var commands = ReadCommands(spec, ctx, references);

        var defaultAgent = ctx.String(spec, "default_agent", "spec", required: false)?.Trim();
        if (string.IsNullOrEmpty(defaultAgent))
        {
            defaultAgent = null;
        }
        else
        {
            references.Add(new ResourceReference(ctx.File, ctx.Index, "spec.default_agent", ctx.LineOf(spec, "default_agent"), TargetKind.Agent, defaultAgent));
        }

        return new TriggerResource
        {
            ApiVersion = env.ApiVersion,
            Metadata = env.Metadata,
            Source = ctx.Source,
            Spec = spec,
            Type = type,
            Enabled = ctx.Bool(spec, "enabled", "spec") ?? true,
            Config = config,
            Commands = commands,
            DefaultAgent = defaultAgent,
            Priority = priority,
            Filters = ReadFilters(env.Metadata.Name, type, config, ctx),
            GitHub = string.Equals(type, "GitHub", StringComparison.OrdinalIgnoreCase) ? ReadGitHub(spec, config, ctx) : null,
        };
    }

    private static Priority? ReadPriority(JsonObject owner, string path, DocumentContext ctx)
    {
        var text = ctx.String(owner, "priority", path, required: false);
        if (text is null)
        {
            return null;
        }

        if (text.Trim().Length == 0 || !PriorityNames.TryParse(text, out var priority))
        {
            ctx.Error(DocumentContext.Join(path, "priority"), $"must be high, normal or low, not '{text}'", ctx.LineOf(owner, "priority"));
            return null;
        }

        return priority;
    }

    private static Dictionary<string, CommandBinding> ReadCommands(JsonObject spec, DocumentContext ctx, ICollection<ResourceReference> references)
    {
        // Case-insensitive: "/Review" typed in a comment should find "/review".
        var commands = new Dictionary<string, CommandBinding>(StringComparer.OrdinalIgnoreCase);
        var obj = ctx.Object(spec, "commands", "spec", required: false);
        if (obj is null)
        {
            return commands;
        }

        foreach (var (key, value) in obj)
        {
            var path = $"spec.commands[\"{key}\"]";
            var line = ctx.LineOf(obj, key);
            if (value is not JsonObject binding)
            {
                ctx.Error(path, "must be a mapping naming one of agent, fleet or flow", line);
                continue;
            }

            if (commands.ContainsKey(key))
            {
                ctx.Error(path, "duplicate command (command keys are case-insensitive)", line);
                continue;
            }

            var given = TargetKeys.Where(k => binding[k] is not null).ToList();
            if (given.Count != 1)
            {
                var found = given.Count == 0 ? "none" : string.Join(", ", given);
                ctx.Error(path, $"must name exactly one of agent, fleet or flow (found: {found})", line);
                continue;
            }

            var targetKey = given[0];
            var name = ctx.String(binding, targetKey, path, required: true)?.Trim();
            var description = ctx.String(binding, "description", path, required: false);
            var priority = ReadPriority(binding, path, ctx);
            if (name is null)
            {
                continue;
            }

            EventTarget.TryParseKind(targetKey, out var kind);
            var target = new EventTarget(kind, name);
            references.Add(new ResourceReference(ctx.File, ctx.Index, $"{path}.{targetKey}", ctx.LineOf(binding, targetKey), kind, name));
            commands[key] = new CommandBinding(target, description, priority);
        }

        return commands;
    }

    /// <summary>The filter fields; every pattern is compiled now so a bad one fails the load, naming the trigger.</summary>
    private static TriggerFilters ReadFilters(string triggerName, string type, JsonObject config, DocumentContext ctx)
    {
        const string path = "spec.config";
        var isGitHub = string.Equals(type, "GitHub", StringComparison.OrdinalIgnoreCase);
        var patterns = new List<Regex>();
        var patternTexts = ctx.StringList(config, "patterns", path);
        for (var i = 0; i < patternTexts.Count; i++)
        {
            try
            {
                patterns.Add(TriggerFilters.CompilePattern(patternTexts[i]));
            }
            catch (ArgumentException ex)
            {
                ctx.Error($"{path}.patterns[{i}]", $"trigger '{triggerName}': invalid regular expression '{patternTexts[i]}': {ex.Message}",
                    ctx.LineOf(config, "patterns"));
            }
        }

        var users = ctx.StringList(config, "users", path);
        // GitHub's events, repositories and branches live in GitHubTriggerConfig (read there, once).
        if (isGitHub) return new TriggerFilters { Users = users, Patterns = patterns };

        return new TriggerFilters
        {
            Events = ctx.StringList(config, "events", path),
            Channels = ctx.StringList(config, "channels", path),
            Users = users,
            Patterns = patterns,
            ChatIds = ctx.StringList(config, "chat_ids", path),
            GuildIds = ctx.StringList(config, "guild_ids", path),
            ServiceIds = ctx.StringList(config, "service_ids", path),
            Repositories = ctx.StringList(config, "repositories", path),
            Branches = ctx.StringList(config, "branches", path),
        };
    }

    private static GitHubTriggerConfig? ReadGitHub(JsonObject spec, JsonObject config, DocumentContext ctx)
    {
        const string path = "spec.config";
        string? secret;
        if (spec["config"] is not JsonObject)
        {
            // No config at all: the secret is what is missing.
            ctx.Error("spec.config.webhook_secret", "required for a GitHub trigger", ctx.LineOf(spec, "config") ?? ctx.Map.LineOf(spec));
            secret = null;
        }
        else
        {
            secret = ctx.String(config, "webhook_secret", path, required: true);
        }

        var events = ctx.StringList(config, "github_events", path);
        var repositories = ctx.StringList(config, "repositories", path);
        var branches = ctx.StringList(config, "branches", path);
        return secret is null ? null : new GitHubTriggerConfig
        {
            WebhookSecret = secret,
            Events = events,
            Repositories = repositories,
            Branches = branches,
        };
    }
}
