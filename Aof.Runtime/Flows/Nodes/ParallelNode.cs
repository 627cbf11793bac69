using System.Text.Json.Nodes;
using Aof.Core.Resources;

namespace Aof.Runtime.Flows.Nodes;

/// <summary>
/// <c>type: Parallel</c>: fans out. The branches are <c>config.branches</c> (node ids) or else every outgoing connection
/// whose <c>when</c> holds. The flow executor walks each branch concurrently until it reaches a <c>Join</c> node (which
/// then runs once with all the branches' outcomes) or ends. Branches cannot suspend (no Wait or Approval inside).
/// This handler only names the branches; the walking is the executor's.
/// </summary>
public sealed class ParallelNode : INodeHandler
{
    public string Type => "Parallel";

    public Task<NodeResult> ExecuteAsync(FlowNode node, FlowContext context, CancellationToken ct)
    {
        var branches = node.Config["branches"] switch
        {
            null => null,
            JsonArray a => new JsonArray([.. a.Select(b => (JsonNode?)JsonValue.Create(Expressions.JsonValues.ToText(b)))]),
            _ => throw NodeConfig.Invalid("branches", "a list of node ids"),
        };
        return Task.FromResult(new NodeResult(new JsonObject { ["branches"] = branches }));
    }
}
