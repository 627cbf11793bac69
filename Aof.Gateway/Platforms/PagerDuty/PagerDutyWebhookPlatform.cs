using System.Text;
using Aof.Core.Resources;
using Aof.Core.Triggers;
using Aof.Gateway.Platforms.Common;
using Aof.Gateway.Webhooks;

namespace Aof.Gateway.Platforms.PagerDuty;

/// <summary>
/// PagerDuty v3 webhooks: <c>X-PagerDuty-Signature</c> holds one or more comma-separated <c>v1=</c> hex
/// HMAC-SHA256 signatures of the raw body (several during a secret rotation); any one verifying is enough.
/// Dedup by <c>event.id</c>; <c>incident.triggered</c> becomes event "incident", action "triggered".
/// </summary>
public sealed class PagerDutyWebhookPlatform(PlatformServices services) : SignedWebhookPlatform<byte[]>(services)
{
    public const string PlatformName = "pagerduty";
    public const string SignatureHeader = "X-PagerDuty-Signature";
    private const string Prefix = "v1=";

    public override string Name => PlatformName;
    protected override string TriggerType => "PagerDuty";
    protected override string SecretKey => "webhook_secret";
    protected override string SignatureDescription => SignatureHeader;

    protected override byte[] ParseKey(string secret, TriggerResource trigger) => Encoding.UTF8.GetBytes(secret);

    protected override bool Verify(HttpRequest request, ReadOnlySpan<byte> body, byte[] key, DateTimeOffset now)
    {
        var header = DeliveryHeaders.Optional(request, SignatureHeader);
        if (header is null) return false;
        var any = false;
        foreach (var part in header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            any |= part.StartsWith(Prefix, StringComparison.Ordinal) && HmacHex.Verify(key, body, part.AsSpan(Prefix.Length));
        return any;
    }

    public static string Sign(ReadOnlySpan<byte> body, string secret) => Prefix + HmacHex.Compute(secret, body);

    protected override PlatformDelivery Read(HttpRequest request, ReadOnlyMemory<byte> body)
    {
        using var doc = JsonFields.ParseObject(body);
        var root = doc.RootElement;
        var type = JsonFields.Text(root, "event", "event_type") ?? throw new WebhookFormatException("body has no event.event_type");
        var dot = type.IndexOf('.');
        var ev = new PlatformEvent
        {
            Platform = PlatformName,
            EventType = dot > 0 ? type[..dot] : type,
            Action = dot > 0 ? type[(dot + 1)..] : null,
            ServiceId = JsonFields.Text(root, "event", "data", "service", "id"),
            Repo = JsonFields.Text(root, "event", "data", "service", "summary"),
            User = JsonFields.FirstText(root, ["event", "agent", "summary"], ["event", "agent", "id"]),
            Text = JsonFields.Text(root, "event", "data", "title"),
            DeliveryId = DeliveryHeaders.RequiredField(JsonFields.Text(root, "event", "id"), "event.id"),
        };
        return PlatformDelivery.Of(ev, body);
    }
}
