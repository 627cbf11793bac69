using System.Text.Json.Serialization;

namespace Aof.Gateway.Webhooks;

public sealed record WebhookAccepted(int Accepted, IReadOnlyList<string> Ids, bool? Duplicate = null);

public sealed record WebhookUnmatched(int Matched);

/// <summary>A verified request the gateway deliberately does not act on (e.g. a bot's own Slack message), and why.</summary>
public sealed record WebhookIgnored(string Ignored);

public sealed record WebhookPing(bool Ok, string? Zen);

public sealed record ErrorResponse(string Error);

/// <summary>Slack's url_verification answer.</summary>
public sealed record SlackChallenge(string Challenge);

/// <summary>Slack's immediate answer to a slash command (shown to the user who typed it).</summary>
public sealed record SlackCommandReply(string ResponseType, string Text);

/// <summary>Discord's interaction response: 1 pong, 4 message, 5 deferred message.</summary>
public sealed record DiscordInteractionReply(int Type, DiscordReplyData? Data = null);

public sealed record DiscordReplyData(string Content, int Flags);

/// <summary>A text/plain answer (WhatsApp's hub.challenge echo).</summary>
public sealed record PlainText(string Text);

/// <summary>Source-generated, snake_case: the webhook answers are written on the hot path.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(WebhookAccepted))]
[JsonSerializable(typeof(WebhookUnmatched))]
[JsonSerializable(typeof(WebhookIgnored))]
[JsonSerializable(typeof(WebhookPing))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(SlackChallenge))]
[JsonSerializable(typeof(SlackCommandReply))]
[JsonSerializable(typeof(DiscordInteractionReply))]
public sealed partial class WebhookJsonContext : JsonSerializerContext;
