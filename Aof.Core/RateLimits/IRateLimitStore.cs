namespace Aof.Core.RateLimits;

/// <summary>
/// Where the limits' state lives, shared by every worker: the broker in use (Redis: one Lua script; NATS: KV with
/// revision checks; memory: this process). Per scope it keeps a log of execution starts in the last
/// <see cref="Window"/> and a set of running executions whose slots expire unless renewed (a dead worker's slots
/// free themselves).
/// </summary>
public interface IRateLimitStore
{
    /// <summary>The sliding window of executions_per_minute.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Admits one execution under every scope, or none: either all scopes had room and <paramref name="holder"/> now
    /// counts in each (a start in the log, a slot until <paramref name="slotTtl"/> unless renewed), or nothing changed.
    /// </summary>
    Task<RateLimitAdmission> TryAcquireAsync(IReadOnlyList<RateLimitScope> scopes, string holder, TimeSpan slotTtl, CancellationToken ct);

    /// <summary>Extends the slots <paramref name="holder"/> still holds by <paramref name="slotTtl"/> from now.</summary>
    Task RenewAsync(IReadOnlyList<RateLimitScope> scopes, string holder, TimeSpan slotTtl, CancellationToken ct);

    /// <summary>Frees the slots of <paramref name="holder"/> (its starts stay in the log).</summary>
    Task ReleaseAsync(IReadOnlyList<RateLimitScope> scopes, string holder, CancellationToken ct);
}

/// <summary>
/// The answer of <see cref="IRateLimitStore.TryAcquireAsync"/>. When refused: <see cref="Scope"/> is the first scope
/// that refused, <see cref="RateLimited"/> tells a full window from full slots, and <see cref="RetryAfter"/> is when
/// the window frees a start (zero when only slots are full: when one frees is not known).
/// </summary>
public readonly record struct RateLimitAdmission(bool Admitted, RateLimitScope? Scope, bool RateLimited, TimeSpan RetryAfter)
{
    public static readonly RateLimitAdmission Yes = new(true, null, false, TimeSpan.Zero);
}
