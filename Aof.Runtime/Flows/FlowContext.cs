using System.Text.Json;
using System.Text.Json.Nodes;
using Aof.Core.Events;
using Aof.Core.Resources;
using Aof.Runtime.Execution;
using Aof.Runtime.Flows.Expressions;

namespace Aof.Runtime.Flows;

/// <summary>
/// The state of one flow run, and the scope <c>${...}</c> references resolve in:
/// <c>event.&lt;field&gt;</c> (envelope fields), <c>event.payload.&lt;path&gt;</c> (the raw webhook body),
/// <c>&lt;node_id&gt;.output[.&lt;path&gt;]</c> and <c>previous.output[.&lt;path&gt;]</c>.
/// </summary>
public sealed class FlowContext : IReferenceScope
{
    private readonly Dictionary<string, JsonNode?> _outputs = new(StringComparer.Ordinal);
    private readonly HashSet<string> _nodeIds;
    private JsonNode? _payload;
    private bool _payloadParsed;

    public FlowContext(AgentFlowResource flow, ExecutionRequest request)
    {
        Flow = flow;
        Request = request;
        _nodeIds = flow.Nodes.Select(n => n.Id).ToHashSet(StringComparer.Ordinal);
    }

    public AgentFlowResource Flow { get; }
    public ExecutionRequest Request { get; }
    public EventEnvelope Event => Request.Envelope;

    public string? PreviousNodeId { get; private set; }
    public JsonNode? PreviousOutput { get; private set; }

    public IReadOnlyDictionary<string, JsonNode?> Outputs => _outputs;

    /// <summary>The webhook body as JSON, parsed on first use only (many flows never look at it).</summary>
    public JsonNode? Payload
    {
        get
        {
            if (_payloadParsed) return _payload;
            _payloadParsed = true;
            if (!Event.Payload.IsEmpty)
            {
                try { _payload = JsonNode.Parse(Event.Payload.Span); }
                catch (JsonException) { _payload = null; }
            }
            return _payload;
        }
    }

    internal void RecordOutput(string nodeId, JsonNode? output)
    {
        _outputs[nodeId] = output;
        _recorded?.Add(nodeId);
        PreviousNodeId = nodeId;
        PreviousOutput = output;
    }

    // Node ids recorded by a Parallel branch's context, to merge back into the flow's context.
    private List<string>? _recorded;

    /// <summary>What the branches of the Parallel before a Join produced; set for the Join node only.</summary>
    public IReadOnlyList<BranchOutcome>? JoinInputs { get; internal set; }

    /// <summary>A context for one Parallel branch: the outputs so far (copied), the Parallel node as previous.</summary>
    internal FlowContext Fork()
    {
        var child = new FlowContext(Flow, Request) { _recorded = [] };
        foreach (var (id, output) in _outputs) child._outputs[id] = output;
        child.PreviousNodeId = PreviousNodeId;
        child.PreviousOutput = PreviousOutput;
        return child;
    }

    /// <summary>Takes over the outputs a branch recorded (node ids are unique, so branches never collide).</summary>
    internal void Merge(FlowContext branch)
    {
        foreach (var id in branch._recorded ?? []) _outputs[id] = branch._outputs[id];
    }

    /// <summary>Restores a suspended flow's outputs and previous node from its checkpoint.</summary>
    internal void Restore(JsonObject outputs, string? previous)
    {
        foreach (var (id, output) in outputs) _outputs[id] = output?.DeepClone();
        if (previous is not null && _outputs.TryGetValue(previous, out var prev))
        {
            PreviousNodeId = previous;
            PreviousOutput = prev;
        }
    }

    /// <summary>The outputs so far as one JSON object, for a checkpoint.</summary>
    internal JsonObject SnapshotOutputs()
    {
        var o = new JsonObject();
        foreach (var (id, output) in _outputs) o[id] = output?.DeepClone();
        return o;
    }

    public JsonNode? Render(string template) => TemplateRenderer.Render(template, this);
    public string RenderText(string template) => TemplateRenderer.RenderText(template, this);
    public JsonNode? RenderTree(JsonNode? node) => TemplateRenderer.RenderTree(node, this);

    public bool TryResolve(ReferencePath path, out JsonNode? value)
    {
        switch (path.Root)
        {
            case "event":
                value = ResolveEvent(path.Segments);
                return true;
            case "previous":
                value = OutputPath(PreviousOutput, path.Segments);
                return true;
        }
        if (_nodeIds.Contains(path.Root))
        {
            value = _outputs.TryGetValue(path.Root, out var output) ? OutputPath(output, path.Segments) : null;
            return true;
        }
        value = null;
        return false;
    }

    public JsonNode? ResolveBare(ReferencePath path) =>
        ReferencePath.Navigate(PreviousOutput, [PathSegment.Property(path.Root), .. path.Segments]);

    /// <summary><c>x.output.a.b</c>: the segments after "output"; any other first segment leads nowhere.</summary>
    private static JsonNode? OutputPath(JsonNode? output, IReadOnlyList<PathSegment> segments) =>
        segments.Count > 0 && segments[0].Name == "output" ? ReferencePath.Navigate(output, segments.Skip(1)) : null;

    private JsonNode? ResolveEvent(IReadOnlyList<PathSegment> segments)
    {
        if (segments.Count == 0 || segments[0].Name is not { } field) return null;
        if (field == "payload") return ReferencePath.Navigate(Payload, segments.Skip(1));
        if (TryEnvelopeField(field, out var value)) return segments.Count == 1 ? value : null;
        // Anything else is looked up in the payload, so ${event.pull_request.number} reads naturally.
        return ReferencePath.Navigate(Payload, segments);
    }

    private bool TryEnvelopeField(string field, out JsonNode? value)
    {
        var e = Event;
        var m = e.Metadata;
        (var found, value) = field switch
        {
            "id" => (true, (JsonNode?)e.Id),
            "timestamp" => (true, e.Timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'")),
            "platform" => (true, e.Platform),
            "org" => (true, e.Org),
            "repo" => (true, e.Repo),
            "event_type" => (true, e.EventType),
            "action" => (true, e.Action),
            "trigger_name" => (true, e.TriggerName),
            "priority" => (true, e.Priority.ToWire()),
            "delivery_id" => (true, m.DeliveryId),
            "command" => (true, m.Command),
            "args" => (true, m.Args),
            "sender" => (true, m.Sender),
            "channel" => (true, m.Channel),
            "text" => (true, m.Text),
            "attempt" => (true, JsonValue.Create(Request.Attempt)),
            _ => (false, null),
        };
        return found;
    }
}
