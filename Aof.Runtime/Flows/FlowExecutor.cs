using System.Diagnostics;
using Aof.Core.Queue;
using Aof.Core.Resources;
using Aof.Core.Telemetry;
using System.Text.Json.Nodes;
using Aof.Runtime.Execution;
using Aof.Runtime.Flows.Durable;
using Aof.Runtime.Flows.Expressions;
using Aof.Runtime.Flows.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Aof.Runtime.Flows;

/// <summary>
/// Walks an AgentFlow: from the implicit <c>start</c> node, run a node, then follow the first outgoing
/// connection whose <c>when</c> holds (declaration order), until an End node or a node with no way on. The only
/// fan-out is a Parallel node, whose branches run concurrently up to their Join. The flow's output is the End
/// node's output, else the last node's. Loops are allowed but bounded by <see cref="MaxSteps"/>.
/// A Wait or Approval node suspends the walk: the state is saved through <see cref="FlowStateStore"/> and the
/// result asks for the message to be deferred; the next delivery resumes from the saved state.
/// </summary>
public sealed class FlowExecutor
{
    public const string StartNode = "start";
    public const int DefaultMaxSteps = 1000;

    private readonly Dictionary<string, INodeHandler> _handlers = new(StringComparer.OrdinalIgnoreCase);
    private readonly ILogger<FlowExecutor> _logger;

    private readonly FlowStateStore? _durable;

    public FlowExecutor(IEnumerable<INodeHandler> handlers, ILogger<FlowExecutor> logger, FlowStateStore? durable = null)
    {
        foreach (var h in handlers) _handlers[h.Type] = h;
        _logger = logger;
        _durable = durable;
    }

    /// <summary>An executor with the built-in node types that need no services; Wait and Approval need <paramref name="durable"/>.</summary>
    public static FlowExecutor CreateDefault(ILogger<FlowExecutor>? logger = null, FlowStateStore? durable = null) =>
        new(BuiltInNodes(durable?.Time), logger ?? NullLogger<FlowExecutor>.Instance, durable);

    public static IEnumerable<INodeHandler> BuiltInNodes(TimeProvider? time = null) =>
        [new TransformNode(), new ScriptNode(), new ConditionalNode(), new EndNode(), new ParallelNode(), new JoinNode(),
         new WaitNode(time), new ApprovalNode(time), new HumanApprovalNode(time)];

    /// <summary>Steps (nodes run) after which a flow is stopped as a runaway loop.</summary>
    public int MaxSteps { get; init; } = DefaultMaxSteps;

    /// <summary>
    /// Runs <paramref name="flow"/> for one event, or resumes it when the execution has a checkpoint. Throws
    /// <see cref="PermanentExecutionException"/> for definition errors (unknown node or type, bad condition, runaway
    /// loop) and other exceptions for retryable failures. A flow that suspends returns with <see cref="FlowResult.DeferFor"/>.
    /// </summary>
    public async Task<FlowResult> ExecuteAsync(AgentFlowResource flow, ExecutionRequest request, CancellationToken ct)
    {
        var walk = new Walk(flow, IndexNodes(flow), new FlowContext(flow, request)) { MaxSteps = MaxSteps };
        var current = StartNode;
        NodeResult? last = null;

        if (_durable is not null && MaySuspend(flow) && await _durable.LoadAsync(request.ExecutionId, flow.Name, ct) is var (checkpoint, entry))
        {
            if (!walk.Nodes.ContainsKey(checkpoint.Node))
                throw Permanent(flow, $"cannot resume at node '{checkpoint.Node}': the flow no longer has it");
            walk.Context.Restore(checkpoint.Outputs, checkpoint.Previous);
            walk.Steps = checkpoint.Steps;
            last = await _durable.TryResumeAsync(request, checkpoint, entry, ct);
            if (last is null) return new FlowResult(null, []) { DeferFor = _durable.DeferFor(checkpoint) };
            _logger.LogDebug("Flow {Flow} execution {Id}: resumed at node {Node}", flow.Name, request.ExecutionId, checkpoint.Node);
            walk.Context.RecordOutput(checkpoint.Node, last.Output);
            current = checkpoint.Node;
        }

        while (last is not { IsEnd: true })
        {
            ct.ThrowIfCancellationRequested();
            var nextId = NextNode(flow, current, last, walk.Nodes, walk.Context);
            if (nextId is null) break;

            var node = walk.Nodes[nextId];
            var previous = walk.Context.PreviousNodeId;
            (last, current) = await StepAsync(walk, node, walk.Context, inBranch: false, ct);
            if (last.Suspend is { } wait) return await SuspendAsync(walk, node, wait, previous, ct);
        }

        if (last?.Rejected is { } reason) return new FlowResult(last.Output, walk.Visited) { Rejected = reason };
        return new FlowResult(last?.Output, walk.Visited);
    }

