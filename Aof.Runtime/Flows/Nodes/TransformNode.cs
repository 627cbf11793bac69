using Aof.Core.Resources;

namespace Aof.Runtime.Flows.Nodes;

/// <summary>
/// <c>type: Transform</c>: builds its output from templates. <c>config.output</c> may be any JSON (strings inside
/// are rendered recursively); <c>config.template</c> is a single string template.
/// </summary>
public sealed class TransformNode : INodeHandler
{
    public string Type => "Transform";

    public Task<NodeResult> ExecuteAsync(FlowNode node, FlowContext context, CancellationToken ct)
    {
        if (node.Config.TryGetPropertyValue("output", out var output))
            return Task.FromResult(new NodeResult(context.RenderTree(output)));

        var template = NodeConfig.GetString(node.Config, "template")
            ?? throw NodeConfig.Missing("config.output or config.template");
        return Task.FromResult(new NodeResult(context.Render(template)));
    }
}
