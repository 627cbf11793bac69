namespace Aof.Core.Executions;

/// <summary>
/// Execution records (Redis hashes in production, memory in standalone). Writes are field updates, so they
/// commute: a "queued" write that lands after "running" does not move the status back.
/// </summary>
public interface IExecutionStore
{
    /// <summary>Creates records in status queued; does not overwrite the status of a record that already moved on.</summary>
    Task RecordQueuedAsync(IReadOnlyList<ExecutionRecord> records, CancellationToken ct);

    Task RecordRunningAsync(string id, int attempt, string worker, DateTimeOffset startedAt, CancellationToken ct);

    /// <summary>Output is truncated to <see cref="ExecutionOptions.OutputLimitBytes"/> by the store.</summary>
    Task RecordSucceededAsync(string id, string? output, DateTimeOffset finishedAt, CancellationToken ct);

    /// <summary>An attempt failed and will be retried.</summary>
    Task RecordAttemptFailedAsync(string id, int attempt, string error, DateTimeOffset finishedAt, CancellationToken ct);

    Task RecordDeadLetteredAsync(string id, string reason, string? error, DateTimeOffset finishedAt, CancellationToken ct);

    /// <summary>A replayed dead letter is queued again.</summary>
    Task RecordRequeuedAsync(string id, CancellationToken ct);

    Task<ExecutionRecord?> GetAsync(string id, CancellationToken ct);
}
