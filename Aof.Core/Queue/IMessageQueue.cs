using Aof.Core.Events;

namespace Aof.Core.Queue;

/// <summary>
/// The queue contract of DESIGN.md. Every backend (memory, Redis Streams, NATS JetStream) implements it
/// and passes the same conformance tests:
/// at-least-once; one consumer group shared by all workers; ack removes for good; nack(delay) redelivers
/// after the delay with attempt+1; defer(delay) does the same with the attempt unchanged; past max_retries to the dead-letter queue; a lease that is not renewed
/// expires and the message is redelivered; publishing with a dedup key is idempotent within the window;
/// high priority first without starving low.
/// </summary>
public interface IMessageQueue : IAsyncDisposable
{
    /// <summary>"memory", "redis" or "nats".</summary>
    string Backend { get; }

    /// <summary>Creates streams / groups / consumers idempotently. Safe to call on every start.</summary>
    Task InitializeAsync(CancellationToken ct);

    /// <summary>
    /// Stores all <paramref name="messages"/> idempotently with respect to <paramref name="dedupKey"/>: when the key was
    /// seen within the dedup window nothing is stored and <see cref="PublishResult.Duplicate"/> is set, with the ids
    /// stored the first time (Redis, memory) or, where the broker deduplicates without keeping them (NATS), the caller's
    /// own ids (<see cref="PublishResult.FirstIdsKnown"/> false). Publishers name the messages of a keyed publish after
    /// the key (<see cref="Events.MessageIds"/>), so those are the first ids too. Returns only after the broker has stored
    /// the messages. Throws <see cref="QueueUnavailableException"/> when the broker cannot be reached.
    /// </summary>
    Task<PublishResult> PublishAsync(IReadOnlyList<OutgoingMessage> messages, string? dedupKey, CancellationToken ct);

    /// <summary>
    /// Whether <see cref="PublishAsync"/> also creates each message's <see cref="OutgoingMessage.Record"/>, atomically
    /// with the message (Redis: in the publish script). Then a stored message always has its record, and a webhook
    /// costs the broker one write instead of two.
    /// </summary>
    bool StoresQueuedRecords => false;

    /// <summary>
    /// Leases up to <paramref name="max"/> messages, waiting at most <paramref name="wait"/> when none are ready.
    /// Also recovers messages whose lease expired and promotes delayed messages that are due.
    /// </summary>
    Task<IReadOnlyList<Delivery>> FetchAsync(int max, TimeSpan wait, CancellationToken ct);

    /// <summary>Done: removes the message for good.</summary>
    Task AckAsync(Delivery delivery, CancellationToken ct);

    /// <summary>
    /// Failed: the message becomes visible again after <paramref name="delay"/> with attempt+1, or, when
    /// <see cref="Delivery.Attempt"/> already exceeds <see cref="Delivery.MaxRetries"/>, moves to the
    /// dead-letter queue with reason <see cref="DeadLetterReasons.MaxRetriesExceeded"/> and <paramref name="error"/>.
    /// </summary>
    Task<NackOutcome> NackAsync(Delivery delivery, TimeSpan delay, string error, CancellationToken ct);

    /// <summary>
    /// Not now, and not a failure (tenant rate limit, durable wait): the message becomes visible again after
    /// <paramref name="delay"/> with its attempt UNCHANGED, so deferring never counts against max_retries and
    /// never dead-letters. Like a nack, a deferral whose lease was already lost is a no-op.
    /// </summary>
    Task DeferAsync(Delivery delivery, TimeSpan delay, CancellationToken ct);

    /// <summary>Moves the message to the dead-letter queue at once (poison message, unknown target...).</summary>
    Task DeadLetterAsync(Delivery delivery, string reason, string? lastError, CancellationToken ct);

    /// <summary>Extends the lease of a long-running delivery so it is not redelivered meanwhile.</summary>
    Task RenewLeaseAsync(Delivery delivery, CancellationToken ct);

    /// <summary>Gives an unstarted delivery back at once (drain): visible immediately, attempt unchanged.</summary>
    Task ReleaseAsync(Delivery delivery, CancellationToken ct);

