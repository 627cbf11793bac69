using System.Text.Json.Nodes;
using Aof.Core.Resources;
using Aof.Runtime.Fleets;

namespace Aof.Runtime.Agents;

/// <summary>
/// Every Agent and AgentFleet of the resource catalog, read and checked once. Building it throws a
/// <see cref="ResourceLoadException"/> listing all problems (unknown tool or MCP server, unsupported fleet mode,
/// a fleet member naming no agent...), each naming the resource; the worker builds it at start so a bad tree
/// stops the start instead of dead-lettering messages later.
/// </summary>
public sealed class AgentCatalog
{
    private AgentCatalog(IReadOnlyDictionary<string, AgentDefinition> agents, IReadOnlyDictionary<string, FleetDefinition> fleets)
    {
        Agents = agents;
        Fleets = fleets;
    }

    /// <summary>Catalog agents, plus the inline agents of fleets (keyed by <see cref="FleetMember.Agent"/>).</summary>
    public IReadOnlyDictionary<string, AgentDefinition> Agents { get; }
    public IReadOnlyDictionary<string, FleetDefinition> Fleets { get; }

    public static AgentCatalog Build(ResourceCatalog catalog)
    {
        var errors = new List<ResourceError>();
        var agents = new Dictionary<string, AgentDefinition>(StringComparer.Ordinal);
        foreach (var (name, agent) in catalog.Agents)
        {
            var r = new SpecReader(agent.Source, $"Agent '{name}'", errors);
            if (AgentDefinitionReader.Read(name, agent.Spec, r) is { } def) agents[name] = def;
        }

        var fleets = new Dictionary<string, FleetDefinition>(StringComparer.Ordinal);
        foreach (var (name, fleet) in catalog.Fleets)
        {
            var r = new SpecReader(fleet.Source, $"AgentFleet '{name}'", errors);
            if (ReadFleet(name, fleet.Spec, r, catalog, agents) is { } def) fleets[name] = def;
        }

        if (errors.Count > 0) throw new ResourceLoadException(errors);
        return new AgentCatalog(agents, fleets);
    }

    private static FleetDefinition? ReadFleet(string name, JsonObject spec, SpecReader r, ResourceCatalog catalog, Dictionary<string, AgentDefinition> agents)
    {
        var before = r.ErrorCount;
        var coordination = spec["coordination"] as JsonObject ?? new JsonObject();
        var mode = (r.String(coordination, "mode") ?? r.String(spec, "mode") ?? FleetModes.Peer).Trim().ToLowerInvariant();
        if (!FleetModes.All.Contains(mode))
            r.Error("spec.coordination.mode", $"unsupported coordination mode '{mode}' (supported: {string.Join(", ", FleetModes.All)})");

        var consensusNode = coordination["consensus"] as JsonObject ?? new JsonObject();
        var consensus = (r.String(consensusNode, "algorithm") ?? SpecReader.Text(coordination["consensus"]) ?? ConsensusAlgorithms.Majority)
            .Trim().ToLowerInvariant().Replace('-', '_');
        if (!ConsensusAlgorithms.All.Contains(consensus))
            r.Error("spec.coordination.consensus.algorithm", $"unsupported consensus algorithm '{consensus}' (supported: {string.Join(", ", ConsensusAlgorithms.All)})");
        var weights = consensusNode["weights"] as JsonObject;

        var members = new List<FleetMember>();
        if (spec["agents"] is not JsonArray array || array.Count == 0)
        {
            r.Error("spec.agents", "a fleet needs at least one agent");
            return null;
        }

        for (var i = 0; i < array.Count; i++)
        {
            var field = $"spec.agents[{i}]";
            var entry = array[i] as JsonObject;
            var memberName = entry is null ? SpecReader.Text(array[i]) : r.String(entry, "name");
            if (string.IsNullOrWhiteSpace(memberName))
            {
                r.Error(field, "must be an agent name or a mapping with a name");
                continue;
            }

            string agentName;
            if (entry?["spec"] is JsonObject inline)
            {
                // Inline agents are registered under fleet/member so they cannot clash with catalog agents.
                agentName = $"{name}/{memberName}";
                if (AgentDefinitionReader.Read(agentName, inline, r, $"{field}.spec") is { } def) agents[agentName] = def;
            }
            else
            {
                agentName = (entry is null ? null : r.String(entry, "ref") ?? r.String(entry, "agent")) ?? memberName;
                if (!catalog.Agents.ContainsKey(agentName))
                {
                    r.Error(field, $"member '{memberName}' refers to Agent '{agentName}', which is not loaded (write ref: <agent> or an inline spec)");
                    continue;
                }
            }

            var weight = weights is not null && SpecReader.Text(weights[memberName]) is { } w && double.TryParse(w, System.Globalization.CultureInfo.InvariantCulture, out var wv)
                ? wv
                : entry is null ? 1 : r.Number(entry, "weight", field) ?? 1;
            members.Add(new FleetMember
            {
                Name = memberName,
                Agent = agentName,
                Replicas = entry is null ? 1 : r.Int(entry, "replicas", field, min: 1) ?? 1,
                Weight = weight,
                Tier = entry is null ? 1 : r.Int(entry, "tier", field, min: 1) ?? 1,
                Role = entry is null ? null : r.String(entry, "role"),
            });
        }

        string? manager = null;
        if (mode == FleetModes.Hierarchical)
        {
            manager = r.String(coordination, "manager")
                ?? members.FirstOrDefault(m => string.Equals(m.Role, "manager", StringComparison.OrdinalIgnoreCase))?.Name;
            if (manager is null)
                r.Error("spec.coordination.manager", "hierarchical mode needs a manager (coordination.manager, or a member with role: manager)");
            else if (members.All(m => m.Name != manager))
                r.Error("spec.coordination.manager", $"manager '{manager}' is not one of the fleet's agents");
            else if (members.Count < 2)
                r.Error("spec.agents", "hierarchical mode needs a manager and at least one other agent");
        }

        if (r.ErrorCount > before) return null;
        return new FleetDefinition { Name = name, Mode = mode, Members = members, Consensus = consensus, Manager = manager };
    }
}
