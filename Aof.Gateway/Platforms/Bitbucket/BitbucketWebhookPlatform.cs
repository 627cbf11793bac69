using System.Text;
using Aof.Core.Resources;
using Aof.Core.Triggers;
using Aof.Gateway.Platforms.Common;
using Aof.Gateway.Webhooks;

namespace Aof.Gateway.Platforms.Bitbucket;

/// <summary>
/// Bitbucket Cloud: <c>X-Hub-Signature: sha256=</c> hex HMAC-SHA256 of the raw body, dedup by
/// <c>X-Request-UUID</c>, event from <c>X-Event-Key</c> (repo:push, pullrequest:created...).
/// </summary>
public sealed class BitbucketWebhookPlatform(PlatformServices services) : SignedWebhookPlatform<byte[]>(services)
{
    public const string PlatformName = "bitbucket";
    public const string SignatureHeader = "X-Hub-Signature";
    public const string UuidHeader = "X-Request-UUID";
    public const string EventHeader = "X-Event-Key";

    public override string Name => PlatformName;
    protected override string TriggerType => "Bitbucket";
    protected override string SecretKey => "webhook_secret";
    protected override string SignatureDescription => SignatureHeader;

    protected override byte[] ParseKey(string secret, TriggerResource trigger) => Encoding.UTF8.GetBytes(secret);

    protected override bool Verify(HttpRequest request, ReadOnlySpan<byte> body, byte[] key, DateTimeOffset now) =>
        HubSignature.Verify(DeliveryHeaders.Optional(request, SignatureHeader), key, body);

    public static string Sign(ReadOnlySpan<byte> body, string secret) => HubSignature.Compute(body, secret);

    protected override PlatformDelivery Read(HttpRequest request, ReadOnlyMemory<byte> body)
    {
        var uuid = DeliveryHeaders.Required(request, UuidHeader);
        var eventKey = DeliveryHeaders.Required(request, EventHeader);
        using var doc = JsonFields.ParseObject(body);
        var root = doc.RootElement;
        var fullName = JsonFields.Text(root, "repository", "full_name");
        var branch = eventKey == "repo:push"
            ? (JsonFields.Text(root, "push", "changes", "0", "new", "type") == "branch" ? JsonFields.Text(root, "push", "changes", "0", "new", "name") : null)
            : JsonFields.Text(root, "pullrequest", "destination", "branch", "name");

        var ev = new PlatformEvent
        {
            Platform = PlatformName,
            EventType = eventKey,
            Org = JsonFields.Text(root, "repository", "workspace", "slug") ?? JsonFields.FirstSegment(fullName),
            Repo = fullName,
            User = JsonFields.FirstText(root, ["actor", "nickname"], ["actor", "display_name"]),
            Text = JsonFields.Text(root, "comment", "content", "raw"),
            Branch = branch,
            DeliveryId = uuid,
        };
        return PlatformDelivery.Of(ev, body);
    }
}
