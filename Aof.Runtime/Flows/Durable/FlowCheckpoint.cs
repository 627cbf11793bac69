using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Aof.Runtime.Flows.Durable;

/// <summary>
/// Where a suspended flow resumes, saved in the execution record (field <c>flow_checkpoint</c>). Small on purpose:
/// the event itself stays in the queued message, so only what cannot be recomputed is kept: the outputs of the nodes
/// that ran, the waiting node, and the wait's terms. Any worker can resume from it.
/// </summary>
public sealed class FlowCheckpoint
{
    public const int CurrentVersion = 1;
    public const string WaitKind = "wait";
    public const string ApprovalKind = "approval";

    [JsonPropertyName("v")] public int Version { get; set; } = CurrentVersion;
    public required string Flow { get; set; }
    /// <summary>The waiting node: when the wait is over it produces its output and the walk goes on from it.</summary>
    public required string Node { get; set; }
    public required string Kind { get; set; }
    /// <summary>Nodes run so far, so the runaway-loop bound holds across resumes.</summary>
    public int Steps { get; set; }
    /// <summary>The node that ran before the waiting one (<c>${previous.output}</c> for the waiting node).</summary>
    public string? Previous { get; set; }
    public JsonObject Outputs { get; set; } = [];
    /// <summary>Unix ms: when a Wait is over, or when an Approval times out.</summary>
    public long Until { get; set; }
    /// <summary>Unix ms: when the wait started.</summary>
    public long Since { get; set; }
    public ApprovalRequest? Approval { get; set; }

    public string Serialize() => JsonSerializer.Serialize(this, FlowStateJson.Default.FlowCheckpoint);

    public static FlowCheckpoint? Parse(string? json)
    {
        if (string.IsNullOrEmpty(json)) return null;
        try { return JsonSerializer.Deserialize(json, FlowStateJson.Default.FlowCheckpoint); }
        catch (JsonException) { return null; }
    }
}

/// <summary>An Approval node's terms, kept in the checkpoint so the admin API can check users without the flow definition.</summary>
public sealed class ApprovalRequest
{
    public string? Message { get; set; }
    /// <summary>Users allowed to decide; empty: anyone the admin API lets in.</summary>
    public List<string> Approvers { get; set; } = [];
    /// <summary>What a timeout means: "reject" (default) or "approve".</summary>
    public string Fallback { get; set; } = "reject";

    public bool Allows(string user) =>
        Approvers.Count == 0 || Approvers.Contains(user, StringComparer.OrdinalIgnoreCase);
}

/// <summary>The decision on a waiting approval (field <c>flow_decision</c>), written by the admin API or by the timeout.</summary>
public sealed class ApprovalDecision
{
    public bool Approved { get; set; }
    public string? User { get; set; }
    public string? Comment { get; set; }
    public bool TimedOut { get; set; }
    public long At { get; set; }

    public string Serialize() => JsonSerializer.Serialize(this, FlowStateJson.Default.ApprovalDecision);

    public static ApprovalDecision? Parse(string? json)
    {
        if (string.IsNullOrEmpty(json)) return null;
        try { return JsonSerializer.Deserialize(json, FlowStateJson.Default.ApprovalDecision); }
        catch (JsonException) { return null; }
    }

    public JsonObject ToOutput() => new()
    {
        ["approved"] = Approved,
        ["user"] = User,
        ["comment"] = Comment,
        ["timed_out"] = TimedOut,
        ["decided_at"] = DateTimeOffset.FromUnixTimeMilliseconds(At).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'"),
    };
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(FlowCheckpoint))]
[JsonSerializable(typeof(ApprovalDecision))]
internal sealed partial class FlowStateJson : JsonSerializerContext;
