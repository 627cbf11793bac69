namespace Aof.Core.Executions.InMemory;

/// <summary>
/// Execution records in process memory (standalone mode, tests). Bounded: a record unchanged for longer than
/// the retention is dropped, and past <see cref="MaxRecords"/> the least recently changed ones go first.
/// </summary>
public sealed class InMemoryExecutionStore : IExecutionStore
{
    /// <summary>Hard cap so a busy standalone process cannot grow without limit inside the retention window.</summary>
    public const int MaxRecords = 100_000;

    private readonly ExecutionOptions _options;
    private readonly TimeProvider _time;
    private readonly int _maxRecords;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Entry> _records = new(StringComparer.Ordinal);
    // Every write appends (id, stamp); the queue is in change order, so eviction pops from the front.
    // Entries whose stamp is older than the record's last change are leftovers and are skipped.
    private readonly Queue<(string Id, long Stamp)> _changes = new();
    private long _stamp;

    public InMemoryExecutionStore(ExecutionOptions options, TimeProvider? timeProvider = null)
        : this(options, timeProvider, MaxRecords)
    {
    }

    internal InMemoryExecutionStore(ExecutionOptions options, TimeProvider? timeProvider, int maxRecords)
    {
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _maxRecords = maxRecords;
    }

    public Task RecordQueuedAsync(IReadOnlyList<ExecutionRecord> records, CancellationToken ct)
    {
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            foreach (var r in records)
            {
                var rec = Touch(r.Id, now);
                // Status only when new: a late "queued" must not move a running or finished record back.
                if (rec.IsNew) rec.Record.Status = ExecutionStatus.Queued;
                var x = rec.Record;
                x.TriggerName = r.TriggerName ?? x.TriggerName;
                x.Target = r.Target ?? x.Target;
                x.Platform = r.Platform ?? x.Platform;
                x.EventType = r.EventType ?? x.EventType;
                x.Action = r.Action ?? x.Action;
                x.Repo = r.Repo ?? x.Repo;
                x.DeliveryId = r.DeliveryId ?? x.DeliveryId;
                x.QueuedAt = r.QueuedAt ?? x.QueuedAt ?? now;
            }
            Evict(now);
        }
        return Task.CompletedTask;
    }

    public Task RecordRunningAsync(string id, int attempt, string worker, DateTimeOffset startedAt, CancellationToken ct)
    {
        Update(id, r =>
        {
            if (ExecutionStatus.IsWaiting(r.Status)) return;
            r.Status = ExecutionStatus.Running;
            r.Attempts = attempt;
            r.Worker = worker;
            r.StartedAt = startedAt;
            r.FinishedAt = null;
            r.DurationMs = null;
        });
        return Task.CompletedTask;
    }

    public Task RecordSucceededAsync(string id, string? output, DateTimeOffset finishedAt, CancellationToken ct)
    {
        var cut = OutputTruncation.Truncate(output, _options.OutputLimitBytes, out var truncated);
        Update(id, r =>
        {
            r.Status = ExecutionStatus.Succeeded;
            r.Output = cut;
            r.OutputTruncated = truncated;
            Finish(r, finishedAt);
        });
        return Task.CompletedTask;
    }

    public Task RecordAttemptFailedAsync(string id, int attempt, string error, DateTimeOffset finishedAt, CancellationToken ct)
    {
        Update(id, r =>
        {
            r.Status = ExecutionStatus.Failed;
            r.Attempts = attempt;
            r.Error = error;
            Finish(r, finishedAt);
        });
        return Task.CompletedTask;
    }

    public Task RecordDeadLetteredAsync(string id, string reason, string? error, DateTimeOffset finishedAt, CancellationToken ct)
    {
        Update(id, r =>
        {
            r.Status = ExecutionStatus.DeadLettered;
            r.DeadLetterReason = reason;
            r.Error = error ?? r.Error;
            Finish(r, finishedAt);
        });
        return Task.CompletedTask;
    }

    public Task RecordRequeuedAsync(string id, CancellationToken ct)
    {
        Update(id, r =>
        {
            r.Status = ExecutionStatus.Queued;
            r.DeadLetterReason = null;
            r.FinishedAt = null;
            r.DurationMs = null;
        });
        return Task.CompletedTask;
    }

    public Task RecordSuspendedAsync(string id, string status, string checkpoint, CancellationToken ct)
    {
        UpdateEntry(id, e =>
        {
            e.Record.Status = status;
            e.Checkpoint = checkpoint;
            e.Decision = null;
        });
        return Task.CompletedTask;
    }

    public Task<FlowCheckpointEntry?> GetCheckpointAsync(string id, CancellationToken ct)
    {
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            if (!_records.TryGetValue(id, out var e) || e.ChangedAt + _options.Retention <= now)
                return Task.FromResult<FlowCheckpointEntry?>(null);
            return Task.FromResult<FlowCheckpointEntry?>(new FlowCheckpointEntry(e.Record.Status, e.Checkpoint, e.Decision));
        }
    }

    public Task<bool> TryTransitionAsync(string id, string fromStatus, string toStatus, string? decision, CancellationToken ct)
    {
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            if (!_records.TryGetValue(id, out var existing) || existing.ChangedAt + _options.Retention <= now || existing.Record.Status != fromStatus)
                return Task.FromResult(false);
            var e = Touch(id, now).Entry;
            e.Record.Status = toStatus;
            if (decision is not null) e.Decision = decision;
            Evict(now);
            return Task.FromResult(true);
        }
    }

    public Task RecordRejectedAsync(string id, string? output, string reason, DateTimeOffset finishedAt, CancellationToken ct)
    {
        var cut = OutputTruncation.Truncate(output, _options.OutputLimitBytes, out var truncated);
        Update(id, r =>
        {
            r.Status = ExecutionStatus.Rejected;
            r.Output = cut;
            r.OutputTruncated = truncated;
            r.Error = reason;
            Finish(r, finishedAt);
        });
        return Task.CompletedTask;
    }

    public Task<ExecutionRecord?> GetAsync(string id, CancellationToken ct)
    {
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            if (!_records.TryGetValue(id, out var e) || e.ChangedAt + _options.Retention <= now)
                return Task.FromResult<ExecutionRecord?>(null);
            return Task.FromResult<ExecutionRecord?>(Copy(e.Record));
        }
    }

    /// <summary>Records held now (tests and diagnostics).</summary>
    internal int Count
    {
        get { lock (_lock) return _records.Count; }
    }

    private static void Finish(ExecutionRecord r, DateTimeOffset finishedAt)
    {
        r.FinishedAt = finishedAt;
        r.DurationMs = r.StartedAt is { } s ? (long)Math.Max(0, (finishedAt - s).TotalMilliseconds) : null;
    }

    private void Update(string id, Action<ExecutionRecord> change) => UpdateEntry(id, e => change(e.Record));

    private void UpdateEntry(string id, Action<Entry> change)
    {
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            change(Touch(id, now).Entry);
            Evict(now);
        }
    }

    private (ExecutionRecord Record, bool IsNew, Entry Entry) Touch(string id, DateTimeOffset now)
    {
        var stamp = ++_stamp;
        _changes.Enqueue((id, stamp));
        if (_records.TryGetValue(id, out var e))
        {
            if (e.ChangedAt + _options.Retention <= now)
            {
                // Expired but not yet evicted: start over as a new record.
                e.Record = new ExecutionRecord { Id = id };
                e.Checkpoint = null;
                e.Decision = null;
                e.Stamp = stamp;
                e.ChangedAt = now;
                return (e.Record, true, e);
            }
            e.Stamp = stamp;
            e.ChangedAt = now;
            return (e.Record, false, e);
        }
        var created = new Entry { Record = new ExecutionRecord { Id = id }, Stamp = stamp, ChangedAt = now };
        _records[id] = created;
        return (created.Record, true, created);
    }

    private void Evict(DateTimeOffset now)
    {
        while (_changes.TryPeek(out var c))
        {
            if (!_records.TryGetValue(c.Id, out var e) || e.Stamp != c.Stamp)
            {
                _changes.Dequeue(); // superseded by a later change, or already gone
                continue;
            }
            if (e.ChangedAt + _options.Retention > now && _records.Count <= _maxRecords) break;
            _changes.Dequeue();
            _records.Remove(c.Id);
        }
    }

    private static ExecutionRecord Copy(ExecutionRecord r) => new()
    {
        Id = r.Id,
        Status = r.Status,
        TriggerName = r.TriggerName,
        Target = r.Target,
        Platform = r.Platform,
        EventType = r.EventType,
        Action = r.Action,
        Repo = r.Repo,
        DeliveryId = r.DeliveryId,
        Attempts = r.Attempts,
        QueuedAt = r.QueuedAt,
        StartedAt = r.StartedAt,
        FinishedAt = r.FinishedAt,
        DurationMs = r.DurationMs,
        Output = r.Output,
        OutputTruncated = r.OutputTruncated,
        Error = r.Error,
        DeadLetterReason = r.DeadLetterReason,
        Worker = r.Worker,
    };

    private sealed class Entry
    {
        public required ExecutionRecord Record { get; set; }
        public long Stamp { get; set; }
        public DateTimeOffset ChangedAt { get; set; }
        public string? Checkpoint { get; set; }
        public string? Decision { get; set; }
    }
}
