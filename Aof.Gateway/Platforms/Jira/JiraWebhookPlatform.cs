using System.Text;
using Aof.Core.Resources;
using Aof.Core.Triggers;
using Aof.Gateway.Platforms.Common;
using Aof.Gateway.Webhooks;

namespace Aof.Gateway.Platforms.Jira;

/// <summary>
/// Jira Cloud webhooks with a secret: <c>X-Hub-Signature: sha256=</c> hex HMAC-SHA256 of the raw body; dedup by
/// <c>X-Atlassian-Webhook-Identifier</c>. Event: <c>webhookEvent</c> (jira:issue_created, comment_created...).
/// </summary>
public sealed class JiraWebhookPlatform(PlatformServices services) : SignedWebhookPlatform<byte[]>(services)
{
    public const string PlatformName = "jira";
    public const string SignatureHeader = "X-Hub-Signature";
    public const string IdentifierHeader = "X-Atlassian-Webhook-Identifier";

    public override string Name => PlatformName;
    protected override string TriggerType => "Jira";
    protected override string SecretKey => "webhook_secret";
    protected override string SignatureDescription => SignatureHeader;

    protected override byte[] ParseKey(string secret, TriggerResource trigger) => Encoding.UTF8.GetBytes(secret);

    protected override bool Verify(HttpRequest request, ReadOnlySpan<byte> body, byte[] key, DateTimeOffset now) =>
        HubSignature.Verify(DeliveryHeaders.Optional(request, SignatureHeader), key, body);

    protected override PlatformDelivery Read(HttpRequest request, ReadOnlyMemory<byte> body)
    {
        var id = DeliveryHeaders.Required(request, IdentifierHeader);
        using var doc = JsonFields.ParseObject(body);
        var root = doc.RootElement;
        var ev = new PlatformEvent
        {
            Platform = PlatformName,
            EventType = JsonFields.Text(root, "webhookEvent") ?? throw new WebhookFormatException("body has no webhookEvent"),
            Action = JsonFields.Text(root, "issue_event_type_name"),
            Repo = JsonFields.Text(root, "issue", "fields", "project", "key"),
            User = JsonFields.FirstText(root, ["user", "accountId"], ["user", "name"], ["comment", "author", "accountId"]),
            Text = JsonFields.FirstText(root, ["comment", "body"], ["issue", "fields", "summary"]),
            DeliveryId = id,
        };
        return PlatformDelivery.Of(ev, body);
    }
}
