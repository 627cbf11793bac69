using System.Text.Json.Serialization;

namespace Aof.Gateway.Webhooks;

public sealed record WebhookAccepted(int Accepted, IReadOnlyList<string> Ids, bool? Duplicate = null);

public sealed record WebhookUnmatched(int Matched);

public sealed record WebhookPing(bool Ok, string? Zen);

public sealed record ErrorResponse(string Error);

/// <summary>Source-generated, snake_case: the webhook answers are written on the hot path.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(WebhookAccepted))]
[JsonSerializable(typeof(WebhookUnmatched))]
[JsonSerializable(typeof(WebhookPing))]
[JsonSerializable(typeof(ErrorResponse))]
public sealed partial class WebhookJsonContext : JsonSerializerContext;
