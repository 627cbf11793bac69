namespace Aof.Runtime.Fleets;

/// <summary>The coordination modes a fleet may use; any other is a load-time error.</summary>
public static class FleetModes
{
    public const string Pipeline = "pipeline";
    public const string Peer = "peer";
    public const string Hierarchical = "hierarchical";
    public const string Tiered = "tiered";

    public static readonly string[] All = [Pipeline, Peer, Hierarchical, Tiered];
}

public static class ConsensusAlgorithms
{
    public const string Majority = "majority";
    public const string Unanimous = "unanimous";
    public const string FirstWins = "first_wins";
    public const string Weighted = "weighted";

    public static readonly string[] All = [Majority, Unanimous, FirstWins, Weighted];
}

/// <summary>An AgentFleet ready to run.</summary>
public sealed class FleetDefinition
{
    public required string Name { get; init; }
    public required string Mode { get; init; }
    public required IReadOnlyList<FleetMember> Members { get; init; }
    public string Consensus { get; init; } = ConsensusAlgorithms.Majority;

    /// <summary>Hierarchical: the member that delegates to the others.</summary>
    public string? Manager { get; init; }
}

/// <summary>One <c>spec.agents</c> entry: which agent, how many replicas, and its place in the fleet.</summary>
public sealed class FleetMember
{
    public required string Name { get; init; }

    /// <summary>The agent's own name in the catalog, or the member name for inline specs.</summary>
    public required string Agent { get; init; }
    public int Replicas { get; init; } = 1;
    public double Weight { get; init; } = 1;
    public int Tier { get; init; } = 1;
    public string? Role { get; init; }
}
