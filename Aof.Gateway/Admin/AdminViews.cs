using System.Text.Json;
using System.Text.Json.Serialization;
using Aof.Core.Events;
using Aof.Core.Executions;
using Aof.Core.Queue;
using Aof.Gateway.Webhooks;

namespace Aof.Gateway.Admin;

public sealed record LaneStatsView(long Ready, long InFlight);

public sealed record QueueStatsView(string Backend, long Ready, long InFlight, long Delayed, long DeadLettered,
    IReadOnlyDictionary<string, LaneStatsView> ByPriority)
{
    public static QueueStatsView From(string backend, QueueStats s) => new(backend, s.Ready, s.InFlight, s.Delayed, s.DeadLettered,
        s.ByPriority.ToDictionary(kv => kv.Key.ToWire(), kv => new LaneStatsView(kv.Value.Ready, kv.Value.InFlight)));
}

/// <summary>
/// A dead letter as the admin API shows it: the queue's bookkeeping, the envelope's routing fields, and
/// (for a single entry) the whole envelope as JSON, or base64 when it is not JSON at all.
/// </summary>
public sealed record DeadLetterView(
    string MessageId,
    string Priority,
    string Reason,
    string? LastError,
    int Attempts,
    DateTimeOffset DeadLetteredAt,
    string? TriggerName,
    string? Target,
    string? Platform,
    string? EventType,
    string? Repo,
    string? DeliveryId,
    JsonElement? Envelope = null,
    string? BodyBase64 = null)
{
    public static DeadLetterView From(DeadLetterEntry e, bool withBody)
    {
        EventEnvelope? envelope = null;
        try { envelope = EnvelopeCodec.Parse(e.Body); }
        catch (EnvelopeFormatException) { /* an unparseable message is shown by its bookkeeping only */ }

        JsonElement? json = null;
        string? base64 = null;
        if (withBody)
        {
            try
            {
                using var doc = JsonDocument.Parse(e.Body);
                json = doc.RootElement.Clone();
            }
            catch (JsonException)
            {
                base64 = Convert.ToBase64String(e.Body.Span);
            }
        }

        return new DeadLetterView(e.MessageId, e.Priority.ToWire(), e.Reason, e.LastError, e.Attempts, e.DeadLetteredAt,
            envelope?.TriggerName, envelope?.Target.ToString(), envelope?.Platform, envelope?.EventType, envelope?.Repo,
            envelope?.Metadata.DeliveryId, json, base64);
    }
}

public sealed record DeadLetterPage(int Offset, int Limit, IReadOnlyList<DeadLetterView> Items);

public sealed record DeadLetterActionResult(string Id, bool? Replayed = null, bool? Purged = null);

/// <summary>Admin answers: snake_case, source-generated.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ExecutionRecord))]
[JsonSerializable(typeof(QueueStatsView))]
[JsonSerializable(typeof(DeadLetterView))]
[JsonSerializable(typeof(DeadLetterPage))]
[JsonSerializable(typeof(DeadLetterActionResult))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(DecisionRequest))]
[JsonSerializable(typeof(DecisionResult))]
[JsonSerializable(typeof(ApprovalView))]
public sealed partial class AdminJsonContext : JsonSerializerContext;
