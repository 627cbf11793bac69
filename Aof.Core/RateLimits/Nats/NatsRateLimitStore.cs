using System.Globalization;
using System.Text;
using Aof.Core.Queue;
using Aof.Core.Queue.Nats;
using NATS.Client.Core;
using NATS.Client.KeyValueStore;

namespace Aof.Core.RateLimits.Nats;

/// <summary>
/// The limits' state in the JetStream KV bucket <c>{prefix}-ratelimits</c>, shared by every worker: one key per
/// scope holding its starts in the window and its slots (<c>s {unix ms}</c> / <c>c {expiry ms} {holder}</c> lines; a
/// start needs no holder, which keeps a full window of 10,000 starts near 150 KB). Every change is read, change, write back at the read revision (compare-and-set), again on a conflict.
/// KV has no multi-key transaction, so scopes are taken one after another and, when a later one refuses, the earlier
/// ones are given back: for that moment they may refuse another worker too, never admit one too many.
/// Times come from the workers' clocks; keep them in sync (NTP) as for any lease.
/// </summary>
public sealed class NatsRateLimitStore : IRateLimitStore
{
    private const int MaxConflicts = 100;

    private readonly TimeProvider _time;
    private readonly OwnedKVBucket _bucket;

    public NatsRateLimitStore(INatsConnection connection, string prefix, TimeProvider? timeProvider = null)
    {
        _time = timeProvider ?? TimeProvider.System;
        _bucket = new OwnedKVBucket(connection, new NatsKVConfig(new NatsNames(prefix).Prefix + "-ratelimits")
        {
            History = 1,
            Storage = NatsKVStorageType.File,
        }, "rate limit store");
    }

    public string BucketName => _bucket.Name;

    public async Task<RateLimitAdmission> TryAcquireAsync(IReadOnlyList<RateLimitScope> scopes, string holder, TimeSpan slotTtl, CancellationToken ct)
    {
        // Each scope taken so far, with the time of the start it got (to give back should a later scope refuse).
        var taken = new List<(RateLimitScope Scope, long StartedAt)>(scopes.Count);
        try
        {
            foreach (var scope in scopes)
            {
                RateLimitAdmission refused = default;
                long startedAt = 0;
                var admitted = await UpdateAsync(scope.Key, (state, now) =>
                {
                    state.Prune(now);
                    if (scope.PerMinute > 0 && state.Starts.Count >= scope.PerMinute)
                    {
                        state.Starts.Sort();
                        var freeing = state.Starts[state.Starts.Count - scope.PerMinute].At;
                        refused = new RateLimitAdmission(false, scope, true, TimeSpan.FromMilliseconds(Math.Max(0, freeing + WindowMs - now)));
                        return false;
                    }
                    if (scope.MaxConcurrent > 0 && state.Slots.Count >= scope.MaxConcurrent)
                    {
                        refused = new RateLimitAdmission(false, scope, false, TimeSpan.Zero);
                        return false;
                    }
                    startedAt = now;
                    if (scope.PerMinute > 0) state.Starts.Add(new Entry(now, ""));
                    if (scope.MaxConcurrent > 0) state.Slots.Add(new Entry(now + (long)slotTtl.TotalMilliseconds, holder));
                    return true;
                }, ct).ConfigureAwait(false);
                if (!admitted)
                {
                    await GiveBackAsync(taken, holder).ConfigureAwait(false);
                    return refused;
                }
                taken.Add((scope, startedAt));
            }
            return RateLimitAdmission.Yes;
        }
        catch
        {
            await GiveBackAsync(taken, holder).ConfigureAwait(false);
            throw;
        }
    }

    public async Task RenewAsync(IReadOnlyList<RateLimitScope> scopes, string holder, TimeSpan slotTtl, CancellationToken ct)
    {
        foreach (var scope in scopes.Where(s => s.MaxConcurrent > 0))
        {
            await UpdateAsync(scope.Key, (state, now) =>
            {
                var i = state.Slots.FindIndex(e => e.Holder == holder);
                if (i < 0) return false;
                state.Slots[i] = new Entry(now + (long)slotTtl.TotalMilliseconds, holder);
                return true;
            }, ct).ConfigureAwait(false);
        }
    }

    public async Task ReleaseAsync(IReadOnlyList<RateLimitScope> scopes, string holder, CancellationToken ct)
    {
        foreach (var scope in scopes.Where(s => s.MaxConcurrent > 0))
            await UpdateAsync(scope.Key, (state, _) => state.Slots.RemoveAll(e => e.Holder == holder) > 0, ct).ConfigureAwait(false);
    }

