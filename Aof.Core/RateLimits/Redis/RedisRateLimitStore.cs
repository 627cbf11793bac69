using Aof.Core.Queue;
using Aof.Core.Queue.Redis;
using StackExchange.Redis;

namespace Aof.Core.RateLimits.Redis;

/// <summary>
/// The limits' state in Redis, shared by every worker. Per scope two sorted sets under the queue's hash tag (so one
/// script may touch several scopes on a Redis Cluster too): <c>{prefix}:rl:{scope}:starts</c> (holder scored by
/// its start, unix ms) and <c>{prefix}:rl:{scope}:slots</c> (holder scored by its slot's expiry). One Lua script
/// checks and takes all scopes at once against the server's clock.
/// </summary>
public sealed class RedisRateLimitStore(IConnectionMultiplexer redis, string prefix) : IRateLimitStore
{
    private readonly string _tag = prefix.Contains('{') ? prefix : "{" + prefix + "}";

    private IDatabase Db => redis.GetDatabase();

    public RedisKey StartsKey(string scopeKey) => $"{_tag}:rl:{scopeKey}:starts";

    public RedisKey SlotsKey(string scopeKey) => $"{_tag}:rl:{scopeKey}:slots";

    public async Task<RateLimitAdmission> TryAcquireAsync(IReadOnlyList<RateLimitScope> scopes, string holder, TimeSpan slotTtl, CancellationToken ct)
    {
        if (scopes.Count == 0) return RateLimitAdmission.Yes;
        var keys = new RedisKey[scopes.Count * 2];
        var args = new RedisValue[4 + scopes.Count * 2];
        args[0] = scopes.Count;
        args[1] = holder;
        args[2] = (long)IRateLimitStore.Window.TotalMilliseconds;
        args[3] = (long)Math.Ceiling(slotTtl.TotalMilliseconds);
        for (var i = 0; i < scopes.Count; i++)
        {
            keys[2 * i] = StartsKey(scopes[i].Key);
            keys[2 * i + 1] = SlotsKey(scopes[i].Key);
            args[4 + 2 * i] = scopes[i].PerMinute;
            args[5 + 2 * i] = scopes[i].MaxConcurrent;
        }
        try
        {
            var reply = (RedisResult[])(await Db.ScriptEvaluateAsync(AcquireScript, keys, args).WaitAsync(ct).ConfigureAwait(false))!;
            var refusedBy = (int)reply[0];
            if (refusedBy == 0) return RateLimitAdmission.Yes;
            return new RateLimitAdmission(false, scopes[refusedBy - 1], (int)reply[1] == 1, TimeSpan.FromMilliseconds(Math.Max(0, (long)reply[2])));
        }
        catch (Exception ex) when (RedisFailures.IsUnavailable(ex))
        {
            throw RedisFailures.Unavailable("rate limit", ex);
        }
    }

    public async Task RenewAsync(IReadOnlyList<RateLimitScope> scopes, string holder, TimeSpan slotTtl, CancellationToken ct)
    {
        var keys = SlotKeys(scopes);
        if (keys.Length == 0) return;
        try
        {
            await Db.ScriptEvaluateAsync(RenewScript, keys, [holder, (long)Math.Ceiling(slotTtl.TotalMilliseconds)]).WaitAsync(ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (RedisFailures.IsUnavailable(ex))
        {
            throw RedisFailures.Unavailable("rate limit renew", ex);
        }
    }

    public async Task ReleaseAsync(IReadOnlyList<RateLimitScope> scopes, string holder, CancellationToken ct)
    {
        var keys = SlotKeys(scopes);
        if (keys.Length == 0) return;
        try
        {
            await Db.ScriptEvaluateAsync(ReleaseScript, keys, [holder]).WaitAsync(ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (RedisFailures.IsUnavailable(ex))
        {
            throw RedisFailures.Unavailable("rate limit release", ex);
        }
    }

    private RedisKey[] SlotKeys(IReadOnlyList<RateLimitScope> scopes) =>
        scopes.Where(s => s.MaxConcurrent > 0).Select(s => SlotsKey(s.Key)).ToArray();

    private const string NowFn = """
        local function nowms()
          local t = redis.call('TIME')
          return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        end
        """;

    /// <summary>
    /// KEYS: per scope its starts and slots. ARGV: scope count, holder, window ms, slot ttl ms, then per scope: per
    /// minute, max concurrent (0 = none). Returns {0} when admitted, else {scope number, 1 when the window is full
    /// (0 when the slots are), ms until the window frees a start}.
    /// </summary>
    private const string AcquireScript = NowFn + "\n" + """
        local now = nowms()
        local n = tonumber(ARGV[1])
        local window = tonumber(ARGV[3])
        for i = 1, n do
          local starts, slots = KEYS[2 * i - 1], KEYS[2 * i]
          local rate, conc = tonumber(ARGV[3 + 2 * i]), tonumber(ARGV[4 + 2 * i])
          if rate > 0 then
            redis.call('ZREMRANGEBYSCORE', starts, '-inf', now - window)
            local count = redis.call('ZCARD', starts)
            if count >= rate then
              local freeing = redis.call('ZRANGE', starts, count - rate, count - rate, 'WITHSCORES')
              return {i, 1, tonumber(freeing[2]) + window - now}
            end
          end
          if conc > 0 then
            redis.call('ZREMRANGEBYSCORE', slots, '-inf', now)
            if redis.call('ZCARD', slots) >= conc then return {i, 0, 0} end
          end
        end
        local ttl = tonumber(ARGV[4])
        for i = 1, n do
          local starts, slots = KEYS[2 * i - 1], KEYS[2 * i]
          if tonumber(ARGV[3 + 2 * i]) > 0 then
            redis.call('ZADD', starts, now, ARGV[2])
            redis.call('PEXPIRE', starts, window)
          end
          if tonumber(ARGV[4 + 2 * i]) > 0 then
            redis.call('ZADD', slots, now + ttl, ARGV[2])
            redis.call('PEXPIRE', slots, ttl)
          end
        end
        return {0}
        """;

    /// <summary>KEYS: slot sets. ARGV: holder, ttl ms. Only slots still held are extended (XX): a released one stays released.</summary>
    private const string RenewScript = NowFn + "\n" + """
        local expiry = nowms() + tonumber(ARGV[2])
        for _, slots in ipairs(KEYS) do
          if redis.call('ZADD', slots, 'XX', 'CH', expiry, ARGV[1]) == 1 then
            if redis.call('PTTL', slots) < tonumber(ARGV[2]) then redis.call('PEXPIRE', slots, ARGV[2]) end
          end
        end
        return 1
        """;

    /// <summary>KEYS: slot sets. ARGV: holder.</summary>
    private const string ReleaseScript = """
        for _, slots in ipairs(KEYS) do redis.call('ZREM', slots, ARGV[1]) end
        return 1
        """;
}
