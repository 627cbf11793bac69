using System.Text;
using Aof.Core.Resources;
using Aof.Gateway.Platforms.Common;

namespace Aof.Gateway.Platforms.GitHub;

/// <summary>
/// The enabled GitHub triggers, grouped by webhook secret. Each trigger has its own secret; a delivery is
/// authentic for the triggers whose secret verifies its signature, and only those may match it. Grouping
/// means each distinct secret costs one HMAC per request, however many triggers share it.
/// </summary>
public sealed class GitHubTriggerSet
{
    private readonly TriggerResource[] _triggers;
    private readonly HmacSha256Key[] _secrets;
    private readonly int[] _secretOfTrigger;

    public GitHubTriggerSet(ResourceCatalog catalog)
    {
        _triggers = catalog.Triggers
            .Where(t => t.Enabled && t.GitHub is not null && t.Type.Equals("GitHub", StringComparison.OrdinalIgnoreCase))
            .ToArray();
        var distinct = _triggers.Select(t => t.GitHub!.WebhookSecret).Distinct(StringComparer.Ordinal).ToList();
        _secrets = distinct.Select(s => new HmacSha256Key(Encoding.UTF8.GetBytes(s))).ToArray();
        _secretOfTrigger = _triggers.Select(t => distinct.IndexOf(t.GitHub!.WebhookSecret)).ToArray();
    }

    public bool IsEmpty => _triggers.Length == 0;

    /// <summary>Every enabled GitHub trigger, in catalog order.</summary>
    public IReadOnlyList<TriggerResource> All => _triggers;

    public int DistinctSecrets => _secrets.Length;

    /// <summary>
    /// The triggers (in catalog order) whose secret verifies <paramref name="signatureHeader"/> over
    /// <paramref name="body"/>; empty when the header is missing, malformed, or verifies with no secret.
    /// </summary>
    public IReadOnlyList<TriggerResource> Authenticate(ReadOnlySpan<byte> body, string? signatureHeader)
    {
        Span<byte> expected = stackalloc byte[HmacSha256Key.DigestBytes];
        if (!GitHubSignature.TryParseHeader(signatureHeader, expected)) return [];

        // Every secret is tried (no early exit) so timing does not tell which secret matched.
        Span<bool> verified = _secrets.Length <= 64 ? stackalloc bool[_secrets.Length] : new bool[_secrets.Length];
        var any = false;
        for (var i = 0; i < _secrets.Length; i++)
        {
            verified[i] = _secrets[i].Matches(body, expected);
            any |= verified[i];
        }
        if (!any) return [];

        var candidates = new List<TriggerResource>(_triggers.Length);
        for (var i = 0; i < _triggers.Length; i++)
            if (verified[_secretOfTrigger[i]]) candidates.Add(_triggers[i]);
        return candidates;
    }
}
