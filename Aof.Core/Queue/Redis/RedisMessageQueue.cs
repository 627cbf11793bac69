using Aof.Core.Batching;
using Aof.Core.Events;
using Aof.Core.Executions;
using Aof.Core.Executions.Redis;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Aof.Core.Queue.Redis;

/// <summary>
/// The queue contract on Redis Streams: one stream per lane read through one consumer group, nacked messages
/// parked in a ZSET until due, dead letters in a stream plus an id index. Every state change is one Lua
/// script (<see cref="RedisQueueScripts"/>), so one round trip and atomic.
/// <para>
/// The multiplexer cannot block on XREADGROUP (it would stall every other command on the shared connection),
/// so a fetch reads without blocking and, when nothing is there, polls with short growing pauses.
/// </para>
/// </summary>
public sealed class RedisMessageQueue : IMessageQueue, IDeadLetterQueue
{
    private static readonly TimeSpan FirstPollDelay = TimeSpan.FromMilliseconds(2);
    private static readonly TimeSpan MaxPollDelay = TimeSpan.FromMilliseconds(50);
    private const int PromoteBatch = 256;
    private const string LeaseExpiredError = "lease expired without ack";

    private static readonly RedisValue FieldId = "id";
    private static readonly RedisValue FieldBody = "body";
    private static readonly RedisValue FieldAttempt = "a";
    private static readonly RedisValue FieldMaxRetries = "mr";
    private static readonly RedisValue FieldEnqueued = "t";

    private readonly IConnectionMultiplexer _redis;
    private readonly QueueOptions _options;
    private readonly RedisKeys _keys;
    private readonly RedisValue _group;
    private readonly RedisValue _consumer;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly PriorityScheduler _scheduler = new();
    private readonly RedisKey[] _promoteKeys;
    private readonly RedisKey[] _replayKeys;
    private readonly RedisKey[] _deadLetterKeysTail;

    // Expired-lease recovery runs at most every visibility/4 per instance, one fetch at a time.
    private readonly RedisValue[] _claimCursors = ["0-0", "0-0", "0-0"];
    private long _nextRecoveryTicks;
    private int _recovering;
    private volatile bool _groupsReady;
    private readonly GroupCommitter<PublishRequest, string[]?> _publishes;
    private readonly ExecutionOptions? _records;

    public RedisMessageQueue(
        IConnectionMultiplexer redis,
        QueueOptions options,
        string consumerName,
        TimeProvider? timeProvider = null,
        ILogger<RedisMessageQueue>? logger = null,
        ExecutionOptions? records = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(consumerName);
        _redis = redis;
        _options = options;
        _keys = new RedisKeys(options.Prefix);
        _group = options.ConsumerGroup;
        _consumer = consumerName;
        _time = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _promoteKeys = [_keys.Delayed, _keys.DelayedMessages, .. _keys.Lanes];
        _replayKeys = [_keys.DeadLetters, _keys.DeadLetterIndex, .. _keys.Lanes];
        _deadLetterKeysTail = [_keys.DeadLetters, _keys.DeadLetterIndex];
        _publishes = new GroupCommitter<PublishRequest, string[]?>(PublishBatchAsync);
        _records = records;
    }

    /// <summary>
    /// True when constructed with the execution store's options: the publish script then stores each message's queued
    /// record beside it (<see cref="RedisKeys.Queued"/>), which <see cref="RedisExecutionStore"/> reads and moves into the
    /// record's own hash on its first write.
    /// </summary>
    public bool StoresQueuedRecords => _records is not null;

    public string Backend => "redis";

    public string ConsumerName => _consumer!;

    public RedisKeys Keys => _keys;

    public IDeadLetterQueue DeadLetters => this;

    private IDatabase Db => _redis.GetDatabase();

