using System.Text.Json;
using System.Text.Json.Nodes;
using Aof.Core.Events;
using Aof.Core.Queue;
using Aof.Core.Resources;
using Aof.Runtime.Execution;

namespace Aof.Runtime.Flows.Nodes;

/// <summary>
/// <c>type: Agent</c> (<c>config.agent</c>) and <c>type: Fleet</c> (<c>config.fleet</c>): resolves the named resource
/// and runs it through the executor registered for that target kind, with the node's rendered <c>input</c> (default:
/// the previous node's output), replying where the event came from unless <c>reply: false</c>. The registry is resolved at
/// run time: the flow executor is itself one of its executors.
/// Output: the target's output, parsed when it is a JSON object or array so <c>${node.output.field}</c> works.
/// </summary>
public abstract class TargetNode(ResourceCatalog catalog, Func<TargetExecutorRegistry> registry, TargetKind kind, string key) : INodeHandler
{
    public abstract string Type { get; }

    public async Task<NodeResult> ExecuteAsync(FlowNode node, FlowContext context, CancellationToken ct)
    {
        var name = NodeConfig.GetString(node.Config, key) ?? throw NodeConfig.Missing($"config.{key}");
        if (!Exists(name))
            throw new PermanentExecutionException(DeadLetterReasons.UnknownTarget, $"no {kind} named '{name}' is loaded");

        var input = NodeConfig.GetString(node.Config, "input") is { } template
            ? context.RenderText(template)
            : context.PreviousOutput is { } previous ? Expressions.JsonValues.ToText(previous) : null;

        var source = context.Event;
        var envelope = new EventEnvelope
        {
            Id = source.Id,
            Timestamp = source.Timestamp,
            Platform = source.Platform,
            Org = source.Org,
            Repo = source.Repo,
            EventType = source.EventType,
            Action = source.Action,
            TriggerName = source.TriggerName,
            Target = new EventTarget(kind, name),
            Priority = source.Priority,
            Payload = source.Payload,
            Metadata = source.Metadata,
        };
        var request = ExecutionRequest.For(envelope, context.Request.Attempt) with
        {
            ExecutionId = context.Request.ExecutionId,
            Input = input,
            // A node whose answer feeds later nodes (a classification, JSON for a Conditional) says reply: false, so the
            // answer is not also posted where the event came from.
            PostReply = NodeConfig.GetBool(node.Config, "reply", true),
        };
        var result = await registry().ExecuteAsync(request, ct);
        if (result.DeferFor is not null)
            throw new PermanentExecutionException(DeadLetterReasons.PermanentFailure, $"{kind} '{name}' tried to suspend, which a flow node cannot do");
        return new NodeResult(ParseOutput(result.Output));
    }

    private bool Exists(string name) => kind switch
    {
        TargetKind.Agent => catalog.Agents.ContainsKey(name),
        TargetKind.Fleet => catalog.Fleets.ContainsKey(name),
        _ => false,
    };

    private static JsonNode? ParseOutput(string? output)
    {
        if (output is null) return null;
        var trimmed = output.AsSpan().TrimStart();
        if (trimmed.Length > 0 && (trimmed[0] == '{' || trimmed[0] == '['))
        {
            try { return JsonNode.Parse(output); }
            catch (JsonException) { /* not JSON after all: keep the text */ }
        }
        return JsonValue.Create(output);
    }
}

public sealed class AgentNode(ResourceCatalog catalog, Func<TargetExecutorRegistry> registry)
    : TargetNode(catalog, registry, TargetKind.Agent, "agent")
{
    public override string Type => "Agent";
}

public sealed class FleetNode(ResourceCatalog catalog, Func<TargetExecutorRegistry> registry)
    : TargetNode(catalog, registry, TargetKind.Fleet, "fleet")
{
    public override string Type => "Fleet";
}
