using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Aof.Core.Resources;
using Aof.Core.Triggers;
using Aof.Gateway.Platforms.Common;
using Aof.Gateway.Webhooks;
using static Aof.Gateway.Webhooks.WebhookResult;

namespace Aof.Gateway.Platforms.WhatsApp;

/// <summary>
/// WhatsApp Cloud API: <c>X-Hub-Signature-256</c> (sha256= hex HMAC of the raw body, keyed with the Meta app
/// secret); dedup by the message id (status updates: status id + status). <c>GET</c> answers Meta's
/// subscription handshake: <c>hub.mode=subscribe</c> with a <c>hub.verify_token</c> equal to a trigger's
/// <c>verify_token</c> echoes <c>hub.challenge</c>; anything else gets 403.
/// </summary>
public sealed class WhatsAppWebhookPlatform(PlatformServices services) : SignedWebhookPlatform<byte[]>(services), IWebhookHandshake
{
    public const string PlatformName = "whatsapp";
    public const string SignatureHeader = "X-Hub-Signature-256";
    public const string VerifyTokenKey = "verify_token";

    private byte[][]? _verifyTokens;

    public override string Name => PlatformName;
    protected override string TriggerType => "WhatsApp";
    protected override string SecretKey => "app_secret";
    protected override string SignatureDescription => SignatureHeader;

    protected override byte[] ParseKey(string secret, TriggerResource trigger) => Encoding.UTF8.GetBytes(secret);

    protected override bool Verify(HttpRequest request, ReadOnlySpan<byte> body, byte[] key, DateTimeOffset now) =>
        HubSignature.Verify(DeliveryHeaders.Optional(request, SignatureHeader), key, body);

    public override void Validate()
    {
        base.Validate();
        _ = VerifyTokens;
    }

    private byte[][] VerifyTokens => _verifyTokens ??= Triggers
        .Select(t => Encoding.UTF8.GetBytes(SecretOf(t, VerifyTokenKey)))
        .ToArray();

    public WebhookResult Handshake(HttpRequest request)
    {
        if (!HasEnabledTriggers) return Error(Outcomes.NotFound, StatusCodes.Status404NotFound, $"no enabled trigger for platform '{Name}'");
        var query = request.Query;
        var challenge = query["hub.challenge"].ToString();
        var token = query["hub.verify_token"].ToString();
        var any = false;
        foreach (var expected in VerifyTokens) any |= HmacHex.TokenEquals(token, expected); // every token, no early exit
        if (query["hub.mode"] != "subscribe" || challenge.Length == 0 || !any)
            return Error(Outcomes.Forbidden, StatusCodes.Status403Forbidden, "subscription handshake refused");
        return new WebhookResult(Outcomes.Handshake, StatusCodes.Status200OK, new PlainText(challenge));
    }

    protected override PlatformDelivery Read(HttpRequest request, ReadOnlyMemory<byte> body)
    {
        using var doc = JsonFields.ParseObject(body);
        var root = doc.RootElement;
        string[] value = ["entry", "0", "changes", "0", "value"];
        var messageId = JsonFields.Text(root, [.. value, "messages", "0", "id"]);
        var statusId = JsonFields.Text(root, [.. value, "statuses", "0", "id"]);

        string eventType, deliveryId;
        string? action, user, text = null;
        if (messageId is not null)
        {
            eventType = "message";
            action = JsonFields.Text(root, [.. value, "messages", "0", "type"]);
            user = JsonFields.Text(root, [.. value, "messages", "0", "from"]);
            text = JsonFields.FirstText(root, [.. value, "messages", "0", "text", "body"], [.. value, "messages", "0", "button", "text"],
                [.. value, "messages", "0", "interactive", "button_reply", "title"]);
            deliveryId = messageId;
        }
        else if (statusId is not null)
        {
            eventType = "status";
            action = JsonFields.Text(root, [.. value, "statuses", "0", "status"]);
            user = JsonFields.Text(root, [.. value, "statuses", "0", "recipient_id"]);
            deliveryId = $"{statusId}:{action}";
        }
        else
        {
            // Other changes (account updates...) have no id of their own: the body's hash is stable across redeliveries.
            eventType = JsonFields.Text(root, "entry", "0", "changes", "0", "field") ?? "change";
            action = null;
            user = null;
            deliveryId = Convert.ToHexStringLower(SHA256.HashData(body.Span));
        }

        var ev = new PlatformEvent
        {
            Platform = PlatformName,
            EventType = eventType,
            Action = action,
            Org = JsonFields.Text(root, "entry", "0", "id"),
            Channel = JsonFields.Text(root, [.. value, "metadata", "phone_number_id"]),
            User = user,
            Text = text,
            DeliveryId = deliveryId,
        };
        return PlatformDelivery.Of(ev, body);
    }
}
