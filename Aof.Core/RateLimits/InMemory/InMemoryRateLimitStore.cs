namespace Aof.Core.RateLimits.InMemory;

/// <summary>The limits' state in this process (standalone mode, the in-memory queue): shared by its consumers only.</summary>
public sealed class InMemoryRateLimitStore(TimeProvider? timeProvider = null) : IRateLimitStore
{
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, ScopeState> _scopes = new(StringComparer.Ordinal);

    public Task<RateLimitAdmission> TryAcquireAsync(IReadOnlyList<RateLimitScope> scopes, string holder, TimeSpan slotTtl, CancellationToken ct)
    {
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            foreach (var scope in scopes)
            {
                var state = State(scope.Key);
                state.Prune(now);
                if (scope.PerMinute > 0 && state.Starts.Count >= scope.PerMinute)
                {
                    // The start that must leave the window for one more to fit.
                    var freeing = state.Starts.ElementAt(state.Starts.Count - scope.PerMinute);
                    return Task.FromResult(new RateLimitAdmission(false, scope, true, freeing + IRateLimitStore.Window - now));
                }
                if (scope.MaxConcurrent > 0 && state.Slots.Count >= scope.MaxConcurrent)
                    return Task.FromResult(new RateLimitAdmission(false, scope, false, TimeSpan.Zero));
            }
            foreach (var scope in scopes)
            {
                var state = State(scope.Key);
                if (scope.PerMinute > 0) state.Starts.Enqueue(now);
                if (scope.MaxConcurrent > 0) state.Slots[holder] = now + slotTtl;
            }
            return Task.FromResult(RateLimitAdmission.Yes);
        }
    }

    public Task RenewAsync(IReadOnlyList<RateLimitScope> scopes, string holder, TimeSpan slotTtl, CancellationToken ct)
    {
        lock (_lock)
        {
            var until = _time.GetUtcNow() + slotTtl;
            foreach (var scope in scopes)
                if (_scopes.TryGetValue(scope.Key, out var state) && state.Slots.ContainsKey(holder)) state.Slots[holder] = until;
        }
        return Task.CompletedTask;
    }

    public Task ReleaseAsync(IReadOnlyList<RateLimitScope> scopes, string holder, CancellationToken ct)
    {
        lock (_lock)
        {
            foreach (var scope in scopes)
                if (_scopes.TryGetValue(scope.Key, out var state)) state.Slots.Remove(holder);
        }
        return Task.CompletedTask;
    }

    private ScopeState State(string key)
    {
        if (!_scopes.TryGetValue(key, out var state)) _scopes[key] = state = new ScopeState();
        return state;
    }

    private sealed class ScopeState
    {
        public Queue<DateTimeOffset> Starts { get; } = new();
        public Dictionary<string, DateTimeOffset> Slots { get; } = new(StringComparer.Ordinal);

        public void Prune(DateTimeOffset now)
        {
            while (Starts.TryPeek(out var t) && t <= now - IRateLimitStore.Window) Starts.Dequeue();
            foreach (var (holder, expiry) in Slots.ToArray())
                if (expiry <= now) Slots.Remove(holder);
        }
    }
}
