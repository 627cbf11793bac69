using System.Text.Json.Nodes;

namespace Aof.Core.Resources.Loading;

/// <summary>Builds Agent and AgentFleet resources; their specs are mostly kept as written for the runtime.</summary>
internal static class AgentBuilder
{
    public static AgentResource BuildAgent(ResourceEnvelope env, DocumentContext ctx)
    {
        var spec = env.Spec;
        return new AgentResource
        {
            ApiVersion = env.ApiVersion,
            Metadata = env.Metadata,
            Source = ctx.Source,
            Spec = spec,
            Model = ctx.String(spec, "model", "spec", required: false),
            Instructions = ctx.String(spec, "instructions", "spec", required: false)
                ?? ctx.String(spec, "system_prompt", "spec", required: false),
            Tools = ReadTools(spec, ctx),
        };
    }

    public static AgentFleetResource BuildFleet(ResourceEnvelope env, DocumentContext ctx) => new()
    {
        ApiVersion = env.ApiVersion,
        Metadata = env.Metadata,
        Source = ctx.Source,
        Spec = env.Spec,
    };

    // AOF writes tools as names ("- shell") or as mappings with a name.
    private static List<string> ReadTools(JsonObject spec, DocumentContext ctx)
    {
        var tools = new List<string>();
        var array = ctx.Array(spec, "tools", "spec", required: false);
        if (array is null)
        {
            return tools;
        }

        for (var i = 0; i < array.Count; i++)
        {
            var name = array[i] is JsonObject obj ? ctx.ScalarText(obj["name"]) : ctx.ScalarText(array[i]);
            if (string.IsNullOrWhiteSpace(name))
            {
                ctx.Error($"spec.tools[{i}]", "must be a tool name or a mapping with a name", ctx.Map.LineOf(array[i]) ?? ctx.LineOf(spec, "tools"));
                continue;
            }

            tools.Add(name);
        }

        return tools;
    }
}
