namespace Aof.Core.Events;

/// <summary>
/// The one message that travels from gateway to worker (DESIGN.md, "The message").
/// <see cref="Payload"/> holds the webhook body's original JSON bytes; nothing re-serializes it.
/// </summary>
public sealed class EventEnvelope
{
    public required string Id { get; init; }
    public required DateTimeOffset Timestamp { get; init; }
    public required string Platform { get; init; }
    public string? Org { get; init; }
    public string? Repo { get; init; }
    public required string EventType { get; init; }
    public string? Action { get; init; }
    public required string TriggerName { get; init; }
    public required EventTarget Target { get; init; }
    public Priority Priority { get; init; } = Priority.Normal;

    /// <summary>The raw webhook body (JSON). For form-encoded GitHub deliveries, the decoded <c>payload=</c> value.</summary>
    public ReadOnlyMemory<byte> Payload { get; init; }

    public EnvelopeMetadata Metadata { get; init; } = new();
}

public sealed class EnvelopeMetadata
{
    /// <summary>The platform's delivery id (GitHub: X-GitHub-Delivery); the dedup key.</summary>
    public string? DeliveryId { get; init; }

    /// <summary>Attempt at publish time (always 1). The broker's delivery count is authoritative afterwards.</summary>
    public int Attempt { get; init; } = 1;

    public int MaxRetries { get; init; } = 3;

    /// <summary>W3C trace context of the gateway's span, so the worker continues the same trace.</summary>
    public string? Traceparent { get; init; }

    /// <summary>Slash command that selected the binding (e.g. "/review"), when there was one.</summary>
    public string? Command { get; init; }

    /// <summary>The rest of the command line after the command word.</summary>
    public string? Args { get; init; }

    /// <summary>Who caused the event (GitHub: sender.login).</summary>
    public string? Sender { get; init; }

    /// <summary>Chat platforms: the channel or chat the event came from (Slack channel id, Telegram chat id...).</summary>
    public string? Channel { get; init; }

    /// <summary>Chat and comment platforms: the message text (trigger <c>patterns</c> and slash commands read it).</summary>
    public string? Text { get; init; }
}