    /// <summary>Runs one node (a Parallel with its branches and Join), records its output; returns the result and the node the walk is at.</summary>
    private async Task<(NodeResult Result, string At)> StepAsync(Walk walk, FlowNode node, FlowContext context, bool inBranch, CancellationToken ct)
    {
        var handler = walk.Enter(node, _handlers);
        _logger.LogDebug("Flow {Flow} message {MessageId}: running node {Node} ({Type})", walk.Flow.Name, context.Request.ExecutionId, node.Id, node.Type);
        var result = await RunNodeAsync(walk.Flow, node, handler, context, ct);
        if (result.Suspend is not null)
        {
            if (inBranch) throw Permanent(walk.Flow, $"node '{node.Id}' ({node.Type}) cannot wait inside a Parallel branch");
            if (_durable is null) throw Permanent(walk.Flow, $"node '{node.Id}' ({node.Type}) needs durable flow state, which this executor was built without");
            return (result, node.Id);
        }
        context.RecordOutput(node.Id, result.Output);
        if (handler is not ParallelNode) return (result, node.Id);
        return await ForkAsync(walk, node, result, context, ct);
    }

    /// <summary>Whether <paramref name="flow"/> holds a node that may suspend it (Wait, Approval): only such a flow writes to its execution record.</summary>
    public bool MaySuspend(AgentFlowResource flow)
    {
        foreach (var node in flow.Nodes)
            if (_handlers.GetValueOrDefault(node.Type) is { CanSuspend: true }) return true;
        return false;
    }

    private async Task<FlowResult> SuspendAsync(Walk walk, FlowNode node, FlowWait wait, string? previous, CancellationToken ct)
    {
        var checkpoint = new FlowCheckpoint
        {
            Flow = walk.Flow.Name,
            Node = node.Id,
            Kind = wait.Kind,
            Steps = walk.Steps,
            Previous = previous,
            Outputs = walk.Context.SnapshotOutputs(),
            Since = _durable!.Time.GetUtcNow().ToUnixTimeMilliseconds(),
            Until = wait.Until.ToUnixTimeMilliseconds(),
            Approval = wait.Approval,
        };
        await _durable.SuspendAsync(walk.Context.Request.ExecutionId, wait, checkpoint, ct);
        _logger.LogDebug("Flow {Flow} execution {Id}: suspended at node {Node} ({Kind})", walk.Flow.Name, walk.Context.Request.ExecutionId, node.Id, wait.Kind);
        return new FlowResult(null, walk.Visited) { DeferFor = _durable.DeferFor(checkpoint) };
    }

