using System.Diagnostics;
using Aof.Core.Queue;
using Aof.Core.Resources;
using Aof.Core.Telemetry;
using Aof.Runtime.Execution;
using Aof.Runtime.Flows.Expressions;
using Aof.Runtime.Flows.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Aof.Runtime.Flows;

/// <summary>
/// Walks an AgentFlow: from the implicit <c>start</c> node, run a node, then follow the first outgoing
/// connection whose <c>when</c> holds (declaration order; no fan-out), until an End node or a node with no
/// way on. The flow's output is the End node's output, else the last node's. Loops are allowed but bounded
/// by <see cref="MaxSteps"/>.
/// </summary>
public sealed class FlowExecutor
{
    public const string StartNode = "start";
    public const int DefaultMaxSteps = 1000;

    private readonly Dictionary<string, INodeHandler> _handlers = new(StringComparer.OrdinalIgnoreCase);
    private readonly ILogger<FlowExecutor> _logger;

    public FlowExecutor(IEnumerable<INodeHandler> handlers, ILogger<FlowExecutor> logger)
    {
        foreach (var h in handlers) _handlers[h.Type] = h;
        _logger = logger;
    }

    /// <summary>An executor with the built-in node types (Transform, Script, Conditional, End).</summary>
    public static FlowExecutor CreateDefault(ILogger<FlowExecutor>? logger = null) =>
        new(BuiltInNodes(), logger ?? NullLogger<FlowExecutor>.Instance);

    public static IEnumerable<INodeHandler> BuiltInNodes() =>
        [new TransformNode(), new ScriptNode(), new ConditionalNode(), new EndNode()];

    /// <summary>Steps (nodes run) after which a flow is stopped as a runaway loop.</summary>
    public int MaxSteps { get; init; } = DefaultMaxSteps;

    /// <summary>
    /// Runs <paramref name="flow"/> for one event. Throws <see cref="PermanentExecutionException"/> for definition
    /// errors (unknown node or type, bad condition, runaway loop) and other exceptions for retryable failures.
    /// </summary>
    public async Task<FlowResult> ExecuteAsync(AgentFlowResource flow, ExecutionRequest request, CancellationToken ct)
    {
        var nodes = IndexNodes(flow);
        var context = new FlowContext(flow, request);
        var visited = new List<string>();

        var current = StartNode;
        NodeResult? last = null;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var nextId = NextNode(flow, current, last, nodes, context);
            if (nextId is null) break;

            if (visited.Count >= MaxSteps)
                throw Permanent(flow, $"stopped after {MaxSteps} steps (a loop between nodes never ends); last node '{current}'");

            var node = nodes[nextId];
            var handler = _handlers.GetValueOrDefault(node.Type)
                ?? throw Permanent(flow, $"node '{node.Id}': node type {node.Type} is not supported by this runtime yet");

            _logger.LogDebug("Flow {Flow} message {MessageId}: running node {Node} ({Type})", flow.Name, request.Envelope.Id, node.Id, node.Type);
            last = await RunNodeAsync(flow, node, handler, context, ct);
            visited.Add(node.Id);
            context.RecordOutput(node.Id, last.Output);
            current = node.Id;
            if (last.IsEnd) break;
        }
        return new FlowResult(last?.Output, visited);
    }

    private static async Task<NodeResult> RunNodeAsync(AgentFlowResource flow, FlowNode node, INodeHandler handler, FlowContext context, CancellationToken ct)
    {
        var where = $"flow '{flow.Name}' node '{node.Id}' ({node.Type})";
        // One span per node, a child of the worker's process span: the trace shows which node took the time or failed.
        using var activity = AofTelemetry.Source.StartActivity($"node {node.Id}", ActivityKind.Internal);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("aof.flow", flow.Name);
            activity.SetTag("aof.node.id", node.Id);
            activity.SetTag("aof.node.type", node.Type);
        }
        try
        {
            return await handler.ExecuteAsync(node, context, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (PermanentExecutionException ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            throw new PermanentExecutionException(ex.Reason, $"{where}: {ex.Message}", ex);
        }
        catch (ExpressionException ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            throw new PermanentExecutionException(DeadLetterReasons.PermanentFailure, $"{where}: {ex.Message}", ex);
        }
        catch (Exception ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            throw new ExecutionFailedException($"{where}: {ex.Message}", ex);
        }
    }

    /// <summary>The node after <paramref name="current"/>: an explicit target, else the first connection that holds.</summary>
    private static string? NextNode(AgentFlowResource flow, string current, NodeResult? last, Dictionary<string, FlowNode> nodes, FlowContext context)
    {
        if (last?.Next is { } explicitTarget)
        {
            return nodes.ContainsKey(explicitTarget)
                ? explicitTarget
                : throw Permanent(flow, $"node '{current}' branches to unknown node '{explicitTarget}'");
        }

        foreach (var c in flow.Connections)
        {
            if (!string.Equals(c.From, current, StringComparison.Ordinal)) continue;
            if (!ConnectionHolds(flow, c, last, context)) continue;
            return nodes.ContainsKey(c.To)
                ? c.To
                : throw Permanent(flow, $"connection '{c.From}' -> '{c.To}' points to unknown node '{c.To}'");
        }
        return null;
    }

    private static bool ConnectionHolds(AgentFlowResource flow, FlowConnection c, NodeResult? from, FlowContext context)
    {
        if (string.IsNullOrWhiteSpace(c.When)) return true;

        // After a Conditional, `when` may name a branch ("true", "critical", "default") instead of being a condition.
        if (from is { Branch: { } chosen })
        {
            var label = Unquote(c.When);
            if (string.Equals(label, chosen, StringComparison.OrdinalIgnoreCase)) return true;
            if (from.BranchLabels.Contains(label, StringComparer.OrdinalIgnoreCase)) return false;
        }

        try
        {
            return Condition.Parse(c.When).IsTrue(context);
        }
        catch (ExpressionException ex)
        {
            throw Permanent(flow, $"connection '{c.From}' -> '{c.To}' (when: {c.When}): {ex.Message}");
        }
    }

    private static string Unquote(string s)
    {
        s = s.Trim();
        return s.Length >= 2 && (s[0] == '\'' || s[0] == '"') && s[^1] == s[0] ? s[1..^1] : s;
    }

    private static Dictionary<string, FlowNode> IndexNodes(AgentFlowResource flow)
    {
        var nodes = new Dictionary<string, FlowNode>(StringComparer.Ordinal);
        foreach (var n in flow.Nodes)
        {
            if (!nodes.TryAdd(n.Id, n)) throw Permanent(flow, $"node id '{n.Id}' is used twice");
        }
        return nodes;
    }

    private static PermanentExecutionException Permanent(AgentFlowResource flow, string message) =>
        new(DeadLetterReasons.PermanentFailure, $"flow '{flow.Name}': {message}");
}
