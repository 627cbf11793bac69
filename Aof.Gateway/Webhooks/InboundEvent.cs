namespace Aof.Gateway.Webhooks;

/// <summary>What a platform adapter learned from one verified delivery: the envelope's routing fields and the JSON payload.</summary>
public sealed record InboundEvent(
    string Platform,
    string DeliveryId,
    string EventType,
    string? Action,
    string? Org,
    string? Repo,
    string? Sender,
    ReadOnlyMemory<byte> Payload,
    string? Channel = null,
    string? Text = null);
