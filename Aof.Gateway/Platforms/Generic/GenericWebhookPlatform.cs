using Aof.Core.Resources;
using Aof.Core.Triggers;
using Aof.Gateway.Platforms.Common;
using Aof.Gateway.Webhooks;

namespace Aof.Gateway.Platforms.Generic;

/// <summary>
/// Any sender that follows Standard Webhooks (<see cref="StandardWebhookSignature"/>); dedup by
/// <c>webhook-id</c>. The event type is the body's <c>type</c> ("invoice.paid" -> event "invoice", action "paid").
/// </summary>
public sealed class GenericWebhookPlatform(PlatformServices services) : SignedWebhookPlatform<byte[]>(services)
{
    public const string PlatformName = "generic";

    public override string Name => PlatformName;
    protected override string TriggerType => "Generic";
    protected override string SecretKey => "webhook_secret";
    protected override string SignatureDescription => $"{StandardWebhookSignature.SignatureHeader} or stale {StandardWebhookSignature.TimestampHeader}";

    protected override byte[] ParseKey(string secret, TriggerResource trigger) =>
        StandardWebhookSignature.ParseSecret(secret)
        ?? throw new PlatformConfigurationException($"trigger '{trigger.Name}' (Generic): config.webhook_secret must be base64, optionally prefixed whsec_");

    protected override bool Verify(HttpRequest request, ReadOnlySpan<byte> body, byte[] key, DateTimeOffset now) =>
        StandardWebhookSignature.Verify(
            DeliveryHeaders.Optional(request, StandardWebhookSignature.IdHeader),
            DeliveryHeaders.Optional(request, StandardWebhookSignature.TimestampHeader),
            DeliveryHeaders.Optional(request, StandardWebhookSignature.SignatureHeader), body, key, now);

    protected override PlatformDelivery Read(HttpRequest request, ReadOnlyMemory<byte> body)
    {
        var id = DeliveryHeaders.Required(request, StandardWebhookSignature.IdHeader);
        using var doc = JsonFields.ParseObject(body);
        var root = doc.RootElement;
        var type = JsonFields.Text(root, "type") ?? "webhook";
        var dot = type.IndexOf('.');
        var ev = new PlatformEvent
        {
            Platform = PlatformName,
            EventType = dot > 0 ? type[..dot] : type,
            Action = dot > 0 ? type[(dot + 1)..] : null,
            DeliveryId = id,
        };
        return PlatformDelivery.Of(ev, body);
    }
}
