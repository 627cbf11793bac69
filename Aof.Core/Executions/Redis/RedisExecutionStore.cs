using System.Globalization;
using System.Text.Json;
using Aof.Core.Serialization;
using Aof.Core.Queue.Redis;
using StackExchange.Redis;

namespace Aof.Core.Executions.Redis;

/// <summary>
/// Execution records as Redis hashes (<c>{{prefix}}:exec:{id}</c>, see <see cref="RedisKeys.Execution"/>), one field per property, so writes from the
/// gateway and from any worker are field updates that commute. Every write renews the TTL to the retention,
/// so a record lives for the retention after its last change. Times are unix milliseconds.
/// <para>
/// A message published through <see cref="RedisMessageQueue"/> has no hash yet: its queued record waits as one field
/// of <see cref="RedisKeys.Queued"/> (a key and a TTL per webhook cost Redis more than the rest of the publish), is
/// read from there, and becomes the hash on this store's first write for it (<c>AdoptQueued</c>).
/// </para>
/// </summary>
public sealed class RedisExecutionStore : IExecutionStore
{
    private const string FStatus = "status", FTrigger = "trigger_name", FTarget = "target", FPlatform = "platform",
        FEventType = "event_type", FAction = "action", FRepo = "repo", FDeliveryId = "delivery_id", FAttempts = "attempts",
        FQueuedAt = "queued_at", FStartedAt = "started_at", FFinishedAt = "finished_at", FDuration = "duration_ms",
        FOutput = "output", FTruncated = "output_truncated", FError = "error", FReason = "dead_letter_reason", FWorker = "worker",
        FCheckpoint = "flow_checkpoint", FDecision = "flow_decision";

    /// <summary>
    /// KEYS: record. ARGV: ttl ms, queued_at, then field/value pairs. Status and queued_at only when absent:
    /// a "queued" that lands after "running" must not move the record back.
    /// </summary>
    private const string QueuedScript = """
        redis.call('HSETNX', KEYS[1], 'status', 'queued')
        redis.call('HSETNX', KEYS[1], 'queued_at', ARGV[2])
        if #ARGV > 2 then redis.call('HSET', KEYS[1], unpack(ARGV, 3, #ARGV)) end
        redis.call('PEXPIRE', KEYS[1], ARGV[1])
        return 1
        """;

    /// <summary>
    /// Run first by every script that changes a record (KEYS[1] the record, KEYS[2] the queued-records hash): a
    /// message's queued record, stored beside it by the publish script, becomes the record's first fields.
    /// </summary>
    private const string AdoptQueued = """
        local queued = redis.call('HGET', KEYS[2], KEYS[1])
        if queued then
          redis.call('HSETNX', KEYS[1], 'status', 'queued')
          for k, v in pairs(cjson.decode(queued)) do redis.call('HSETNX', KEYS[1], k, v) end
          redis.call('HDEL', KEYS[2], KEYS[1])
        end
        """;

    /// <summary>
    /// KEYS: record, queued-records hash. ARGV: ttl ms, '1' to compute duration_ms from started_at/finished_at, n,
    /// n field/value pairs, then fields to delete.
    /// </summary>
    private const string UpdateScript = AdoptQueued + "\n" + """
        local n = tonumber(ARGV[3])
        if n > 0 then redis.call('HSET', KEYS[1], unpack(ARGV, 4, 3 + 2 * n)) end
        if #ARGV > 3 + 2 * n then redis.call('HDEL', KEYS[1], unpack(ARGV, 4 + 2 * n, #ARGV)) end
        if ARGV[2] == '1' then
          local s = redis.call('HGET', KEYS[1], 'started_at')
          local f = redis.call('HGET', KEYS[1], 'finished_at')
          if s and f then
            redis.call('HSET', KEYS[1], 'duration_ms', string.format('%d', math.max(0, tonumber(f) - tonumber(s))))
          else
            redis.call('HDEL', KEYS[1], 'duration_ms')
          end
        end
        redis.call('PEXPIRE', KEYS[1], ARGV[1])
        return 1
        """;

    /// <summary>KEYS: record, queued-records hash. ARGV: as the update script's. A waiting flow is not marked running.</summary>
    private const string RunningScript = AdoptQueued + "\n" + """
        local s = redis.call('HGET', KEYS[1], 'status')
        if s == 'waiting' or s == 'waiting_approval' then return 0 end
        local n = tonumber(ARGV[3])
        redis.call('HSET', KEYS[1], unpack(ARGV, 4, 3 + 2 * n))
        if #ARGV > 3 + 2 * n then redis.call('HDEL', KEYS[1], unpack(ARGV, 4 + 2 * n, #ARGV)) end
        redis.call('PEXPIRE', KEYS[1], ARGV[1])
        return 1
        """;