    public async Task InitializeAsync(CancellationToken ct)
    {
        try
        {
            await EnsureGroupsAsync().WaitAsync(ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (RedisFailures.IsUnavailable(ex))
        {
            throw RedisFailures.Unavailable("initialize", ex);
        }
    }

    private async Task EnsureGroupsAsync()
    {
        var db = Db;
        foreach (var lane in _keys.Lanes)
        {
            try
            {
                // From "0": messages published before the first worker started are delivered too.
                await db.StreamCreateConsumerGroupAsync(lane, _group, StreamPosition.Beginning, createStream: true).ConfigureAwait(false);
            }
            catch (RedisServerException ex) when (ex.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
            {
                // Already there: another process (or an earlier start) created it.
            }
        }
        _groupsReady = true;
    }

    // ---- publish ----

    public async Task<PublishResult> PublishAsync(IReadOnlyList<OutgoingMessage> messages, string? dedupKey, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ct.ThrowIfCancellationRequested();
        var ids = new string[messages.Count];
        for (var i = 0; i < ids.Length; i++) ids[i] = messages[i].Id;
        if (messages.Count == 0 && dedupKey is null) return new PublishResult(false, ids);

        // Fail fast while disconnected: the gateway answers 503 and the sender retries, rather than the
        // command waiting in the multiplexer's backlog past the gateway's ack timeout.
        if (!_redis.IsConnected) throw new QueueUnavailableException("redis is not connected");

        var duplicateOf = await _publishes.SubmitAsync(new PublishRequest(messages, ids, dedupKey)).WaitAsync(ct).ConfigureAwait(false);
        return duplicateOf is null ? new PublishResult(false, ids) : new PublishResult(true, duplicateOf);
    }

    private sealed record PublishRequest(IReadOnlyList<OutgoingMessage> Messages, string[] Ids, string? DedupKey);

    /// <summary>
    /// One script run for a batch of publish requests (see <see cref="GroupCommitter{TItem,TResult}"/>). Per request:
    /// null when stored, else the ids its dedup key stored the first time.
    /// </summary>
    private async Task<string[]?[]> PublishBatchAsync(IReadOnlyList<PublishRequest> batch)
    {
        var now = _time.GetUtcNow();
        var messageCount = 0;
        var dedupCount = 0;
        foreach (var r in batch)
        {
            messageCount += r.Messages.Count;
            if (r.DedupKey is not null) dedupCount++;
        }
        var keys = new RedisKey[4 + dedupCount];
        keys[0] = _keys.Lanes[0];
        keys[1] = _keys.Lanes[1];
        keys[2] = _keys.Lanes[2];
        keys[3] = _keys.Queued;
        var args = new RedisValue[4 + 2 * batch.Count + 5 * messageCount];
        args[0] = now.ToUnixTimeMilliseconds();
        args[1] = (long)_options.DedupWindow.TotalMilliseconds;
        args[2] = batch.Count;
        args[3] = _keys.ExecutionPrefix;
        int a = 4, k = 4;
        foreach (var r in batch)
        {
            if (r.DedupKey is null) args[a++] = 0;
            else
            {
                keys[k++] = _keys.Dedup(r.DedupKey);
                args[a++] = k;   // Lua's KEYS index is 1-based
            }
            args[a++] = r.Messages.Count;
            foreach (var m in r.Messages)
            {
                args[a++] = m.Id;
                args[a++] = (int)m.Priority + 1;
                args[a++] = m.MaxRetries;
                args[a++] = m.Body;
                args[a++] = _records is not null && m.Record is not null ? RedisExecutionStore.QueuedJson(m.Record, now) : RedisValue.EmptyString;
            }
        }

        RedisResult result;
        try
        {
            result = await Db.ScriptEvaluateAsync(RedisQueueScripts.PublishBatch, keys, args).ConfigureAwait(false);
        }
        catch (Exception ex) when (RedisFailures.IsUnavailable(ex))
        {
            throw RedisFailures.Unavailable("publish", ex);
        }

        var reply = (RedisResult[])result!;
        var answers = new string[]?[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            if ((int)reply[2 * i] == 0) continue;
            var stored = (string?)reply[2 * i + 1] ?? "";
            answers[i] = stored.Length == 0 ? [] : stored.Split('\n');
        }
        return answers;
    }

    // ---- fetch ----

    public async Task<IReadOnlyList<Delivery>> FetchAsync(int max, TimeSpan wait, CancellationToken ct)
    {
        if (max <= 0) return [];
        var start = _time.GetTimestamp();
        var pause = FirstPollDelay;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var got = await FetchOnceWithRecoveryOfGroupsAsync(max).ConfigureAwait(false);
            if (got.Count > 0) return got;

            var left = wait - _time.GetElapsedTime(start);
            if (left <= TimeSpan.Zero) return got;
            await Task.Delay(left < pause ? left : pause, _time, ct).ConfigureAwait(false);
            pause = pause * 2 < MaxPollDelay ? pause * 2 : MaxPollDelay;
        }
    }

    private async Task<List<Delivery>> FetchOnceWithRecoveryOfGroupsAsync(int max)
    {
        try
        {
            if (!_groupsReady) await EnsureGroupsAsync().ConfigureAwait(false);
            return await FetchOnceAsync(max).ConfigureAwait(false);
        }
        catch (Exception ex) when (RedisFailures.IsNoGroup(ex))
        {
            // The streams vanished (restart without persistence, FLUSHALL): recreate the groups and go on.
            _logger.LogWarning("Consumer group {Group} was missing; recreating it", (string?)_group);
            try
            {
                await EnsureGroupsAsync().ConfigureAwait(false);
                return await FetchOnceAsync(max).ConfigureAwait(false);
            }
            catch (Exception inner) when (RedisFailures.IsUnavailable(inner))
            {
                throw RedisFailures.Unavailable("fetch", inner);
            }
        }
        catch (Exception ex) when (RedisFailures.IsUnavailable(ex))
        {
            throw RedisFailures.Unavailable("fetch", ex);
        }
    }

    private async Task<List<Delivery>> FetchOnceAsync(int max)
    {
        var db = Db;
        var result = new List<Delivery>(max);
        await RecoverExpiredLeasesAsync(db, max, result).ConfigureAwait(false);
        var remaining = max - result.Count;
        if (remaining == 0) return result;

        // Sent before the reads on the same connection, so messages it promotes are readable by them.
        var promote = db.ScriptEvaluateAsync(RedisQueueScripts.PromoteDue, _promoteKeys, [PromoteBatch]);

        // Lanes start as "unknown"; a lane that returns fewer than asked is empty and its share flows on.
        long[] available = [long.MaxValue, long.MaxValue, long.MaxValue];
        var reads = new Task<StreamEntry[]>?[PriorityScheduler.LaneCount];
        while (remaining > 0)
        {
            var quotas = _scheduler.Plan(remaining, available);
            var any = false;
            for (var lane = 0; lane < reads.Length; lane++)
            {
                reads[lane] = quotas[lane] > 0
                    ? db.StreamReadGroupAsync(_keys.Lanes[lane], _group, _consumer, StreamPosition.NewMessages, quotas[lane])
                    : null;
                any |= quotas[lane] > 0;
            }
            if (!any) break;

            for (var lane = 0; lane < reads.Length; lane++)
            {
                if (reads[lane] is not { } read) continue;
                var entries = await read.ConfigureAwait(false);
                if (entries.Length < quotas[lane]) available[lane] = 0;
                foreach (var entry in entries)
                {
                    if (entry.IsNull) continue;
                    result.Add(ToDelivery((Priority)lane, entry, deliveryCount: 1));
                }
                remaining -= entries.Length;
            }
        }

        await promote.ConfigureAwait(false);
        return result;
    }

    /// <summary>
    /// Claims entries whose lease ran out (idle longer than the visibility timeout) for this consumer. The
    /// dead consumer's delivery counts as an attempt; one past its retries is dead-lettered instead.
    /// </summary>
    private async Task RecoverExpiredLeasesAsync(IDatabase db, int max, List<Delivery> into)
    {
        var now = _time.GetTimestamp();
        if (now < Volatile.Read(ref _nextRecoveryTicks)) return;
        if (Interlocked.Exchange(ref _recovering, 1) == 1) return;
        try
        {
            var minIdleMs = (long)_options.VisibilityTimeout.TotalMilliseconds;
            var backlogLeft = false;
            for (var lane = 0; lane < _keys.Lanes.Length && into.Count < max; lane++)
            {
                var key = _keys.Lanes[lane];
                var claim = await db.StreamAutoClaimAsync(key, _group, _consumer, minIdleMs, _claimCursors[lane], max - into.Count)
                    .ConfigureAwait(false);
                if (claim.IsNull) continue;
                _claimCursors[lane] = claim.NextStartId.IsNullOrEmpty ? "0-0" : claim.NextStartId;
                backlogLeft |= _claimCursors[lane] != "0-0";

                var claimed = claim.ClaimedEntries.Where(e => !e.IsNull && e.Values.Length > 0).ToArray();
                if (claimed.Length == 0) continue;
                // Only recovered messages pay for this lookup: the delivery count tells how many consumers had it.
                var counts = claimed
                    .Select(e => db.StreamPendingMessagesAsync(key, _group, 1, RedisValue.Null, e.Id, e.Id))
                    .ToArray();
                for (var i = 0; i < claimed.Length; i++)
                {
                    var info = await counts[i].ConfigureAwait(false);
                    var deliveryCount = info.Length > 0 ? info[0].DeliveryCount : 2;
                    var d = ToDelivery((Priority)lane, claimed[i], deliveryCount);
                    if (d.Attempt > d.MaxRetries + 1)
                    {
                        await DeadLetterCoreAsync(db, d, DeadLetterReasons.MaxRetriesExceeded, LeaseExpiredError, d.Attempt - 1)
                            .ConfigureAwait(false);
                        _logger.LogWarning("Message {MessageId} dead-lettered after its lease expired past {MaxRetries} retries",
                            d.MessageId, d.MaxRetries);
                        continue;
                    }
                    into.Add(d);
                }
            }

            // With more expired entries waiting, look again on the next fetch instead of after the pause.
            var pause = backlogLeft ? TimeSpan.Zero : _options.VisibilityTimeout / 4;
            Volatile.Write(ref _nextRecoveryTicks, now + (long)(pause.TotalSeconds * _time.TimestampFrequency));
        }
        finally
        {
            Volatile.Write(ref _recovering, 0);
        }
    }

    private Delivery ToDelivery(Priority lane, StreamEntry entry, long deliveryCount)
    {
        string? id = null;
        ReadOnlyMemory<byte> body = default;
        var attemptBase = 1;
        var maxRetries = _options.MaxRetries;
        long enqueuedMs = 0;
        foreach (var nv in entry.Values)
        {
            if (nv.Name == FieldId) id = nv.Value;
            else if (nv.Name == FieldBody) body = (byte[]?)nv.Value ?? [];
            else if (nv.Name == FieldAttempt) attemptBase = (int)nv.Value;
            else if (nv.Name == FieldMaxRetries) maxRetries = (int)nv.Value;
            else if (nv.Name == FieldEnqueued) enqueuedMs = (long)nv.Value;
        }
        return new Delivery
        {
            MessageId = id ?? entry.Id.ToString(),
            Priority = lane,
            Body = body,
            Attempt = attemptBase + (int)Math.Max(0, deliveryCount - 1),
            MaxRetries = maxRetries,
            EnqueuedAt = enqueuedMs > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(enqueuedMs) : null,
            Handle = new RedisLease(lane, entry.Id),
        };
    }

    // ---- settle ----

    public async Task AckAsync(Delivery delivery, CancellationToken ct)
    {
        var lease = LeaseOf(delivery);
        try
        {
            await Db.ScriptEvaluateAsync(RedisQueueScripts.Ack, [_keys.Lanes[(int)lease.Lane], _keys.Queued],
                    [_group, lease.EntryId, (string)_keys.Execution(delivery.MessageId)!])
                .ConfigureAwait(false);
        }
        catch (Exception ex) when (RedisFailures.IsUnavailable(ex))
        {
            throw RedisFailures.Unavailable("ack", ex);
        }
    }

    public async Task<NackOutcome> NackAsync(Delivery delivery, TimeSpan delay, string error, CancellationToken ct)
    {
        try
        {
            var db = Db;
            if (delivery.Attempt > delivery.MaxRetries)
            {
                await DeadLetterCoreAsync(db, delivery, DeadLetterReasons.MaxRetriesExceeded, error, delivery.Attempt).ConfigureAwait(false);
                return NackOutcome.DeadLettered;
            }
            await ParkAsync(db, delivery, delay, delivery.Attempt + 1).ConfigureAwait(false);
            return NackOutcome.Retried;
        }
        catch (Exception ex) when (RedisFailures.IsUnavailable(ex))
        {
            throw RedisFailures.Unavailable("nack", ex);
        }
    }

    public async Task DeferAsync(Delivery delivery, TimeSpan delay, CancellationToken ct)
    {
        try
        {
            // The same parking as a nack (delayed ZSET, promoted by fetches), only the attempt stays as it is.
            await ParkAsync(Db, delivery, delay, delivery.Attempt).ConfigureAwait(false);
        }
        catch (Exception ex) when (RedisFailures.IsUnavailable(ex))
        {
            throw RedisFailures.Unavailable("defer", ex);
        }
    }

    /// <summary>Moves the leased entry into the delayed set, due after <paramref name="delay"/> with <paramref name="nextAttempt"/>.</summary>
    private Task<RedisResult> ParkAsync(IDatabase db, Delivery delivery, TimeSpan delay, int nextAttempt)
    {
        var lease = LeaseOf(delivery);
        var delayMs = delay <= TimeSpan.Zero ? 0 : (long)Math.Ceiling(delay.TotalMilliseconds);
        return db.ScriptEvaluateAsync(
            RedisQueueScripts.Nack,
            [_keys.Lanes[(int)lease.Lane], _keys.Delayed, _keys.DelayedMessages],
            [_group, lease.EntryId, delivery.MessageId, delayMs, nextAttempt, (int)lease.Lane + 1]);
    }

    public async Task DeadLetterAsync(Delivery delivery, string reason, string? lastError, CancellationToken ct)
    {
        try
        {
            await DeadLetterCoreAsync(Db, delivery, reason, lastError, delivery.Attempt).ConfigureAwait(false);
        }
        catch (Exception ex) when (RedisFailures.IsUnavailable(ex))
        {
            throw RedisFailures.Unavailable("dead-letter", ex);
        }
    }

    private Task<RedisResult> DeadLetterCoreAsync(IDatabase db, Delivery delivery, string reason, string? lastError, int attempts)
    {
        var lease = LeaseOf(delivery);
        return db.ScriptEvaluateAsync(
            RedisQueueScripts.DeadLetter,
            [_keys.Lanes[(int)lease.Lane], .. _deadLetterKeysTail],
            [_group, lease.EntryId, delivery.MessageId, reason, lastError ?? "", attempts, lease.Lane.ToWire()]);
    }

    public async Task RenewLeaseAsync(Delivery delivery, CancellationToken ct)
    {
        var lease = LeaseOf(delivery);
        try
        {
            // XCLAIM min-idle 0 JUSTID resets the idle time without counting another delivery.
            await Db.StreamClaimIdsOnlyAsync(_keys.Lanes[(int)lease.Lane], _group, _consumer, 0, [lease.EntryId]).ConfigureAwait(false);
        }
        catch (Exception ex) when (RedisFailures.IsUnavailable(ex))
        {
            throw RedisFailures.Unavailable("renew", ex);
        }
    }

    public async Task ReleaseAsync(Delivery delivery, CancellationToken ct)
    {
        var lease = LeaseOf(delivery);
        try
        {
            await Db.ScriptEvaluateAsync(RedisQueueScripts.Release, [_keys.Lanes[(int)lease.Lane]], [_group, lease.EntryId, delivery.Attempt])
                .ConfigureAwait(false);
        }
        catch (Exception ex) when (RedisFailures.IsUnavailable(ex))
        {
            throw RedisFailures.Unavailable("release", ex);
        }
    }

    private static RedisLease LeaseOf(Delivery delivery) =>
        delivery.Handle as RedisLease ?? throw new ArgumentException("delivery was not leased from the redis queue", nameof(delivery));

    // ---- stats and health ----

    public async Task<QueueStats> GetStatsAsync(CancellationToken ct)
    {
        try
        {
            try
            {
                return await GetStatsCoreAsync().WaitAsync(ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (RedisFailures.IsNoGroup(ex))
            {
                await EnsureGroupsAsync().ConfigureAwait(false);
                return await GetStatsCoreAsync().WaitAsync(ct).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (RedisFailures.IsUnavailable(ex))
        {
            throw RedisFailures.Unavailable("stats", ex);
        }
    }

    private async Task<QueueStats> GetStatsCoreAsync()
    {
        var db = Db;
        var lengths = _keys.Lanes.Select(k => db.StreamLengthAsync(k)).ToArray();
        var pending = _keys.Lanes.Select(k => db.StreamPendingAsync(k, _group)).ToArray();
        var delayed = db.SortedSetLengthAsync(_keys.Delayed);
        var dead = db.StreamLengthAsync(_keys.DeadLetters);

        var byLane = new Dictionary<Priority, LaneStats>();
        long ready = 0, inFlight = 0;
        foreach (var p in PriorityNames.All)
        {
            var len = await lengths[(int)p].ConfigureAwait(false);
            var pel = (await pending[(int)p].ConfigureAwait(false)).PendingMessageCount;
            // Acked entries are deleted, so the stream holds exactly the ready and the leased ones.
            var laneReady = Math.Max(0, len - pel);
            byLane[p] = new LaneStats(laneReady, pel);
            ready += laneReady;
            inFlight += pel;
        }
        return new QueueStats(ready, inFlight, await delayed.ConfigureAwait(false), await dead.ConfigureAwait(false), byLane);
    }

    public async Task<bool> PingAsync(CancellationToken ct)
    {
        if (!_redis.IsConnected) return false;
        try
        {
            await Db.PingAsync().WaitAsync(ct).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is RedisException || RedisFailures.IsUnavailable(ex))
        {
            return false;
        }
    }

    // ---- dead letters ----

    public async Task<IReadOnlyList<DeadLetterEntry>> ListAsync(int offset, int limit, CancellationToken ct)
    {
        if (limit <= 0) return [];
        offset = Math.Max(0, offset);
        try
        {
            // Newest first; stream ids grow with time. O(offset + limit), fine for an admin listing.
            var entries = await Db.StreamRangeAsync(_keys.DeadLetters, null, null, offset + limit, Order.Descending)
                .WaitAsync(ct).ConfigureAwait(false);
            return entries.Skip(offset).Where(e => !e.IsNull).Select(e => ParseDeadLetter(e.Values)).ToArray();
        }
        catch (Exception ex) when (RedisFailures.IsUnavailable(ex))
        {
            throw RedisFailures.Unavailable("dead-letter list", ex);
        }
    }

    public async Task<DeadLetterEntry?> GetAsync(string messageId, CancellationToken ct)
    {
        try
        {
            var result = await Db.ScriptEvaluateAsync(RedisQueueScripts.GetDeadLetter, _deadLetterKeysTail, [messageId])
                .WaitAsync(ct).ConfigureAwait(false);
            if (result.IsNull) return null;
            var flat = (RedisValue[])result!;
            var fields = new NameValueEntry[flat.Length / 2];
            for (var i = 0; i < fields.Length; i++) fields[i] = new NameValueEntry(flat[2 * i], flat[2 * i + 1]);
            return ParseDeadLetter(fields);
        }
        catch (Exception ex) when (RedisFailures.IsUnavailable(ex))
        {
            throw RedisFailures.Unavailable("dead-letter get", ex);
        }
    }

    public async Task<bool> ReplayAsync(string messageId, CancellationToken ct)
    {
        try
        {
            var r = await Db.ScriptEvaluateAsync(RedisQueueScripts.Replay, _replayKeys,
                [messageId, _time.GetUtcNow().ToUnixTimeMilliseconds()]).WaitAsync(ct).ConfigureAwait(false);
            return (long)r == 1;
        }
        catch (Exception ex) when (RedisFailures.IsUnavailable(ex))
        {
            throw RedisFailures.Unavailable("dead-letter replay", ex);
        }
    }

    public async Task<bool> PurgeAsync(string messageId, CancellationToken ct)
    {
        try
        {
            var r = await Db.ScriptEvaluateAsync(RedisQueueScripts.Purge, _deadLetterKeysTail, [messageId])
                .WaitAsync(ct).ConfigureAwait(false);
            return (long)r > 0;
        }
        catch (Exception ex) when (RedisFailures.IsUnavailable(ex))
        {
            throw RedisFailures.Unavailable("dead-letter purge", ex);
        }
    }

    private static DeadLetterEntry ParseDeadLetter(NameValueEntry[] values)
    {
        string id = "", reason = "", lane = "normal";
        string? error = null;
        ReadOnlyMemory<byte> body = default;
        var attempts = 0;
        long at = 0;
        foreach (var nv in values)
        {
            switch ((string?)nv.Name)
            {
                case "id": id = nv.Value!; break;
                case "body": body = (byte[]?)nv.Value ?? []; break;
                case "lane": lane = nv.Value!; break;
                case "reason": reason = nv.Value!; break;
                case "error": error = nv.Value; break;
                case "attempts": attempts = (int)nv.Value; break;
                case "at": at = (long)nv.Value; break;
            }
        }
        PriorityNames.TryParse(lane, out var priority);
        return new DeadLetterEntry(id, priority, body, reason, error, attempts, DateTimeOffset.FromUnixTimeMilliseconds(at));
    }

    // ---- shutdown ----

    /// <summary>
    /// Leaves the consumer group tidy: this consumer is removed when it holds no leases, atomically with the
    /// check, so consumers of restarted pods do not pile up. One holding leases stays, so they can expire and
    /// be claimed. The multiplexer is owned by the container, not by the queue.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (!_redis.IsConnected || !_groupsReady) return;
        try
        {
            await Db.ScriptEvaluateAsync(ForgetIdleConsumerScript, _keys.Lanes, [_group, _consumer])
                .WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            _logger.LogDebug(ex, "Could not remove consumer {Consumer} from the group", (string?)_consumer);
        }
    }

    private const string ForgetIdleConsumerScript = """
        for _, lane in ipairs(KEYS) do
          local ok, pending = pcall(redis.call, 'XPENDING', lane, ARGV[1], '-', '+', 1, ARGV[2])
          if ok and #pending == 0 then pcall(redis.call, 'XGROUP', 'DELCONSUMER', lane, ARGV[1], ARGV[2]) end
        end
        return 1
        """;

    /// <summary>Where a delivery lives: its lane's stream and entry id.</summary>
    private sealed record RedisLease(Priority Lane, RedisValue EntryId);
}
