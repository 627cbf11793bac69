using System.Text.Json.Nodes;
using Aof.Core.Configuration;
using Aof.Core.Resources;
using Aof.Core.Triggers;
using Aof.Core.Triggers.Platforms;
using Aof.Gateway.Webhooks;
using Microsoft.Extensions.Options;
using static Aof.Gateway.Webhooks.WebhookResult;

namespace Aof.Gateway.Platforms.Common;

/// <summary>What every adapter needs from the host, in one parameter.</summary>
public sealed record PlatformServices(
    ResourceCatalog Catalog,
    EnvelopePublisher Publisher,
    IOptions<AofOptions> Options,
    PlatformCredentials Credentials,
    TimeProvider Time);

/// <summary>An adapter whose configuration can be checked when the gateway starts.</summary>
public interface IValidatedPlatform
{
    /// <summary>Throws <see cref="PlatformConfigurationException"/> when a trigger of this platform cannot be verified.</summary>
    void Validate();
}

/// <summary>
/// The shared shape of a platform adapter: the platform's enabled triggers grouped by their verification key
/// (from the trigger's <c>config</c>, else the platform-wide <c>platforms.{name}.{key}_env</c>), then per
/// request: verify the raw bytes against every key (no early exit, so timing does not tell which one matched)
/// -> 401 when none does; read the event (or answer the platform's own request) -> match the triggers whose key
/// verified -> publish -> answer. Subclasses supply the verification and the reading.
/// </summary>
public abstract class SignedWebhookPlatform<TKey> : IWebhookPlatform, IValidatedPlatform where TKey : notnull
{
    protected sealed record KeyGroup(string Secret, TKey Key, TriggerResource[] Triggers);

    private readonly Lazy<KeyGroup[]> _groups;

    protected SignedWebhookPlatform(PlatformServices services)
    {
        Services = services;
        _groups = new Lazy<KeyGroup[]>(BuildGroups);
    }

    protected PlatformServices Services { get; }

    public abstract string Name { get; }

    /// <summary>The trigger <c>type</c> this adapter serves ("Slack").</summary>
    protected abstract string TriggerType { get; }

    /// <summary>The <c>config</c> key holding the verification secret ("signing_secret").</summary>
    protected abstract string SecretKey { get; }

    /// <summary>How the 401 names what was missing or wrong ("X-Slack-Signature").</summary>
    protected abstract string SignatureDescription { get; }

    /// <summary>Turns the secret text into the verification key; throws <see cref="PlatformConfigurationException"/> when it cannot be one.</summary>
    protected abstract TKey ParseKey(string secret, TriggerResource trigger);

    /// <summary>True when the request is signed with <paramref name="key"/> (and, where the platform signs one, its timestamp is fresh).</summary>
    protected abstract bool Verify(HttpRequest request, ReadOnlySpan<byte> body, TKey key, DateTimeOffset now);

    /// <summary>Reads a verified body. Throws <see cref="WebhookFormatException"/> for a malformed one.</summary>
    protected abstract PlatformDelivery Read(HttpRequest request, ReadOnlyMemory<byte> body);

    public IReadOnlyList<TriggerResource> Triggers => field ??= Services.Catalog.Triggers
        .Where(t => t.Enabled && t.Type.Equals(TriggerType, StringComparison.OrdinalIgnoreCase))
        .ToArray();

    public bool HasEnabledTriggers => Triggers.Count > 0;

    protected IReadOnlyList<KeyGroup> Groups => _groups.Value;

    public virtual void Validate() => _ = _groups.Value;

