using System.Text;
using System.Text.Json.Nodes;
using Aof.Core.Events;
using Aof.Core.Resources;
using Aof.Runtime.Execution;

namespace Aof.Tests.Runtime;

/// <summary>Builders for envelopes and flows, so tests read like the YAML they stand for.</summary>
internal static class RuntimeTestKit
{
    public const string SamplePayload =
        """{"action":"opened","number":42,"pull_request":{"number":42,"title":"Fix it","draft":false,"labels":[{"name":"ops"},{"name":"bug"}]},"sender":{"login":"alice"}}""";

    public static EventEnvelope Envelope(string flow = "review", string payload = SamplePayload, TargetKind kind = TargetKind.Flow) => new()
    {
        Id = Ulid.NewUlid(),
        Timestamp = DateTimeOffset.Parse("2026-01-15T10:30:00Z"),
        Platform = "github",
        Org = "myorg",
        Repo = "myorg/myrepo",
        EventType = "pull_request",
        Action = "opened",
        TriggerName = "pr-trigger",
        Target = new EventTarget(kind, flow),
        Payload = Encoding.UTF8.GetBytes(payload),
        Metadata = new EnvelopeMetadata { DeliveryId = "d-1", Command = "/review", Args = "fast please", Sender = "alice" },
    };

    public static ExecutionRequest Request(EventEnvelope? envelope = null, int attempt = 1) =>
        ExecutionRequest.For(envelope ?? Envelope(), attempt);

    public static FlowNode Node(string id, string type, string configJson = "{}") =>
        new() { Id = id, Type = type, Config = JsonNode.Parse(configJson)!.AsObject() };

    public static FlowNode Script(string id, string command, string extraJson = "")
    {
        var script = new JsonObject { ["command"] = command };
        if (extraJson.Length > 0)
            foreach (var (k, v) in JsonNode.Parse(extraJson)!.AsObject().ToList()) script[k] = v?.DeepClone();
        return new FlowNode { Id = id, Type = "Script", Config = new JsonObject { ["script_config"] = script } };
    }

    public static FlowConnection Edge(string from, string to, string? when = null) => new(from, to, when);

    public static AgentFlowResource Flow(string name, FlowNode[] nodes, params FlowConnection[] connections) => new()
    {
        ApiVersion = "aof.dev/v1",
        Metadata = new ResourceMetadata { Name = name },
        Source = new ResourceSource("test.yaml", 1),
        Spec = new JsonObject(),
        Nodes = nodes,
        Connections = connections,
    };

    /// <summary>A flow that runs <paramref name="nodes"/> in order from start.</summary>
    public static AgentFlowResource Chain(string name, params FlowNode[] nodes)
    {
        var edges = new List<FlowConnection>();
        var from = "start";
        foreach (var n in nodes)
        {
            edges.Add(Edge(from, n.Id));
            from = n.Id;
        }
        return Flow(name, nodes, [.. edges]);
    }

    public static ResourceCatalog Catalog(params AgentFlowResource[] flows) => new()
    {
        Flows = flows.ToDictionary(f => f.Name),
    };
}
