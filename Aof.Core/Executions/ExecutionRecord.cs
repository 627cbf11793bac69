using Aof.Core.Events;

namespace Aof.Core.Executions;

public static class ExecutionStatus
{
    public const string Queued = "queued";
    public const string Running = "running";
    /// <summary>The last attempt failed and a retry is scheduled.</summary>
    public const string Failed = "failed";
    public const string Succeeded = "succeeded";
    public const string DeadLettered = "dead_lettered";
    /// <summary>A flow's Wait node: the message is deferred until the wait is over; no worker holds it.</summary>
    public const string Waiting = "waiting";
    /// <summary>A flow's Approval node: waiting for POST /api/executions/{id}/approve or /reject, or its timeout.</summary>
    public const string WaitingApproval = "waiting_approval";
    /// <summary>The flow ended on a rejected (or timed-out) approval with no branch for rejection.</summary>
    public const string Rejected = "rejected";

    /// <summary>A suspended flow's status: a "running" write never overrides these (see IExecutionStore.RecordRunningAsync).</summary>
    public static bool IsWaiting(string? status) => status is Waiting or WaitingApproval;
}

/// <summary>What happened to one message: kept in the store for <see cref="ExecutionOptions.RetentionHours"/>.</summary>
public sealed class ExecutionRecord
{
    public required string Id { get; init; }
    public string Status { get; set; } = ExecutionStatus.Queued;
    public string? TriggerName { get; set; }
    public string? Target { get; set; }
    public string? Platform { get; set; }
    public string? EventType { get; set; }
    public string? Action { get; set; }
    public string? Repo { get; set; }
    public string? DeliveryId { get; set; }
    public int Attempts { get; set; }
    public DateTimeOffset? QueuedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public long? DurationMs { get; set; }
    public string? Output { get; set; }
    public bool OutputTruncated { get; set; }
    public string? Error { get; set; }
    public string? DeadLetterReason { get; set; }
    public string? Worker { get; set; }

    /// <summary>
    /// An untouched delivery's record is written whole (<see cref="IExecutionStore.RecordUntouchedAsync"/>) as running or
    /// with the outcome of an execution that ended before that: any other status is a caller's mistake.
    /// </summary>
    public void RequireUntouchedStatus()
    {
        if (Status is not (ExecutionStatus.Running or ExecutionStatus.Succeeded or ExecutionStatus.Rejected))
            throw new ArgumentException($"an untouched delivery's record is written whole as running, succeeded or rejected, not {Status}");
    }

    /// <summary>The record a message starts with, from its envelope: what the publisher knows when it stores it.</summary>
    public static ExecutionRecord QueuedFor(EventEnvelope envelope) => new()
    {
        Id = envelope.Id,
        Status = ExecutionStatus.Queued,
        TriggerName = envelope.TriggerName,
        Target = envelope.Target.ToString(),
        Platform = envelope.Platform,
        EventType = envelope.EventType,
        Action = envelope.Action,
        Repo = envelope.Repo,
        DeliveryId = envelope.Metadata.DeliveryId,
        QueuedAt = envelope.Timestamp,
    };
}

public sealed class ExecutionOptions
{
    /// <summary>How long a record is kept after its last change.</summary>
    public int RetentionHours { get; set; } = 72;

    /// <summary>Output longer than this is cut (and flagged) before it is stored.</summary>
    public int OutputLimitBytes { get; set; } = 64 * 1024;

    public TimeSpan Retention => TimeSpan.FromHours(RetentionHours);
}