    /// <summary>KEYS: record. ARGV: ttl ms, from status, to status, decision ('' for none). Compare-and-set on the status.</summary>
    private const string TransitionScript = """
        if redis.call('HGET', KEYS[1], 'status') ~= ARGV[2] then return 0 end
        redis.call('HSET', KEYS[1], 'status', ARGV[3])
        if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'flow_decision', ARGV[4]) end
        redis.call('PEXPIRE', KEYS[1], ARGV[1])
        return 1
        """;

    private readonly IConnectionMultiplexer _redis;
    private readonly ExecutionOptions _options;
    private readonly RedisKeys _keys;
    private readonly TimeProvider _time;

    public RedisExecutionStore(IConnectionMultiplexer redis, ExecutionOptions options, string prefix, TimeProvider? timeProvider = null)
    {
        _redis = redis;
        _options = options;
        _keys = new RedisKeys(prefix);
        _time = timeProvider ?? TimeProvider.System;
    }

    private long TtlMs => (long)_options.Retention.TotalMilliseconds;

    public async Task RecordQueuedAsync(IReadOnlyList<ExecutionRecord> records, CancellationToken ct)
    {
        if (records.Count == 0) return;
        var now = _time.GetUtcNow();
        // Issued back to back without awaiting: the multiplexer pipelines them on one connection, so a fan-out of
        // n matches costs one round trip without a batch object per webhook.
        var db = _redis.GetDatabase();
        var writes = new Task[records.Count];
        for (var i = 0; i < records.Count; i++)
        {
            var r = records[i];
            var args = new List<RedisValue> { TtlMs, Ms(r.QueuedAt ?? now) };
            AddDescription(args, r);
            writes[i] = db.ScriptEvaluateAsync(QueuedScript, [_keys.Execution(r.Id)], [.. args]);
        }
        await Task.WhenAll(writes).WaitAsync(ct).ConfigureAwait(false);
    }

    public Task RecordRunningAsync(string id, int attempt, string worker, DateTimeOffset startedAt, CancellationToken ct) =>
        UpdateAsync(id, computeDuration: false,
            [(FStatus, ExecutionStatus.Running), (FAttempts, attempt), (FWorker, worker), (FStartedAt, Ms(startedAt))],
            [FFinishedAt, FDuration], ct, RunningScript);

    public Task RecordSuspendedAsync(string id, string status, string checkpoint, CancellationToken ct) =>
        UpdateAsync(id, computeDuration: false, [(FStatus, status), (FCheckpoint, checkpoint)], [FDecision], ct);

    public async Task<FlowCheckpointEntry?> GetCheckpointAsync(string id, CancellationToken ct)
    {
        var values = await _redis.GetDatabase().HashGetAsync(_keys.Execution(id), [FStatus, FCheckpoint, FDecision]).WaitAsync(ct).ConfigureAwait(false);
        return values[0].IsNull ? null : new FlowCheckpointEntry(values[0]!, values[1], values[2]);
    }

    public async Task<bool> TryTransitionAsync(string id, string fromStatus, string toStatus, string? decision, CancellationToken ct)
    {
        var result = await _redis.GetDatabase().ScriptEvaluateAsync(TransitionScript, [_keys.Execution(id)],
            [TtlMs, fromStatus, toStatus, decision ?? ""]).WaitAsync(ct).ConfigureAwait(false);
        return (int)result == 1;
    }

    public Task RecordRejectedAsync(string id, string? output, string reason, DateTimeOffset finishedAt, CancellationToken ct) =>
        RecordFinishedAsync(id, ExecutionStatus.Rejected, output, reason, finishedAt, ct);

    public Task RecordSucceededAsync(string id, string? output, DateTimeOffset finishedAt, CancellationToken ct) =>
        RecordFinishedAsync(id, ExecutionStatus.Succeeded, output, error: null, finishedAt, ct);

    // An outcome that carries the flow's output (truncated to the limit; a missing output clears an earlier one).
    private Task RecordFinishedAsync(string id, string status, string? output, string? error, DateTimeOffset finishedAt, CancellationToken ct)
    {
        var cut = OutputTruncation.Truncate(output, _options.OutputLimitBytes, out var truncated);
        var set = new List<(string, RedisValue)> { (FStatus, status), (FFinishedAt, Ms(finishedAt)), (FTruncated, truncated ? 1 : 0) };
        if (error is not null) set.Add((FError, error));
        if (cut is not null) set.Add((FOutput, cut));
        return UpdateAsync(id, computeDuration: true, set, cut is null ? [FOutput] : [], ct);
    }

    public Task RecordAttemptFailedAsync(string id, int attempt, string error, DateTimeOffset finishedAt, CancellationToken ct) =>
        UpdateAsync(id, computeDuration: true,
            [(FStatus, ExecutionStatus.Failed), (FAttempts, attempt), (FError, error), (FFinishedAt, Ms(finishedAt))], [], ct);

