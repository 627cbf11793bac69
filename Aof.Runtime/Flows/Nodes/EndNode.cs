using Aof.Core.Resources;

namespace Aof.Runtime.Flows.Nodes;

/// <summary><c>type: End</c>: stops the flow; <c>config.message</c> (a template) is the flow's output, else the previous node's output.</summary>
public sealed class EndNode : INodeHandler
{
    public string Type => "End";

    public Task<NodeResult> ExecuteAsync(FlowNode node, FlowContext context, CancellationToken ct)
    {
        var message = NodeConfig.GetString(node.Config, "message");
        var output = message is null ? context.PreviousOutput?.DeepClone() : context.Render(message);
        return Task.FromResult(new NodeResult(output) { IsEnd = true });
    }
}
