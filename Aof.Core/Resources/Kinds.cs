using System.Text.Json.Nodes;
using Aof.Core.Events;

namespace Aof.Core.Resources;

public static class ResourceKinds
{
    public const string Agent = "Agent";
    public const string AgentFleet = "AgentFleet";
    public const string AgentFlow = "AgentFlow";
    public const string Trigger = "Trigger";
    public const string DaemonConfig = "DaemonConfig";

    public static readonly string[] All = [Agent, AgentFleet, AgentFlow, Trigger, DaemonConfig];
}

public sealed class AgentResource : Resource
{
    public override string Kind => ResourceKinds.Agent;
    public string? Model { get; init; }
    public string? Instructions { get; init; }
    public IReadOnlyList<string> Tools { get; init; } = [];
}

public sealed class AgentFleetResource : Resource
{
    public override string Kind => ResourceKinds.AgentFleet;
}

public sealed class AgentFlowResource : Resource
{
    public override string Kind => ResourceKinds.AgentFlow;
    public string? Description { get; init; }
    public required IReadOnlyList<FlowNode> Nodes { get; init; }
    public required IReadOnlyList<FlowConnection> Connections { get; init; }
}

/// <summary>A flow step. <see cref="Config"/> is the node's <c>config</c> as written; each node type reads its own fields.</summary>
public sealed class FlowNode
{
    public required string Id { get; init; }
    public required string Type { get; init; }
    public JsonObject Config { get; init; } = new();
}

/// <summary>An edge. <see cref="When"/> is the condition (AOF writes it <c>when</c> or <c>condition</c>); null: always.</summary>
public sealed record FlowConnection(string From, string To, string? When);

public sealed class TriggerResource : Resource
{
    public override string Kind => ResourceKinds.Trigger;

    /// <summary>Platform type as written (GitHub, Slack, ...).</summary>
    public required string Type { get; init; }

    public bool Enabled { get; init; } = true;

    /// <summary>The trigger's <c>config</c> block (platform settings and filters).</summary>
    public JsonObject Config { get; init; } = new();

    /// <summary>Command bindings keyed as written: "/review", "pull_request.opened", "push".</summary>
    public IReadOnlyDictionary<string, CommandBinding> Commands { get; init; } = new Dictionary<string, CommandBinding>();

    public string? DefaultAgent { get; init; }

    /// <summary>Lane for every message of this trigger unless its command says otherwise.</summary>
    public Priority Priority { get; init; } = Priority.Normal;

    /// <summary>Filter fields of <c>config</c> (events, channels, users, patterns, chat_ids, guild_ids, service_ids, repositories, branches).</summary>
    public Triggers.TriggerFilters Filters { get; init; } = Triggers.TriggerFilters.None;

    /// <summary>Typed GitHub settings; set when <see cref="Type"/> is GitHub.</summary>
    public GitHubTriggerConfig? GitHub { get; init; }
}

public sealed record CommandBinding(EventTarget Target, string? Description, Priority? Priority);

public sealed class GitHubTriggerConfig
{
    public required string WebhookSecret { get; init; }

    /// <summary>Empty: every event.</summary>
    public IReadOnlyList<string> Events { get; init; } = [];

    /// <summary>owner/repo or owner/*; empty: every repository.</summary>
    public IReadOnlyList<string> Repositories { get; init; } = [];

    /// <summary>Branch globs (release/*); empty: every branch.</summary>
    public IReadOnlyList<string> Branches { get; init; } = [];
}

public sealed class DaemonConfigResource : Resource
{
    public override string Kind => ResourceKinds.DaemonConfig;
}
