using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using Aof.Core.Queue;
using Aof.Core.Queue.Nats;
using NATS.Client.Core;
using NATS.Client.KeyValueStore;

namespace Aof.Core.Executions.Nats;

/// <summary>
/// Execution records in the JetStream KV bucket <c>{prefix}-executions</c>, one JSON value per record (key = the
/// message id). The bucket's max age is the retention, and every write stores a new revision, so a record lives
/// for the retention after its last change (as the Redis store's TTL renewal). KV has no field updates, so each
/// write is read-modify-write with a revision check, retried on a conflict: writes from the gateway and any
/// worker still commute as on Redis, and a "queued" that lands after "running" does not move the record back.
/// <para>
/// A worker writes each record twice in a row (running, then the outcome), so the store remembers the revision
/// and content of its own last non-final write: the outcome is then one conditional write without a read. When
/// somebody else wrote in between, the revision check fails and the write falls back to read-modify-write.
/// </para>
/// </summary>
public sealed class NatsExecutionStore : IExecutionStore
{
    private const int MaxConflicts = 20;

    private readonly ExecutionOptions _options;
    private readonly TimeProvider _time;
    private readonly OwnedKVBucket _bucket;

    // Bounded: entries leave with the execution's next write; what a crash or lost lease strands is cleared in bulk.
    private const int MaxRemembered = 8192;
    private readonly ConcurrentDictionary<string, (ulong Revision, StoredRecord Record)> _lastWritten = new(StringComparer.Ordinal);

    public NatsExecutionStore(INatsConnection connection, ExecutionOptions options, string prefix, TimeProvider? timeProvider = null)
    {
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        // The bucket is ours (not an operator's stream): its max age follows the configured retention.
        _bucket = new OwnedKVBucket(connection, new NatsKVConfig(new NatsNames(prefix).ExecutionsBucket)
        {
            MaxAge = options.Retention,
            History = 1,
            Storage = NatsKVStorageType.File,
        }, "execution store");
    }

    public string BucketName => _bucket.Name;

    /// <summary>
    /// The gateway's queued records, created only where no record exists, unconfirmed (<see cref="OwnedKVBucket.CreateUnconfirmedAsync"/>):
    /// one buffered write per record instead of a JetStream request and its reply, so a webhook costs the broker one
    /// confirmed write (its message). A record a worker wrote first is left as it is: a worker writes the first record of
    /// a delivery whole, from its envelope (<see cref="RecordUntouchedAsync"/>). A lost one is replaced by that write.
    /// </summary>
    public async Task RecordQueuedAsync(IReadOnlyList<ExecutionRecord> records, CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        foreach (var r in records)
        {
            var stored = StoredRecord.From(r);
            stored.Status = ExecutionStatus.Queued;
            stored.QueuedAt ??= Ms(now);
            var json = JsonSerializer.SerializeToUtf8Bytes(stored, ExecutionJsonContext.Default.StoredRecord);
            await _bucket.CreateUnconfirmedAsync(NatsNames.Token(r.Id), json, ct).ConfigureAwait(false);
        }
    }

    public Task RecordRunningAsync(string id, int attempt, string worker, DateTimeOffset startedAt, CancellationToken ct) =>
        UpdateAsync(id, s =>
        {
            if (ExecutionStatus.IsWaiting(s.Status)) return false;
            s.Status = ExecutionStatus.Running;
            s.Attempts = attempt;
            s.Worker = worker;
            s.StartedAt = Ms(startedAt);
            s.FinishedAt = null;
            s.DurationMs = null;
            return true;
        }, ct, rememberForNextWrite: true);