    public Task RecordDeadLetteredAsync(string id, string reason, string? error, DateTimeOffset finishedAt, CancellationToken ct)
    {
        var set = new List<(string, RedisValue)> { (FStatus, ExecutionStatus.DeadLettered), (FReason, reason), (FFinishedAt, Ms(finishedAt)) };
        if (error is not null) set.Add((FError, error));
        return UpdateAsync(id, computeDuration: true, set, [], ct);
    }

    public Task RecordRequeuedAsync(string id, CancellationToken ct) =>
        UpdateAsync(id, computeDuration: false, [(FStatus, ExecutionStatus.Queued)], [FReason, FFinishedAt, FDuration], ct);

    public async Task<ExecutionRecord?> GetAsync(string id, CancellationToken ct)
    {
        var db = _redis.GetDatabase();
        var key = _keys.Execution(id);
        var fields = await db.HashGetAllAsync(key).WaitAsync(ct).ConfigureAwait(false);
        if (fields.Length == 0)
        {
            // No worker has written yet: the message's queued record, if it is still waiting.
            var queued = await db.HashGetAsync(_keys.Queued, (string)key!).WaitAsync(ct).ConfigureAwait(false);
            if (queued.IsNull) return null;
            fields = [new HashEntry(FStatus, ExecutionStatus.Queued), .. ParseQueued(queued!)];
        }
        var r = new ExecutionRecord { Id = id };
        foreach (var f in fields)
        {
            var v = f.Value;
            switch ((string?)f.Name)
            {
                case FStatus: r.Status = v!; break;
                case FTrigger: r.TriggerName = v; break;
                case FTarget: r.Target = v; break;
                case FPlatform: r.Platform = v; break;
                case FEventType: r.EventType = v; break;
                case FAction: r.Action = v; break;
                case FRepo: r.Repo = v; break;
                case FDeliveryId: r.DeliveryId = v; break;
                case FAttempts: r.Attempts = (int)v; break;
                case FQueuedAt: r.QueuedAt = Time(v); break;
                case FStartedAt: r.StartedAt = Time(v); break;
                case FFinishedAt: r.FinishedAt = Time(v); break;
                case FDuration: r.DurationMs = (long)v; break;
                case FOutput: r.Output = v; break;
                case FTruncated: r.OutputTruncated = v == 1; break;
                case FError: r.Error = v; break;
                case FReason: r.DeadLetterReason = v; break;
                case FWorker: r.Worker = v; break;
            }
        }
        return r;
    }

    private async Task UpdateAsync(string id, bool computeDuration, IReadOnlyList<(string Field, RedisValue Value)> set,
        IReadOnlyList<string> delete, CancellationToken ct, string script = UpdateScript)
    {
        var args = new RedisValue[3 + 2 * set.Count + delete.Count];
        args[0] = TtlMs;
        args[1] = computeDuration ? "1" : "0";
        args[2] = set.Count;
        var i = 3;
        foreach (var (field, value) in set)
        {
            args[i++] = field;
            args[i++] = value;
        }
        foreach (var field in delete) args[i++] = field;
        await _redis.GetDatabase().ScriptEvaluateAsync(script, [_keys.Execution(id), _keys.Queued], args).WaitAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// A queued record as the JSON object (field -> string value) that <see cref="Queue.Redis.RedisMessageQueue"/>'s
    /// publish script stores in <see cref="RedisKeys.Queued"/>; its fields are the hash fields the record gets.
    /// </summary>
    internal static byte[] QueuedJson(ExecutionRecord r, DateTimeOffset now) =>
        ThreadJsonWriter.ToArray((r, now), 512, static (w, s) =>
        {
            w.WriteStartObject();
            w.WriteString(FQueuedAt, Ms(s.r.QueuedAt ?? s.now).ToString(CultureInfo.InvariantCulture));
            foreach (var (field, value) in Description(s.r)) w.WriteString(field, value);
            w.WriteEndObject();
        });

    private static IEnumerable<HashEntry> ParseQueued(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var entries = new List<HashEntry>();
        foreach (var p in doc.RootElement.EnumerateObject()) entries.Add(new HashEntry(p.Name, p.Value.GetString()));
        return entries;
    }

    private static void AddDescription(List<RedisValue> args, ExecutionRecord r)
    {
        foreach (var (field, value) in Description(r))
        {
            args.Add(field);
            args.Add(value);
        }
    }

    // What the event was and what it runs, the fields that are set: written once, when the record is created.
    private static IEnumerable<(string Field, string Value)> Description(ExecutionRecord r)
    {
        (string, string?)[] all =
        [
            (FTrigger, r.TriggerName), (FTarget, r.Target), (FPlatform, r.Platform), (FEventType, r.EventType),
            (FAction, r.Action), (FRepo, r.Repo), (FDeliveryId, r.DeliveryId),
        ];
        foreach (var (field, value) in all)
            if (value is not null) yield return (field, value);
    }

    private static long Ms(DateTimeOffset t) => t.ToUnixTimeMilliseconds();

    private static DateTimeOffset? Time(RedisValue v) =>
        long.TryParse((string?)v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms) ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
}
