using System.Text;
using Aof.Core.Configuration;
using Aof.Core.Resources;
using Aof.Core.Triggers;
using Aof.Core.Triggers.GitHub;
using Aof.Gateway.Platforms.Common;
using Aof.Gateway.Webhooks;
using Microsoft.Extensions.Options;
using static Aof.Gateway.Webhooks.WebhookResult;

namespace Aof.Gateway.Platforms.GitHub;

/// <summary>
/// GitHub deliveries: verify against the triggers' secrets, read the event, match, publish. With
/// <c>platforms.github.organizations[]</c> configured, the organization in the payload picks the one secret
/// the delivery is checked against instead (unknown organization -> 404, wrong secret -> 401, never a fallback).
/// </summary>
public sealed class GitHubWebhookPlatform(
    ResourceCatalog catalog,
    EnvelopePublisher publisher,
    IOptions<AofOptions> options,
    PlatformCredentials credentials) : IWebhookPlatform
{
    public const string PlatformName = "github";

    private readonly Lazy<GitHubTriggerSet> _triggers = new(() => new GitHubTriggerSet(catalog));

    // Each organization's secret as a reusable key (see HmacSha256Key), as the triggers' secrets are.
    private readonly Lazy<Dictionary<string, HmacSha256Key>> _organizationKeys = new(() => credentials.GitHubOrganizations
        .ToDictionary(o => o.Name, o => new HmacSha256Key(Encoding.UTF8.GetBytes(o.WebhookSecret)), StringComparer.OrdinalIgnoreCase));

    public string Name => PlatformName;

    public bool HasEnabledTriggers => !_triggers.Value.IsEmpty;

    public async Task<WebhookResult> HandleAsync(HttpRequest request, ReadOnlyMemory<byte> body, CancellationToken ct)
    {
        // 1. Signature over the raw bytes (for a form body: the whole form, not the decoded payload).
        WebhookResult? refusal = null;
        var candidates = credentials.GitHubOrganizations.Count > 0
            ? AuthenticateByOrganization(request, body, out refusal)
            : _triggers.Value.Authenticate(body.Span, request.Headers[GitHubSignature.HeaderName]);
        if (refusal is not null) return refusal;
        if (candidates.Count == 0)
            return Error(Outcomes.Unauthorized, StatusCodes.Status401Unauthorized, $"missing or invalid {GitHubSignature.HeaderName}");

        // 2. Headers and the few fields matching needs.
        var eventType = RequiredHeader(request, GitHubEventReader.EventHeader);
        var json = GitHubEventReader.ExtractJson(body, request.ContentType);
        if (eventType == "ping")
            return new WebhookResult(Outcomes.Ping, StatusCodes.Status200OK, new WebhookPing(true, GitHubEventReader.ReadZen(json.Span)));
        var deliveryId = RequiredHeader(request, GitHubEventReader.DeliveryHeader);
        var evt = GitHubEventReader.Read(eventType, json.Span);

        // 3. Match; dedup happens atomically inside the publish, keyed by the delivery id.
        var matches = GitHubTriggerMatcher.Match(candidates, evt);
        if (matches.Count == 0) return Unmatched();

        var inbound = new InboundEvent(PlatformName, deliveryId, evt.EventType, evt.Action, evt.Org, evt.Repository, evt.Sender, json);
        var published = await publisher.PublishAsync(inbound, matches, ct);
        return published.Status switch
        {
            PublishStatus.Unavailable => new WebhookResult(Outcomes.Unavailable, StatusCodes.Status503ServiceUnavailable,
                new ErrorResponse("queue unavailable; retry later"), options.Value.Gateway.RetryAfterSecs),
            // The broker's own message limit (NATS max_payload) can be below the gateway's body limit.
            PublishStatus.TooLarge => Error(Outcomes.TooLarge, StatusCodes.Status413PayloadTooLarge, published.Error!),
            _ => Published(published),
        };
    }

    private IReadOnlyList<TriggerResource> AuthenticateByOrganization(HttpRequest request, ReadOnlyMemory<byte> body, out WebhookResult? refusal)
    {
        // The organization is read from the unverified body only to choose the secret; nothing else is done with it yet.
        var org = GitHubEventReader.Read("unknown", GitHubEventReader.ExtractJson(body, request.ContentType).Span).Org;
        var tenant = org is null ? null : credentials.GitHubOrganizations.FirstOrDefault(o => o.Name.Equals(org, StringComparison.OrdinalIgnoreCase));
        if (tenant is null)
        {
            refusal = Error(Outcomes.NotFound, StatusCodes.Status404NotFound, $"unknown GitHub organization '{org}'");
            return [];
        }
        refusal = null;
        Span<byte> expected = stackalloc byte[HmacSha256Key.DigestBytes];
        return GitHubSignature.TryParseHeader(request.Headers[GitHubSignature.HeaderName], expected) &&
               _organizationKeys.Value[tenant.Name].Matches(body.Span, expected)
            ? _triggers.Value.All
            : [];
    }

    private static string RequiredHeader(HttpRequest request, string name)
    {
        var value = request.Headers[name].ToString();
        return string.IsNullOrWhiteSpace(value) ? throw new WebhookFormatException($"missing {name} header") : value.Trim();
    }
}
