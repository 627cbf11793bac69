namespace Aof.Core.RateLimits;

/// <summary>One limited tenant: its store key (<c>org:name</c> / <c>repo:owner/name</c>, lower case) and its limits.</summary>
public sealed record RateLimitScope(string Key, string Kind, int PerMinute, int MaxConcurrent)
{
    public const string Organization = "organization";
    public const string Repository = "repository";
}

/// <summary>
/// Which limits apply to an event: its organization's (named entry, else per_organization) and its repository's
/// (named entry, else per_repository). Pure lookups, no I/O: an event no limit applies to costs nothing more.
/// </summary>
public sealed class RateLimitPolicy
{
    private readonly RateLimitOptions _options;
    private readonly Dictionary<string, RateLimit> _organizations;
    private readonly Dictionary<string, RateLimit> _repositories;

    public RateLimitPolicy(RateLimitOptions options)
    {
        _options = options;
        _organizations = options.Organizations.ToDictionary(o => o.Name, o => (RateLimit)o, StringComparer.OrdinalIgnoreCase);
        _repositories = options.Repositories.ToDictionary(r => r.Name, r => (RateLimit)r, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>True when no limit is configured at all: the worker skips the limiter entirely.</summary>
    public bool IsEmpty => _options.IsEmpty;

    public IReadOnlyList<RateLimitScope> ScopesFor(string? organization, string? repository)
    {
        RateLimitScope? org = null, repo = null;
        if (!string.IsNullOrWhiteSpace(organization)
            && (_organizations.GetValueOrDefault(organization) ?? _options.PerOrganization) is { } o)
        {
            org = Scope("org:", organization, RateLimitScope.Organization, o);
        }
        if (!string.IsNullOrWhiteSpace(repository)
            && (_repositories.GetValueOrDefault(repository) ?? _options.PerRepository) is { } r)
        {
            repo = Scope("repo:", repository, RateLimitScope.Repository, r);
        }
        return (org, repo) switch
        {
            (null, null) => [],
            ({ } a, null) => [a],
            (null, { } b) => [b],
            ({ } a, { } b) => [a, b],
        };
    }

    private static RateLimitScope Scope(string prefix, string name, string kind, RateLimit limit) =>
        new(prefix + name.Trim().ToLowerInvariant(), kind, limit.ExecutionsPerMinute ?? 0, limit.MaxConcurrent ?? 0);
}