    /// <summary>
    /// A blind put of the whole record. The gateway's queued record, if it lands later, finds the key taken and is
    /// dropped (see <see cref="RecordQueuedAsync"/>).
    /// </summary>
    public async Task RecordUntouchedAsync(ExecutionRecord record, CancellationToken ct)
    {
        record.RequireUntouchedStatus();
        var bucket = await _bucket.GetAsync(ct).ConfigureAwait(false);
        var key = NatsNames.Token(record.Id);
        var stored = StoredRecord.From(record);
        stored.Output = OutputTruncation.Truncate(record.Output, _options.OutputLimitBytes, out var truncated);
        stored.OutputTruncated = truncated;
        stored.ComputeDuration();
        var json = JsonSerializer.SerializeToUtf8Bytes(stored, ExecutionJsonContext.Default.StoredRecord);
        var revision = await _bucket.Guard(bucket.PutAsync(key, json, cancellationToken: ct), ct).ConfigureAwait(false);
        // Only a running record is followed by another write of this worker (its outcome).
        Remember(key, revision, stored, rememberForNextWrite: record.Status == ExecutionStatus.Running);
    }

    public Task RecordSucceededAsync(string id, string? output, DateTimeOffset finishedAt, CancellationToken ct) =>
        RecordFinishedAsync(id, ExecutionStatus.Succeeded, output, error: null, finishedAt, ct);

    // An outcome that carries the flow's output (truncated to the limit; a missing output clears an earlier one).
    private Task RecordFinishedAsync(string id, string status, string? output, string? error, DateTimeOffset finishedAt, CancellationToken ct)
    {
        var cut = OutputTruncation.Truncate(output, _options.OutputLimitBytes, out var truncated);
        return UpdateAsync(id, s =>
        {
            s.Status = status;
            s.FinishedAt = Ms(finishedAt);
            s.Output = cut;
            s.OutputTruncated = truncated;
            if (error is not null) s.Error = error;
            s.ComputeDuration();
        }, ct);
    }

    public Task RecordAttemptFailedAsync(string id, int attempt, string error, DateTimeOffset finishedAt, CancellationToken ct) =>
        UpdateAsync(id, s =>
        {
            s.Status = ExecutionStatus.Failed;
            s.Attempts = attempt;
            s.Error = error;
            s.FinishedAt = Ms(finishedAt);
            s.ComputeDuration();
        }, ct);

    public Task RecordDeadLetteredAsync(string id, string reason, string? error, DateTimeOffset finishedAt, CancellationToken ct) =>
        UpdateAsync(id, s =>
        {
            s.Status = ExecutionStatus.DeadLettered;
            s.DeadLetterReason = reason;
            if (error is not null) s.Error = error;
            s.FinishedAt = Ms(finishedAt);
            s.ComputeDuration();
        }, ct);

    public Task RecordRequeuedAsync(string id, CancellationToken ct) =>
        UpdateAsync(id, s =>
        {
            s.Status = ExecutionStatus.Queued;
            s.DeadLetterReason = null;
            s.FinishedAt = null;
            s.DurationMs = null;
        }, ct);

    public Task RecordSuspendedAsync(string id, string status, string checkpoint, CancellationToken ct) =>
        UpdateAsync(id, s =>
        {
            s.Status = status;
            s.FlowCheckpoint = checkpoint;
            s.FlowDecision = null;
        }, ct);

    public async Task<FlowCheckpointEntry?> GetCheckpointAsync(string id, CancellationToken ct)
    {
        var bucket = await _bucket.GetAsync(ct).ConfigureAwait(false);
        var entry = Absent(await _bucket.Guard(bucket.TryGetEntryAsync<byte[]>(NatsNames.Token(id), cancellationToken: ct), ct).ConfigureAwait(false));
        if (!entry.Success || entry.Value.Value is not { Length: > 0 } json) return null;
        var stored = Deserialize(json);
        return new FlowCheckpointEntry(stored.Status ?? ExecutionStatus.Queued, stored.FlowCheckpoint, stored.FlowDecision);
    }

    public Task<bool> TryTransitionAsync(string id, string fromStatus, string toStatus, string? decision, CancellationToken ct) =>
        UpdateAsync(id, s =>
        {
            if (s.Status != fromStatus) return false;
            s.Status = toStatus;
            if (decision is not null) s.FlowDecision = decision;
            return true;
        }, ct, createMissing: false);

