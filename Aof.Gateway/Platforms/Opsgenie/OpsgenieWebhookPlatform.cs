using System.Text;
using System.Text.Json.Nodes;
using Aof.Core.Resources;
using Aof.Core.Triggers;
using Aof.Gateway.Platforms.Common;
using Aof.Gateway.Webhooks;

namespace Aof.Gateway.Platforms.Opsgenie;

/// <summary>How an Opsgenie trigger authenticates: its token in a header, or HTTP basic auth (user + token as password).</summary>
public sealed record OpsgenieKey(byte[] Expected, string? Header);

/// <summary>
/// Opsgenie's webhook integration signs nothing, so the integration is configured to send a shared token:
/// by default in <c>X-Opsgenie-Token</c> (<c>config.token_header</c> names another), or, with
/// <c>config.basic_auth_user</c>, as HTTP basic auth whose password is the token. Compared in constant time.
/// Dedup by alert id + action + update time (one alert sees many actions).
/// </summary>
public sealed class OpsgenieWebhookPlatform(PlatformServices services) : SignedWebhookPlatform<OpsgenieKey>(services)
{
    public const string PlatformName = "opsgenie";
    public const string DefaultTokenHeader = "X-Opsgenie-Token";

    public override string Name => PlatformName;
    protected override string TriggerType => "Opsgenie";
    protected override string SecretKey => "webhook_token";
    protected override string SignatureDescription => "Opsgenie token or basic auth";

    private static string? ConfigText(TriggerResource t, string key) => t.Config[key] is JsonValue v && v.ToString() is { Length: > 0 } s ? s.Trim() : null;

    protected override string GroupingOf(TriggerResource trigger, string secret) =>
        $"{ConfigText(trigger, "basic_auth_user")}\n{ConfigText(trigger, "token_header")}\n{secret}";

    protected override OpsgenieKey ParseKey(string secret, TriggerResource trigger) =>
        ConfigText(trigger, "basic_auth_user") is { } user
            ? new OpsgenieKey(Encoding.UTF8.GetBytes("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{secret}"))), null)
            : new OpsgenieKey(Encoding.UTF8.GetBytes(secret), ConfigText(trigger, "token_header") ?? DefaultTokenHeader);

    protected override bool Verify(HttpRequest request, ReadOnlySpan<byte> body, OpsgenieKey key, DateTimeOffset now) =>
        HmacHex.TokenEquals(DeliveryHeaders.Optional(request, key.Header ?? "Authorization"), key.Expected);

    protected override PlatformDelivery Read(HttpRequest request, ReadOnlyMemory<byte> body)
    {
        using var doc = JsonFields.ParseObject(body);
        var root = doc.RootElement;
        var alertId = DeliveryHeaders.RequiredField(JsonFields.Text(root, "alert", "alertId"), "alert.alertId");
        var action = JsonFields.Text(root, "action");
        var ev = new PlatformEvent
        {
            Platform = PlatformName,
            EventType = "alert",
            Action = action,
            Org = JsonFields.Text(root, "integrationName"),
            User = JsonFields.Text(root, "alert", "username"),
            Text = JsonFields.Text(root, "alert", "message"),
            DeliveryId = $"{alertId}:{action}:{JsonFields.Text(root, "alert", "updatedAt")}",
        };
        return PlatformDelivery.Of(ev, body);
    }
}
