namespace Aof.Core.Executions;

/// <summary>
/// Execution records (Redis hashes in production, memory in standalone). Writes are field updates, so they
/// commute: a "queued" write that lands after "running" does not move the status back.
/// </summary>
public interface IExecutionStore
{
    /// <summary>Creates records in status queued; does not overwrite the status of a record that already moved on.</summary>
    Task RecordQueuedAsync(IReadOnlyList<ExecutionRecord> records, CancellationToken ct);

    /// <summary>
    /// Does nothing while the record is <see cref="ExecutionStatus.Waiting"/> or <see cref="ExecutionStatus.WaitingApproval"/>:
    /// a suspended flow's message comes back to be checked, and only the flow decides when it really runs again.
    /// </summary>
    Task RecordRunningAsync(string id, int attempt, string worker, DateTimeOffset startedAt, CancellationToken ct);

    /// <summary>
    /// The whole record of a delivery its queue reports <see cref="Queue.Delivery.Untouched"/>: the record can hold at
    /// most the publisher's <see cref="ExecutionRecord.QueuedFor"/>, all of which <paramref name="record"/> repeats (and,
    /// for an outcome, what the ended execution itself wrote, which the outcome supersedes), so a store may write it
    /// whole without reading first (NATS KV: one write instead of a read and a conditional write).
    /// Its status is <see cref="ExecutionStatus.Running"/>, or the outcome (<see cref="ExecutionStatus.Succeeded"/>,
    /// <see cref="ExecutionStatus.Rejected"/> with the reason as error) of an execution that ended before its running
    /// record was written; output is truncated as for <see cref="RecordSucceededAsync"/>.
    /// </summary>
    async Task RecordUntouchedAsync(ExecutionRecord record, CancellationToken ct)
    {
        record.RequireUntouchedStatus();
        await RecordRunningAsync(record.Id, record.Attempts, record.Worker ?? "", record.StartedAt ?? DateTimeOffset.UtcNow, ct);
        var finishedAt = record.FinishedAt ?? DateTimeOffset.UtcNow;
        if (record.Status == ExecutionStatus.Succeeded)
            await RecordSucceededAsync(record.Id, record.Output, finishedAt, ct);
        else if (record.Status == ExecutionStatus.Rejected)
            await RecordRejectedAsync(record.Id, record.Output, record.Error ?? "", finishedAt, ct);
    }

    /// <summary>Output is truncated to <see cref="ExecutionOptions.OutputLimitBytes"/> by the store.</summary>
    Task RecordSucceededAsync(string id, string? output, DateTimeOffset finishedAt, CancellationToken ct);

    /// <summary>An attempt failed and will be retried.</summary>
    Task RecordAttemptFailedAsync(string id, int attempt, string error, DateTimeOffset finishedAt, CancellationToken ct);

    Task RecordDeadLetteredAsync(string id, string reason, string? error, DateTimeOffset finishedAt, CancellationToken ct);

    /// <summary>A replayed dead letter is queued again.</summary>
    Task RecordRequeuedAsync(string id, CancellationToken ct);

    Task<ExecutionRecord?> GetAsync(string id, CancellationToken ct);

    /// <summary>
    /// A flow stopped to wait: sets <paramref name="status"/> (waiting / waiting_approval) and the flow's checkpoint
    /// (opaque JSON, see docs/operations.md), and clears the decision of an earlier wait.
    /// </summary>
    Task RecordSuspendedAsync(string id, string status, string checkpoint, CancellationToken ct);

    /// <summary>The status, the flow checkpoint and the approval decision of a record; null when there is no record.</summary>
    Task<FlowCheckpointEntry?> GetCheckpointAsync(string id, CancellationToken ct);

    /// <summary>
    /// Atomically: when the record's status is <paramref name="fromStatus"/>, sets <paramref name="toStatus"/> and (when
    /// not null) the <paramref name="decision"/>, and returns true; otherwise changes nothing and returns false.
    /// </summary>
    Task<bool> TryTransitionAsync(string id, string fromStatus, string toStatus, string? decision, CancellationToken ct);

    /// <summary>The flow ended on a rejected approval: final status <see cref="ExecutionStatus.Rejected"/>.</summary>
    Task RecordRejectedAsync(string id, string? output, string reason, DateTimeOffset finishedAt, CancellationToken ct);
}

/// <summary>What a suspended flow needs to resume: its record's status, its checkpoint and the approval decision (JSON).</summary>
public sealed record FlowCheckpointEntry(string Status, string? Checkpoint, string? Decision);
