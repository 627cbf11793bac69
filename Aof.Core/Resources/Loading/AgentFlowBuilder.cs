using System.Text.Json.Nodes;

namespace Aof.Core.Resources.Loading;

/// <summary>Builds an AgentFlow: nodes with unique ids and known types, connections between existing nodes.</summary>
internal static class AgentFlowBuilder
{
    public static AgentFlowResource Build(ResourceEnvelope env, DocumentContext ctx)
    {
        var spec = env.Spec;
        // Ids of nodes with other errors still count, so one bad node does not also fail every edge to it.
        var declaredIds = new HashSet<string>(StringComparer.Ordinal);
        var nodes = ReadNodes(spec, ctx, declaredIds);
        var connections = ReadConnections(spec, ctx, declaredIds);
        return new AgentFlowResource
        {
            ApiVersion = env.ApiVersion,
            Metadata = env.Metadata,
            Source = ctx.Source,
            Spec = spec,
            Description = ctx.String(spec, "description", "spec", required: false),
            Nodes = nodes,
            Connections = connections,
        };
    }

    private static List<FlowNode> ReadNodes(JsonObject spec, DocumentContext ctx, HashSet<string> declaredIds)
    {
        var nodes = new List<FlowNode>();
        var array = ctx.Array(spec, "nodes", "spec", required: true);
        if (array is null)
        {
            return nodes;
        }

        if (array.Count == 0)
        {
            ctx.Error("spec.nodes", "must contain at least one node", ctx.LineOf(spec, "nodes"));
        }

        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < array.Count; i++)
        {
            var path = $"spec.nodes[{i}]";
            if (array[i] is not JsonObject node)
            {
                ctx.Error(path, "must be a mapping with id and type", ctx.Map.LineOf(array[i]) ?? ctx.LineOf(spec, "nodes"));
                continue;
            }

            var id = ctx.String(node, "id", path, required: true)?.Trim();
            var type = ctx.String(node, "type", path, required: true)?.Trim();
            var config = ctx.Object(node, "config", path, required: false) ?? new JsonObject();

            if (id is not null)
            {
                if (id == FlowNodeTypes.Start)
                {
                    ctx.Error($"{path}.id", $"'{FlowNodeTypes.Start}' is reserved for the flow's entry point", ctx.LineOf(node, "id"));
                    id = null;
                }
                else if (seen.TryGetValue(id, out var first))
                {
                    ctx.Error($"{path}.id", $"duplicate node id '{id}' (also spec.nodes[{first}])", ctx.LineOf(node, "id"));
                    id = null;
                }
                else
                {
                    seen[id] = i;
                    declaredIds.Add(id);
                }
            }

            string? canonical = null;
            if (type is not null)
            {
                canonical = FlowNodeTypes.Canonical(type);
                if (canonical is null)
                {
                    ctx.Error($"{path}.type", $"unknown node type '{type}' (known: {string.Join(", ", FlowNodeTypes.Known)})", ctx.LineOf(node, "type"));
                }
            }

            if (id is not null && canonical is not null)
            {
                nodes.Add(new FlowNode { Id = id, Type = canonical, Config = config });
            }
        }

        return nodes;
    }

    private static List<FlowConnection> ReadConnections(JsonObject spec, DocumentContext ctx, HashSet<string> nodeIds)
    {
        var connections = new List<FlowConnection>();
        var array = ctx.Array(spec, "connections", "spec", required: true);
        if (array is null)
        {
            return connections;
        }

        for (var i = 0; i < array.Count; i++)
        {
            var path = $"spec.connections[{i}]";
            if (array[i] is not JsonObject edge)
            {
                ctx.Error(path, "must be a mapping with from and to", ctx.Map.LineOf(array[i]) ?? ctx.LineOf(spec, "connections"));
                continue;
            }

            var from = ctx.String(edge, "from", path, required: true)?.Trim();
            var to = ctx.String(edge, "to", path, required: true)?.Trim();
            if (from is not null && from != FlowNodeTypes.Start && !nodeIds.Contains(from))
            {
                ctx.Error($"{path}.from", $"no node with id '{from}' (nor '{FlowNodeTypes.Start}')", ctx.LineOf(edge, "from"));
                from = null;
            }

            if (to is not null && !nodeIds.Contains(to))
            {
                ctx.Error($"{path}.to", $"no node with id '{to}'", ctx.LineOf(edge, "to"));
                to = null;
            }

            var when = ctx.String(edge, "when", path, required: false);
            var condition = ctx.String(edge, "condition", path, required: false);
            if (when is not null && condition is not null && when != condition)
            {
                ctx.Error($"{path}.condition", "give either 'when' or 'condition', not both", ctx.LineOf(edge, "condition"));
            }

            if (from is not null && to is not null)
            {
                var expression = when ?? condition;
                connections.Add(new FlowConnection(from, to, string.IsNullOrWhiteSpace(expression) ? null : expression));
            }
        }

        return connections;
    }
}