    Task<QueueStats> GetStatsAsync(CancellationToken ct);

    /// <summary>True when the broker answers; used by /health.</summary>
    Task<bool> PingAsync(CancellationToken ct);

    IDeadLetterQueue DeadLetters { get; }
}

/// <summary>Listing, replaying and purging what was dead-lettered.</summary>
public interface IDeadLetterQueue
{
    Task<IReadOnlyList<DeadLetterEntry>> ListAsync(int offset, int limit, CancellationToken ct);

    Task<DeadLetterEntry?> GetAsync(string messageId, CancellationToken ct);

    /// <summary>Puts the message back on its lane with attempt 1. False when no such entry exists.</summary>
    Task<bool> ReplayAsync(string messageId, CancellationToken ct);

    /// <summary>Deletes the entry for good. False when no such entry exists.</summary>
    Task<bool> PurgeAsync(string messageId, CancellationToken ct);
}

/// <summary>A message to publish: our id (<see cref="Events.MessageIds"/>), its lane, the serialized envelope, and its retry budget.</summary>
/// <param name="Record">
/// The message's execution record in status queued. A backend that keeps records beside its messages
/// (<see cref="IMessageQueue.StoresQueuedRecords"/>) creates it in the same atomic write as the message; otherwise
/// the publisher writes it to the execution store after the publish.
/// </param>
public sealed record OutgoingMessage(string Id, Priority Priority, ReadOnlyMemory<byte> Body, int MaxRetries,
    Executions.ExecutionRecord? Record = null);

/// <param name="FirstIdsKnown">
/// For a duplicate: true when <paramref name="MessageIds"/> are the ids the backend stored the first time, false when
/// they are the caller's because the backend does not keep them (see <see cref="IMessageQueue.PublishAsync"/>).
/// </param>
public sealed record PublishResult(bool Duplicate, IReadOnlyList<string> MessageIds, bool FirstIdsKnown = true);

public enum NackOutcome
{
    Retried,
    DeadLettered,
}

/// <summary>One leased message. <see cref="Handle"/> is the backend's own bookkeeping (stream entry id, NATS msg...).</summary>
public sealed class Delivery
{
    public required string MessageId { get; init; }
    public required Priority Priority { get; init; }
    public required ReadOnlyMemory<byte> Body { get; init; }

    /// <summary>1 on the first delivery; grows with every nack and every expired lease.</summary>
    public required int Attempt { get; init; }

    public required int MaxRetries { get; init; }

    /// <summary>When the message was first published (for end-to-end latency).</summary>
    public DateTimeOffset? EnqueuedAt { get; init; }

    public required object Handle { get; init; }

    /// <summary>
    /// The message exactly as its publisher stored it, handed out for the first time: no worker has started it, so
    /// its execution record holds at most the publisher's queued record. Set by NATS, whose store saves a read with it;
    /// false where a backend does not tell.
    /// </summary>
    public bool Untouched { get; init; }
}

public sealed record LaneStats(long Ready, long InFlight);

/// <summary>Queue depth by state, for metrics, autoscaling and the admin API.</summary>
public sealed record QueueStats(
    long Ready,
    long InFlight,
    long Delayed,
    long DeadLettered,
    IReadOnlyDictionary<Priority, LaneStats> ByPriority);

public sealed record DeadLetterEntry(
    string MessageId,
    Priority Priority,
    ReadOnlyMemory<byte> Body,
    string Reason,
    string? LastError,
    int Attempts,
    DateTimeOffset DeadLetteredAt);

public static class DeadLetterReasons
{
    public const string MaxRetriesExceeded = "max_retries_exceeded";
    public const string Unparseable = "unparseable_message";
    public const string UnknownTarget = "unknown_target";
    public const string Unsupported = "unsupported_target";
    public const string PermanentFailure = "permanent_failure";
}

/// <summary>The broker could not be reached or did not confirm in time. The gateway answers 503.</summary>
public sealed class QueueUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
