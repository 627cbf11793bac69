using System.Text;
using Aof.Core.Resources;
using Aof.Core.Triggers;
using Aof.Gateway.Platforms.Common;
using Aof.Gateway.Webhooks;
using static Aof.Gateway.Webhooks.WebhookResult;

namespace Aof.Gateway.Platforms.GitLab;

/// <summary>
/// GitLab: the shared token in <c>X-Gitlab-Token</c> (compared in constant time), dedup by
/// <c>X-Gitlab-Event-UUID</c>. With <c>platforms.gitlab.groups[]</c> configured, the top-level group of the
/// project picks the token (unknown group -> 404, wrong token -> 401; never another group's token).
/// </summary>
public sealed class GitLabWebhookPlatform(PlatformServices services) : SignedWebhookPlatform<byte[]>(services)
{
    public const string PlatformName = "gitlab";
    public const string TokenHeader = "X-Gitlab-Token";
    public const string UuidHeader = "X-Gitlab-Event-UUID";

    public override string Name => PlatformName;
    protected override string TriggerType => "GitLab";
    protected override string SecretKey => "webhook_secret";
    protected override string SignatureDescription => TokenHeader;

    protected override byte[] ParseKey(string secret, TriggerResource trigger) => Encoding.UTF8.GetBytes(secret);

    protected override bool Verify(HttpRequest request, ReadOnlySpan<byte> body, byte[] key, DateTimeOffset now) =>
        HmacHex.TokenEquals(DeliveryHeaders.Optional(request, TokenHeader), key);

    // With groups, the triggers' own secrets are not used, so they need none.
    public override void Validate()
    {
        if (Services.Credentials.GitLabGroups.Count == 0) base.Validate();
    }

    protected override IReadOnlyList<TriggerResource> Authenticate(HttpRequest request, ReadOnlyMemory<byte> body, DateTimeOffset now, out WebhookResult? refusal)
    {
        var groups = Services.Credentials.GitLabGroups;
        if (groups.Count == 0) return base.Authenticate(request, body, now, out refusal);

        // The group is read from the unverified body only to choose the token; nothing else is done with it yet.
        using var doc = JsonFields.ParseObject(body);
        var group = GroupOf(doc.RootElement);
        var tenant = group is null ? null : groups.FirstOrDefault(g => g.Name.Equals(group, StringComparison.OrdinalIgnoreCase));
        if (tenant is null)
        {
            refusal = Error(Outcomes.NotFound, StatusCodes.Status404NotFound, $"unknown GitLab group '{group}'");
            return [];
        }
        refusal = null;
        return Verify(request, body.Span, Encoding.UTF8.GetBytes(tenant.WebhookSecret), now) ? Triggers : [];
    }

    private static string? GroupOf(System.Text.Json.JsonElement root) =>
        JsonFields.FirstSegment(JsonFields.FirstText(root, ["project", "path_with_namespace"], ["group", "full_path"], ["group", "group_path"]));

    protected override PlatformDelivery Read(HttpRequest request, ReadOnlyMemory<byte> body)
    {
        var uuid = DeliveryHeaders.Required(request, UuidHeader);
        using var doc = JsonFields.ParseObject(body);
        var root = doc.RootElement;
        var kind = JsonFields.FirstText(root, ["object_kind"], ["event_name"])
                   ?? throw new WebhookFormatException("body has no object_kind");
        var project = JsonFields.Text(root, "project", "path_with_namespace");
        string? branch = null;
        if (kind == "push")
        {
            var gitRef = JsonFields.Text(root, "ref");
            branch = gitRef is not null && gitRef.StartsWith("refs/heads/", StringComparison.Ordinal) ? gitRef["refs/heads/".Length..] : null;
        }
        else if (kind == "merge_request")
        {
            branch = JsonFields.Text(root, "object_attributes", "target_branch");
        }

        var ev = new PlatformEvent
        {
            Platform = PlatformName,
            EventType = kind,
            Action = JsonFields.Text(root, "object_attributes", "action"),
            Org = JsonFields.FirstSegment(project) ?? GroupOf(root),
            Repo = project,
            User = JsonFields.FirstText(root, ["user", "username"], ["user_username"]),
            Text = kind == "note" ? JsonFields.Text(root, "object_attributes", "note") : null,
            Branch = branch,
            DeliveryId = uuid,
        };
        return PlatformDelivery.Of(ev, body);
    }
}