    public Task RecordRejectedAsync(string id, string? output, string reason, DateTimeOffset finishedAt, CancellationToken ct) =>
        RecordFinishedAsync(id, ExecutionStatus.Rejected, output, reason, finishedAt, ct);

    public async Task<ExecutionRecord?> GetAsync(string id, CancellationToken ct)
    {
        var bucket = await _bucket.GetAsync(ct).ConfigureAwait(false);
        var entry = Absent(await _bucket.Guard(bucket.TryGetEntryAsync<byte[]>(NatsNames.Token(id), cancellationToken: ct), ct).ConfigureAwait(false));
        if (!entry.Success || entry.Value.Value is not { Length: > 0 } json) return null;
        return Deserialize(json).ToRecord(id);
    }

    /// <summary>Read, change, write back if nobody wrote in between; else again. A missing record is created.</summary>
    private Task UpdateAsync(string id, Action<StoredRecord> change, CancellationToken ct, bool rememberForNextWrite = false) =>
        UpdateAsync(id, s => { change(s); return true; }, ct, rememberForNextWrite: rememberForNextWrite);

    /// <summary>
    /// As above; when <paramref name="change"/> returns false nothing is written and the result is false.
    /// </summary>
    private async Task<bool> UpdateAsync(string id, Func<StoredRecord, bool> change, CancellationToken ct,
        bool createMissing = true, bool rememberForNextWrite = false)
    {
        var bucket = await _bucket.GetAsync(ct).ConfigureAwait(false);
        var key = NatsNames.Token(id);

        // This instance wrote the record last (running -> outcome on one worker): skip the read.
        // A change that declines on the remembered copy is decided again on the stored record below.
        if (_lastWritten.TryRemove(key, out var known) && change(known.Record))
        {
            var json = JsonSerializer.SerializeToUtf8Bytes(known.Record, ExecutionJsonContext.Default.StoredRecord);
            var written = await _bucket.Guard(bucket.TryUpdateAsync(key, json, known.Revision, cancellationToken: ct), ct).ConfigureAwait(false);
            if (written.Success)
            {
                Remember(key, written.Value, known.Record, rememberForNextWrite);
                return true;
            }
            if (written.Error is not NatsKVWrongLastRevisionException) throw _bucket.Failure(written.Error);
            // Somebody else wrote in between (another worker, an approval): read and merge below.
        }

        for (var attempt = 0; ; attempt++)
        {
            var entry = Absent(await _bucket.Guard(bucket.TryGetEntryAsync<byte[]>(key, cancellationToken: ct), ct).ConfigureAwait(false));
            var exists = entry.Success && entry.Value.Value is { Length: > 0 };
            if (!exists && !createMissing) return false;
            var stored = exists ? Deserialize(entry.Value.Value!) : new StoredRecord();
            if (!change(stored)) return false;
            var json = JsonSerializer.SerializeToUtf8Bytes(stored, ExecutionJsonContext.Default.StoredRecord);

            NatsResult<ulong> written = exists
                ? await _bucket.Guard(bucket.TryUpdateAsync(key, json, entry.Value.Revision, cancellationToken: ct), ct).ConfigureAwait(false)
                : await _bucket.Guard(bucket.TryCreateAsync(key, json, cancellationToken: ct), ct).ConfigureAwait(false);
            if (written.Success)
            {
                Remember(key, written.Value, stored, rememberForNextWrite);
                return true;
            }
            if (written.Error is not (NatsKVWrongLastRevisionException or NatsKVCreateException)) throw _bucket.Failure(written.Error);
            if (attempt >= MaxConflicts)
                throw new InvalidOperationException($"execution record {id} kept changing under {MaxConflicts} concurrent writes", written.Error);
        }
    }

