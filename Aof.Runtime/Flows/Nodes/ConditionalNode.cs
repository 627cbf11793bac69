using System.Text.Json;
using System.Text.Json.Nodes;
using Aof.Core.Resources;
using Aof.Runtime.Flows.Expressions;

namespace Aof.Runtime.Flows.Nodes;

/// <summary>
/// <c>type: Conditional</c>, two forms:
/// <list type="bullet">
/// <item><c>expression</c> + <c>true_target</c>/<c>false_target</c>: the condition picks branch "true" or "false".</item>
/// <item><c>expression</c> + <c>cases</c> (value -> node id, optional <c>default</c>): the expression's value picks the case.</item>
/// </list>
/// A branch without a target node is followed through connections whose <c>when</c> is the branch label.
/// The node's output is the expression's value (a boolean in the first form).
/// </summary>
public sealed class ConditionalNode : INodeHandler
{
    public const string DefaultCase = "default";

    private static readonly string[] BooleanLabels = ["true", "false"];

    public string Type => "Conditional";

    public Task<NodeResult> ExecuteAsync(FlowNode node, FlowContext context, CancellationToken ct)
    {
        var expression = NodeConfig.GetString(node.Config, "expression") ?? NodeConfig.GetString(node.Config, "condition")
            ?? throw NodeConfig.Missing("config.expression");
        var condition = Condition.Parse(expression);

        var cases = NodeConfig.GetObject(node.Config, "cases");
        return Task.FromResult(cases is null ? Boolean(node, condition, context) : Cases(cases, condition, context));
    }

    private static NodeResult Boolean(FlowNode node, Condition condition, FlowContext context)
    {
        var holds = condition.IsTrue(context);
        var target = NodeConfig.GetString(node.Config, holds ? "true_target" : "false_target");
        return new NodeResult(JsonValue.Create(holds))
        {
            Branch = holds ? "true" : "false",
            BranchLabels = BooleanLabels,
            Next = string.IsNullOrEmpty(target) ? null : target,
        };
    }

    private static NodeResult Cases(JsonObject cases, Condition condition, FlowContext context)
    {
        var value = condition.Evaluate(context);
        var key = value is null || value.GetValueKind() == JsonValueKind.Null ? null : JsonValues.ToText(value);

        var label = key is not null && cases.ContainsKey(key) ? key : DefaultCase;
        var target = NodeConfig.GetString(cases, label);
        return new NodeResult(value?.DeepClone())
        {
            Branch = label,
            BranchLabels = [.. cases.Select(kv => kv.Key), DefaultCase],
            Next = string.IsNullOrEmpty(target) ? null : target,
        };
    }
}
