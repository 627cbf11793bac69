namespace Aof.Core.RateLimits;

/// <summary>
/// Tenant rate limits (DaemonConfig <c>spec.runtime.rate_limits</c>): defaults that apply to every organization and
/// every repository separately, and overrides by name. Checked by the worker before it executes a message; a
/// limited message is deferred, never failed or dropped. Validated at startup by <see cref="RateLimitConfiguration"/>.
/// </summary>
public sealed class RateLimitOptions
{
    /// <summary>Applies to each organization that has no entry in <see cref="Organizations"/>.</summary>
    public RateLimit? PerOrganization { get; set; }

    /// <summary>Applies to each repository that has no entry in <see cref="Repositories"/>.</summary>
    public RateLimit? PerRepository { get; set; }

    /// <summary>Limits of named organizations (the envelope's <c>org</c>, case-insensitive).</summary>
    public List<NamedRateLimit> Organizations { get; set; } = [];

    /// <summary>Limits of named repositories (the envelope's <c>repo</c>, e.g. <c>myorg/myrepo</c>, case-insensitive).</summary>
    public List<NamedRateLimit> Repositories { get; set; } = [];

    public bool IsEmpty => PerOrganization is null && PerRepository is null && Organizations.Count == 0 && Repositories.Count == 0;
}

public class RateLimit
{
    /// <summary>Executions started within any 60-second window (sliding), across all workers. Null: no rate limit.</summary>
    public int? ExecutionsPerMinute { get; set; }

    /// <summary>Executions running at once, across all workers. Null: no concurrency limit.</summary>
    public int? MaxConcurrent { get; set; }
}

public sealed class NamedRateLimit : RateLimit
{
    public string Name { get; set; } = "";
}