    private void Remember(string key, ulong revision, StoredRecord record, bool rememberForNextWrite)
    {
        if (!rememberForNextWrite) return;
        if (_lastWritten.Count >= MaxRemembered) _lastWritten.Clear();
        _lastWritten[key] = (revision, record);
    }

    /// <summary>A missing or deleted key is "no record"; any other failure is thrown.</summary>
    private NatsResult<NatsKVEntry<byte[]>> Absent(NatsResult<NatsKVEntry<byte[]>> entry) =>
        entry.Success || entry.Error is NatsKVKeyNotFoundException or NatsKVKeyDeletedException ? entry : throw _bucket.Failure(entry.Error);

    private static StoredRecord Deserialize(byte[] json) =>
        JsonSerializer.Deserialize(json, ExecutionJsonContext.Default.StoredRecord) ?? new StoredRecord();

    private static long Ms(DateTimeOffset t) => t.ToUnixTimeMilliseconds();
}

/// <summary>The JSON of one record: snake_case fields, times in unix milliseconds (as in the Redis hash).</summary>
internal sealed class StoredRecord
{
    public string? Status { get; set; }
    public string? TriggerName { get; set; }
    public string? Target { get; set; }
    public string? Platform { get; set; }
    public string? EventType { get; set; }
    public string? Action { get; set; }
    public string? Repo { get; set; }
    public string? DeliveryId { get; set; }
    public int Attempts { get; set; }
    public long? QueuedAt { get; set; }
    public long? StartedAt { get; set; }
    public long? FinishedAt { get; set; }
    public long? DurationMs { get; set; }
    public string? Output { get; set; }
    public bool OutputTruncated { get; set; }
    public string? Error { get; set; }
    public string? DeadLetterReason { get; set; }
    public string? Worker { get; set; }
    public string? FlowCheckpoint { get; set; }
    public string? FlowDecision { get; set; }

    public void ComputeDuration() =>
        DurationMs = StartedAt is { } s && FinishedAt is { } f ? Math.Max(0, f - s) : null;

    /// <summary>Every field of <paramref name="record"/> as it is stored (output as given: the store cuts it first).</summary>
    public static StoredRecord From(ExecutionRecord record) => new()
    {
        Status = record.Status,
        TriggerName = record.TriggerName,
        Target = record.Target,
        Platform = record.Platform,
        EventType = record.EventType,
        Action = record.Action,
        Repo = record.Repo,
        DeliveryId = record.DeliveryId,
        Attempts = record.Attempts,
        QueuedAt = Ms(record.QueuedAt),
        StartedAt = Ms(record.StartedAt),
        FinishedAt = Ms(record.FinishedAt),
        DurationMs = record.DurationMs,
        Output = record.Output,
        OutputTruncated = record.OutputTruncated,
        Error = record.Error,
        DeadLetterReason = record.DeadLetterReason,
        Worker = record.Worker,
    };

    public ExecutionRecord ToRecord(string id) => new()
    {
        Id = id,
        Status = Status ?? ExecutionStatus.Queued,
        TriggerName = TriggerName,
        Target = Target,
        Platform = Platform,
        EventType = EventType,
        Action = Action,
        Repo = Repo,
        DeliveryId = DeliveryId,
        Attempts = Attempts,
        QueuedAt = Time(QueuedAt),
        StartedAt = Time(StartedAt),
        FinishedAt = Time(FinishedAt),
        DurationMs = DurationMs,
        Output = Output,
        OutputTruncated = OutputTruncated,
        Error = Error,
        DeadLetterReason = DeadLetterReason,
        Worker = Worker,
    };

    private static DateTimeOffset? Time(long? ms) => ms is { } v ? DateTimeOffset.FromUnixTimeMilliseconds(v) : null;

    private static long? Ms(DateTimeOffset? t) => t?.ToUnixTimeMilliseconds();
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StoredRecord))]
internal sealed partial class ExecutionJsonContext : JsonSerializerContext;
