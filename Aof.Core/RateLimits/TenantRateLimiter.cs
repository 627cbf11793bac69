using System.Collections.Concurrent;
using Aof.Core.Events;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Aof.Core.RateLimits;

/// <summary>
/// The worker's view of the tenant limits: for an event, which limits apply (<see cref="RateLimitPolicy"/>), whether
/// it may run now (<see cref="IRateLimitStore"/>, shared by all workers), and if not, how long to defer it. A running
/// execution's concurrency slots are renewed here every third of their TTL until it is released, so a worker that dies
/// frees its slots within one TTL (the queue's visibility timeout) and a live one never loses them.
/// </summary>
public sealed class TenantRateLimiter : IAsyncDisposable, IDisposable
{
    public const string RateLimitReason = "rate_limit";
    public const string ConcurrencyLimitReason = "concurrency_limit";

    private readonly RateLimitPolicy _policy;
    private readonly IRateLimitStore _store;
    private readonly TimeSpan _slotTtl;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, RateLimitPermit> _held = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _renewLock = new();
    private Task? _renewals;

    public TenantRateLimiter(RateLimitPolicy policy, IRateLimitStore store, TimeSpan slotTtl, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        _policy = policy;
        _store = store;
        _slotTtl = slotTtl > TimeSpan.Zero ? slotTtl : TimeSpan.FromSeconds(30);
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>False when no limit is configured: the worker then never calls the limiter.</summary>
    public bool Enabled => !_policy.IsEmpty;

    /// <summary>
    /// How long a message refused for full slots waits before it is tried again (±50 % jitter); when a slot frees is
    /// not known, and a short wait keeps the tenant's throughput close to its limit.
    /// </summary>
    public TimeSpan ConcurrencyRetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Slots held by executions of this process right now.</summary>
    public int HeldPermits => _held.Count;

    public async Task<RateLimitDecision> TryAdmitAsync(EventEnvelope envelope, CancellationToken ct)
    {
        var scopes = _policy.ScopesFor(envelope.Org, envelope.Repo);
        if (scopes.Count == 0) return RateLimitDecision.Unlimited;

        var holder = Ulid.NewUlid();
        var admission = await _store.TryAcquireAsync(scopes, holder, _slotTtl, ct).ConfigureAwait(false);
        if (!admission.Admitted)
        {
            var scope = admission.Scope!;
            return admission.RateLimited
                ? new RateLimitDecision(false, null, RateDelay(admission.RetryAfter, scope), RateLimitReason, scope)
                : new RateLimitDecision(false, null, Jitter(ConcurrencyRetryDelay), ConcurrencyLimitReason, scope);
        }

        var slotted = scopes.Where(s => s.MaxConcurrent > 0).ToArray();
        var permit = new RateLimitPermit(holder, slotted);
        if (slotted.Length > 0)
        {
            _held[holder] = permit;
            EnsureRenewing();
        }
        return new RateLimitDecision(true, permit, TimeSpan.Zero, null, null);
    }

    /// <summary>Frees the execution's slots. The slots expire on their own should this fail.</summary>
    public async Task ReleaseAsync(RateLimitPermit permit, CancellationToken ct)
    {
        if (permit.Slotted.Count == 0) return;
        _held.TryRemove(permit.Holder, out _);
        await _store.ReleaseAsync(permit.Slotted, permit.Holder, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// When the window frees the start this message needs, plus a spread of about one start's share of the window,
    /// so a backlog comes back over time rather than all at the same instant.
    /// </summary>
    private static TimeSpan RateDelay(TimeSpan retryAfter, RateLimitScope scope)
    {
        var share = IRateLimitStore.Window / Math.Max(1, scope.PerMinute);
        if (share < TimeSpan.FromSeconds(1)) share = TimeSpan.FromSeconds(1);
        return retryAfter + TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * share.TotalMilliseconds) + TimeSpan.FromMilliseconds(1);
    }

    private static TimeSpan Jitter(TimeSpan delay) => delay * (0.5 + Random.Shared.NextDouble());

    private void EnsureRenewing()
    {
        if (_renewals is not null) return;
        lock (_renewLock)
        {
            _renewals ??= Task.Run(() => RenewLoopAsync(_stop.Token));
        }
    }

    private async Task RenewLoopAsync(CancellationToken ct)
    {
        var every = _slotTtl / 3;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(every, _time, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            foreach (var permit in _held.Values)
            {
                try
                {
                    await _store.RenewAsync(permit.Slotted, permit.Holder, _slotTtl, ct).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    _logger.LogWarning(ex, "Could not renew the rate-limit slots of execution {Holder}", permit.Holder);
                }
            }
        }
    }

    /// <summary>Stops renewing; slots still held expire on their own.</summary>
    public void Dispose()
    {
        if (!_stop.IsCancellationRequested) _stop.Cancel();
    }

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_renewals is { } renewals)
        {
            try
            {
                await renewals.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopped.
            }
        }
    }
}

/// <summary>The concurrency slots one admitted execution holds (none when only rates limit it).</summary>
public sealed record RateLimitPermit(string Holder, IReadOnlyList<RateLimitScope> Slotted);

/// <summary>
/// Admitted (with a permit to release when done), or refused: defer the message by <see cref="Delay"/>.
/// <see cref="Reason"/> is <c>rate_limit</c> or <c>concurrency_limit</c>; <see cref="Scope"/> the limit that refused.
/// </summary>
public readonly record struct RateLimitDecision(bool Admitted, RateLimitPermit? Permit, TimeSpan Delay, string? Reason, RateLimitScope? Scope)
{
    public static readonly RateLimitDecision Unlimited = new(true, null, TimeSpan.Zero, null, null);
}