    public async Task<WebhookResult> HandleAsync(HttpRequest request, ReadOnlyMemory<byte> body, CancellationToken ct)
    {
        var now = Services.Time.GetUtcNow();
        var candidates = Authenticate(request, body, now, out var refusal);
        if (refusal is not null) return refusal;
        if (candidates.Count == 0)
            return Error(Outcomes.Unauthorized, StatusCodes.Status401Unauthorized, $"missing or invalid {SignatureDescription}");

        var delivery = Read(request, body);
        if (delivery.Special is { } special) return special;
        var ev = delivery.Event!;

        var matches = PlatformTriggerMatcher.Match(candidates, ev);
        if (matches.Count == 0) return Unmatched(ev);

        var inbound = new InboundEvent(Name, ev.DeliveryId, ev.EventType, ev.Action, ev.Org, ev.Repo ?? ev.Channel, ev.User, delivery.Payload,
            ev.Channel ?? ev.ChatId, ev.Text);
        var published = await Services.Publisher.PublishAsync(inbound, matches, ct);
        return published.Status switch
        {
            PublishStatus.Unavailable => new WebhookResult(Outcomes.Unavailable, StatusCodes.Status503ServiceUnavailable,
                new ErrorResponse("queue unavailable; retry later"), Services.Options.Value.Gateway.RetryAfterSecs),
            PublishStatus.TooLarge => Error(Outcomes.TooLarge, StatusCodes.Status413PayloadTooLarge, published.Error!),
            _ => Accepted(published, ev),
        };
    }

    /// <summary>
    /// The triggers this request may match. The default tries every key group; an adapter with tenants (GitLab
    /// groups) picks one key by the payload instead, and may refuse with its own answer (404 for an unknown tenant).
    /// </summary>
    protected virtual IReadOnlyList<TriggerResource> Authenticate(HttpRequest request, ReadOnlyMemory<byte> body, DateTimeOffset now, out WebhookResult? refusal)
    {
        refusal = null;
        var groups = _groups.Value;
        Span<bool> verified = groups.Length <= 64 ? stackalloc bool[groups.Length] : new bool[groups.Length];
        var any = false;
        for (var i = 0; i < groups.Length; i++)
        {
            verified[i] = Verify(request, body.Span, groups[i].Key, now);
            any |= verified[i];
        }
        if (!any) return [];

        // Catalog order, as GitHub does.
        var allowed = new HashSet<TriggerResource>(ReferenceEqualityComparer.Instance);
        for (var i = 0; i < groups.Length; i++)
            if (verified[i]) allowed.UnionWith(groups[i].Triggers);
        return Triggers.Where(allowed.Contains).ToList();
    }

    /// <summary>The answer to a published delivery; Slack and Discord answer in their own formats.</summary>
    protected virtual WebhookResult Accepted(PublishOutcome published, PlatformEvent ev) => Published(published);

    protected virtual WebhookResult Unmatched(PlatformEvent ev) => WebhookResult.Unmatched();

    /// <summary>The trigger's own secret (config), else the platform-wide one; a trigger with neither cannot be verified.</summary>
    protected string SecretOf(TriggerResource trigger, string key)
    {
        if (trigger.Config[key] is JsonValue value && value.ToString() is var text && text.Length > 0)
            return text;
        if (trigger.Config[key] is not null)
            throw new PlatformConfigurationException($"trigger '{trigger.Name}' ({TriggerType}): config.{key} is empty");
        return Services.Credentials.PlatformSecret(Name, key)
               ?? throw new PlatformConfigurationException(
                   $"trigger '{trigger.Name}' ({TriggerType}) has no config.{key}, and {PlatformCredentials.SettingName(Name, key)} is not set");
    }

    /// <summary>Triggers whose keys are the same secret share one group, so each secret costs one check per request.</summary>
    protected virtual string GroupingOf(TriggerResource trigger, string secret) => secret;

    private KeyGroup[] BuildGroups()
    {
        var groups = new List<(string Grouping, string Secret, TKey Key, List<TriggerResource> Triggers)>();
        foreach (var trigger in Triggers)
        {
            var secret = SecretOf(trigger, SecretKey);
            var grouping = GroupingOf(trigger, secret);
            var index = groups.FindIndex(g => g.Grouping == grouping);
            if (index >= 0) groups[index].Triggers.Add(trigger);
            else groups.Add((grouping, secret, ParseKey(secret, trigger), [trigger]));
        }
        return groups.Select(g => new KeyGroup(g.Secret, g.Key, g.Triggers.ToArray())).ToArray();
    }
}