    /// <summary>Undoes a partial admission: the holder's start and slot leave each scope taken so far.</summary>
    private async Task GiveBackAsync(List<(RateLimitScope Scope, long StartedAt)> taken, string holder)
    {
        if (taken.Count == 0) return;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        foreach (var (scope, startedAt) in taken)
        {
            try
            {
                await UpdateAsync(scope.Key, (state, _) =>
                {
                    // Starts carry no holder: one made at the same millisecond is as good as ours.
                    var start = scope.PerMinute > 0 ? state.Starts.FindIndex(e => e.At == startedAt) : -1;
                    if (start >= 0) state.Starts.RemoveAt(start);
                    return state.Slots.RemoveAll(e => e.Holder == holder) > 0 || start >= 0;
                }, cts.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is QueueUnavailableException or OperationCanceledException)
            {
                // Left behind: the start ages out of the window and the slot expires; the limit is only stricter meanwhile.
            }
        }
    }

    private static long WindowMs => (long)IRateLimitStore.Window.TotalMilliseconds;

    /// <summary>
    /// Read, change, write back if nobody wrote in between; else again. <paramref name="change"/> returns false to
    /// leave the key as it is (a refusal, nothing to renew). Returns what the applied change returned.
    /// </summary>
    private async Task<bool> UpdateAsync(string scopeKey, Func<ScopeState, long, bool> change, CancellationToken ct)
    {
        var bucket = await _bucket.GetAsync(ct).ConfigureAwait(false);
        var key = NatsNames.Token(scopeKey);
        for (var attempt = 0; ; attempt++)
        {
            var entry = await _bucket.Guard(bucket.TryGetEntryAsync<byte[]>(key, cancellationToken: ct), ct).ConfigureAwait(false);
            if (!entry.Success && entry.Error is not (NatsKVKeyNotFoundException or NatsKVKeyDeletedException)) throw _bucket.Failure(entry.Error);
            var exists = entry.Success;
            var state = ScopeState.Parse(exists ? entry.Value.Value : null);
            if (!change(state, _time.GetUtcNow().ToUnixTimeMilliseconds())) return false;

            var value = state.Serialize();
            NatsResult<ulong> written = exists
                ? await _bucket.Guard(bucket.TryUpdateAsync(key, value, entry.Value.Revision, cancellationToken: ct), ct).ConfigureAwait(false)
                : await _bucket.Guard(bucket.TryCreateAsync(key, value, cancellationToken: ct), ct).ConfigureAwait(false);
            if (written.Success) return true;
            if (written.Error is not (NatsKVWrongLastRevisionException or NatsKVCreateException)) throw _bucket.Failure(written.Error);
            if (attempt >= MaxConflicts)
                throw new QueueUnavailableException($"rate limit state of '{scopeKey}' kept changing under {MaxConflicts} concurrent writes", written.Error);
            // Many workers on one hot tenant: spread the retries out.
            await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 2 + Math.Min(attempt, 20))), _time, ct).ConfigureAwait(false);
        }
    }

    private readonly record struct Entry(long At, string Holder) : IComparable<Entry>
    {
        public int CompareTo(Entry other) => At.CompareTo(other.At);
    }

    private sealed class ScopeState
    {
        public List<Entry> Starts { get; } = [];
        public List<Entry> Slots { get; } = [];

        public void Prune(long now)
        {
            Starts.RemoveAll(e => e.At <= now - WindowMs);
            Slots.RemoveAll(e => e.At <= now);
        }

        public static ScopeState Parse(byte[]? value)
        {
            var state = new ScopeState();
            if (value is not { Length: > 0 }) return state;
            foreach (var line in Encoding.UTF8.GetString(value).Split('\n'))
            {
                var parts = line.Split(' ', 3);
                if (parts.Length < 2 || !long.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var at)) continue;
                if (parts[0] == "s") state.Starts.Add(new Entry(at, ""));
                else if (parts[0] == "c" && parts.Length == 3) state.Slots.Add(new Entry(at, parts[2]));
            }
            return state;
        }

        public byte[] Serialize()
        {
            var sb = new StringBuilder(Starts.Count * 16 + Slots.Count * 44);
            foreach (var e in Starts) sb.Append("s ").Append(e.At.ToString(CultureInfo.InvariantCulture)).Append('\n');
            foreach (var e in Slots) sb.Append("c ").Append(e.At.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(e.Holder).Append('\n');
            return Encoding.UTF8.GetBytes(sb.ToString());
        }
    }
}
