using System.Text;
using System.Text.Json;
using Aof.Core.Resources;
using Aof.Core.Triggers;
using Aof.Gateway.Platforms.Common;
using Aof.Gateway.Webhooks;

namespace Aof.Gateway.Platforms.Discord;

/// <summary>
/// Discord interactions: Ed25519 signature (<c>X-Signature-Ed25519</c>, hex) over <c>X-Signature-Timestamp</c>
/// + raw body with the application's public key; the timestamp must be within five minutes. PING is answered
/// with type 1; a matched command with type 5 (deferred: the agent answers later), dedup by the interaction id.
/// </summary>
public sealed class DiscordWebhookPlatform(PlatformServices services) : SignedWebhookPlatform<byte[]>(services)
{
    public const string PlatformName = "discord";
    public const string SignatureHeader = "X-Signature-Ed25519";
    public const string TimestampHeader = "X-Signature-Timestamp";

    public override string Name => PlatformName;
    protected override string TriggerType => "Discord";
    protected override string SecretKey => "public_key";
    protected override string SignatureDescription => $"{SignatureHeader} or stale {TimestampHeader}";

    protected override byte[] ParseKey(string secret, TriggerResource trigger)
    {
        try
        {
            var key = Convert.FromHexString(secret.Trim());
            if (key.Length == Ed25519.PublicKeyBytes) return key;
        }
        catch (FormatException)
        {
        }
        throw new PlatformConfigurationException($"trigger '{trigger.Name}' (Discord): config.public_key must be the application's public key, 64 hex digits");
    }

    protected override bool Verify(HttpRequest request, ReadOnlySpan<byte> body, byte[] key, DateTimeOffset now)
    {
        var timestamp = DeliveryHeaders.Optional(request, TimestampHeader);
        var signatureHex = DeliveryHeaders.Optional(request, SignatureHeader);
        if (timestamp is null || signatureHex is null || signatureHex.Length != 2 * Ed25519.SignatureBytes) return false;
        if (!TimestampWindow.IsFresh(timestamp, now)) return false;
        Span<byte> signature = stackalloc byte[Ed25519.SignatureBytes];
        if (Convert.FromHexString(signatureHex, signature, out _, out var written) != System.Buffers.OperationStatus.Done || written != signature.Length)
            return false;
        return Ed25519.Verify(signature, SignedMessage(timestamp, body), key);
    }

    public static byte[] SignedMessage(string timestamp, ReadOnlySpan<byte> body)
    {
        var head = Encoding.UTF8.GetBytes(timestamp);
        var message = new byte[head.Length + body.Length];
        head.CopyTo(message, 0);
        body.CopyTo(message.AsSpan(head.Length));
        return message;
    }

    protected override PlatformDelivery Read(HttpRequest request, ReadOnlyMemory<byte> body)
    {
        using var doc = JsonFields.ParseObject(body);
        var root = doc.RootElement;
        var type = JsonFields.At(root, "type") is { ValueKind: JsonValueKind.Number } t && t.TryGetInt32(out var n)
            ? n : throw new WebhookFormatException("interaction has no numeric type");
        if (type == 1)
            return PlatformDelivery.Answer(new WebhookResult(WebhookResult.Outcomes.Ping, StatusCodes.Status200OK, new DiscordInteractionReply(1)));

        var (eventType, text) = type switch
        {
            2 or 4 => ("application_command", CommandText(root)),
            3 => ("message_component", JsonFields.Text(root, "data", "custom_id")),
            5 => ("modal_submit", JsonFields.Text(root, "data", "custom_id")),
            _ => throw new WebhookFormatException($"unsupported interaction type {type}"),
        };
        var ev = new PlatformEvent
        {
            Platform = PlatformName,
            EventType = eventType,
            Org = JsonFields.Text(root, "guild_id"),
            GuildId = JsonFields.Text(root, "guild_id"),
            Channel = JsonFields.FirstText(root, ["channel_id"], ["channel", "id"]),
            User = JsonFields.FirstText(root, ["member", "user", "username"], ["user", "username"]),
            Text = text,
            DeliveryId = DeliveryHeaders.RequiredField(JsonFields.Text(root, "id"), "id"),
        };
        return PlatformDelivery.Of(ev, body);
    }

    /// <summary>"/name value1 value2": the command and its option values, so bindings and args work as for chat text.</summary>
    private static string? CommandText(JsonElement root)
    {
        var name = JsonFields.Text(root, "data", "name");
        if (name is null) return null;
        var text = new StringBuilder("/").Append(name);
        if (JsonFields.At(root, "data", "options") is { ValueKind: JsonValueKind.Array } options)
            foreach (var option in options.EnumerateArray())
                if (JsonFields.Text(option, "value") is { } value) text.Append(' ').Append(value);
        return text.ToString();
    }

    protected override WebhookResult Accepted(PublishOutcome published, PlatformEvent ev) =>
        new(published.Duplicate ? WebhookResult.Outcomes.Duplicate : WebhookResult.Outcomes.Accepted, StatusCodes.Status200OK, new DiscordInteractionReply(5));

    // Discord shows "interaction failed" unless it gets an answer: say so, to the user only (flag 64).
    protected override WebhookResult Unmatched(PlatformEvent ev) =>
        new(WebhookResult.Outcomes.Unmatched, StatusCodes.Status200OK,
            new DiscordInteractionReply(4, new DiscordReplyData("No AOF trigger handles this interaction.", 64)));
}