    /// <summary>
    /// Walks each branch of a Parallel node concurrently (own context each) up to a Join, merges their outputs, then runs
    /// the Join once with every branch's outcome. Without a Join the branches must all succeed and the walk ends there.
    /// </summary>
    private async Task<(NodeResult Result, string At)> ForkAsync(Walk walk, FlowNode parallel, NodeResult forked, FlowContext context, CancellationToken ct)
    {
        var starts = forked.Output?["branches"] is JsonArray listed
            ? listed.Select(b => b!.GetValue<string>()).ToList()
            : walk.Flow.Connections.Where(c => c.From == parallel.Id && ConnectionHolds(walk.Flow, c, null, context)).Select(c => c.To).ToList();
        if (starts.Count == 0) throw Permanent(walk.Flow, $"Parallel node '{parallel.Id}' has no branches");
        foreach (var s in starts)
            if (!walk.Nodes.ContainsKey(s)) throw Permanent(walk.Flow, $"Parallel node '{parallel.Id}' branches to unknown node '{s}'");

        var finished = 0;
        var branches = starts.Select(start => Task.Run(async () =>
        {
            var branch = context.Fork();
            try
            {
                var (output, join) = await WalkBranchAsync(walk, start, branch, ct);
                return (Outcome: new BranchOutcome(start, output, null, Interlocked.Increment(ref finished)), Join: join, Context: branch);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                return (Outcome: new BranchOutcome(start, null, ex, Interlocked.Increment(ref finished)), Join: (string?)null, Context: branch);
            }
        }, CancellationToken.None)).ToList();
        var ended = await Task.WhenAll(branches);
        ct.ThrowIfCancellationRequested();
        foreach (var b in ended) context.Merge(b.Context);

        var joins = ended.Select(b => b.Join).OfType<string>().Distinct().ToList();
        if (joins.Count > 1) throw Permanent(walk.Flow, $"the branches of Parallel node '{parallel.Id}' reach different Join nodes ({string.Join(", ", joins)})");
        var outcomes = ended.Select(b => b.Outcome).ToList();
        if (joins.Count == 0)
        {
            // No Join: all must succeed, as Join's default mode; the flow ends with every branch's output.
            if (outcomes.FirstOrDefault(o => o.Error is not null) is { Error: { } error }) throw error;
            var all = new JsonObject();
            foreach (var o in outcomes) all[o.Branch] = o.Output?.DeepClone();
            return (new NodeResult(all) { IsEnd = true }, parallel.Id);
        }

        var joinNode = walk.Nodes[joins[0]];
        var joinHandler = walk.Enter(joinNode, _handlers);
        context.JoinInputs = outcomes;
        try
        {
            var joined = await RunNodeAsync(walk.Flow, joinNode, joinHandler, context, ct);
            context.RecordOutput(joinNode.Id, joined.Output);
            return (joined, joinNode.Id);
        }
        finally
        {
            context.JoinInputs = null;
        }
    }

    /// <summary>Walks one branch from <paramref name="start"/> until a Join node (not run here) or the branch's end.</summary>
    private async Task<(JsonNode? Output, string? Join)> WalkBranchAsync(Walk walk, string start, FlowContext context, CancellationToken ct)
    {
        string? nextId = start;
        string current = start;
        NodeResult? last = null;
        while (nextId is not null)
        {
            ct.ThrowIfCancellationRequested();
            var node = walk.Nodes[nextId];
            if (string.Equals(node.Type, "Join", StringComparison.OrdinalIgnoreCase)) return (last?.Output, node.Id);
            (last, current) = await StepAsync(walk, node, context, inBranch: true, ct);
            if (last.IsEnd) break;
            nextId = NextNode(walk.Flow, current, last, walk.Nodes, context);
        }
        return (last?.Output, null);
    }

    /// <summary>One flow run's fixed parts and its step count (shared by Parallel branches, hence the interlocked count).</summary>
    private sealed class Walk(AgentFlowResource flow, Dictionary<string, FlowNode> nodes, FlowContext context)
    {
        private int _steps;
        private readonly List<string> _visited = [];

        public AgentFlowResource Flow { get; } = flow;
        public Dictionary<string, FlowNode> Nodes { get; } = nodes;
        public FlowContext Context { get; } = context;
        public int MaxSteps { get; init; } = DefaultMaxSteps;

        public int Steps { get => Volatile.Read(ref _steps); set => _steps = value; }

        public IReadOnlyList<string> Visited
        {
            get { lock (_visited) return [.. _visited]; }
        }

        /// <summary>Counts a step for <paramref name="node"/> (bounded) and finds its handler.</summary>
        public INodeHandler Enter(FlowNode node, Dictionary<string, INodeHandler> handlers)
        {
            if (Interlocked.Increment(ref _steps) > MaxSteps)
                throw Permanent(Flow, $"stopped after {MaxSteps} steps (a loop between nodes never ends); last node '{node.Id}'");
            lock (_visited) _visited.Add(node.Id);
            return handlers.GetValueOrDefault(node.Type)
                ?? throw Permanent(Flow, $"node '{node.Id}': node type {node.Type} is not supported by this runtime yet");
        }
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
            if (last is { ExplicitBranchOnly: true } && string.IsNullOrWhiteSpace(c.When)) continue;
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
