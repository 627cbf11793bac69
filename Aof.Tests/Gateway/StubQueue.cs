using Aof.Core.Executions;
using Aof.Core.Queue;

namespace Aof.Tests.Gateway;

/// <summary>
/// Our own IMessageQueue standing in for a broker that is down: publishing either throws
/// QueueUnavailableException or never completes (and ignores its token, like a hung connection).
/// Only publishing is used by the tests that take it.
/// </summary>
public sealed class StubQueue(StubQueue.Mode mode) : IMessageQueue
{
    public enum Mode { Throws, NeverCompletes }

    private int _publishCalls;
    public int PublishCalls => _publishCalls;

    public string Backend => "stub";
    public IDeadLetterQueue DeadLetters => throw Unused();

    public Task InitializeAsync(CancellationToken ct) => Task.CompletedTask;

    public Task<PublishResult> PublishAsync(IReadOnlyList<OutgoingMessage> messages, string? dedupKey, CancellationToken ct)
    {
        Interlocked.Increment(ref _publishCalls);
        return mode == Mode.Throws
            ? Task.FromException<PublishResult>(new QueueUnavailableException("connection refused"))
            : new TaskCompletionSource<PublishResult>(TaskCreationOptions.RunContinuationsAsynchronously).Task;
    }

    public Task<bool> PingAsync(CancellationToken ct) => Task.FromResult(false);
    public Task<QueueStats> GetStatsAsync(CancellationToken ct) => throw Unused();
    public Task<IReadOnlyList<Delivery>> FetchAsync(int max, TimeSpan wait, CancellationToken ct) => throw Unused();
    public Task AckAsync(Delivery delivery, CancellationToken ct) => throw Unused();
    public Task<NackOutcome> NackAsync(Delivery delivery, TimeSpan delay, string error, CancellationToken ct) => throw Unused();
    public Task DeadLetterAsync(Delivery delivery, string reason, string? lastError, CancellationToken ct) => throw Unused();
    public Task RenewLeaseAsync(Delivery delivery, CancellationToken ct) => throw Unused();
    public Task ReleaseAsync(Delivery delivery, CancellationToken ct) => throw Unused();
    public Task DeferAsync(Delivery delivery, TimeSpan delay, CancellationToken ct) => throw Unused();
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static InvalidOperationException Unused() => new("StubQueue only supports publishing");
}

/// <summary>Counts queued-record writes; the 503 tests prove nothing was recorded for a refused delivery.</summary>
public sealed class CountingExecutionStore : IExecutionStore
{
    private int _queuedWrites;
    public int QueuedWrites => _queuedWrites;

    public Task RecordQueuedAsync(IReadOnlyList<ExecutionRecord> records, CancellationToken ct)
    {
        Interlocked.Increment(ref _queuedWrites);
        return Task.CompletedTask;
    }

    public Task RecordRunningAsync(string id, int attempt, string worker, DateTimeOffset startedAt, CancellationToken ct) => Task.CompletedTask;
    public Task RecordSucceededAsync(string id, string? output, DateTimeOffset finishedAt, CancellationToken ct) => Task.CompletedTask;
    public Task RecordAttemptFailedAsync(string id, int attempt, string error, DateTimeOffset finishedAt, CancellationToken ct) => Task.CompletedTask;
    public Task RecordDeadLetteredAsync(string id, string reason, string? error, DateTimeOffset finishedAt, CancellationToken ct) => Task.CompletedTask;
    public Task RecordRequeuedAsync(string id, CancellationToken ct) => Task.CompletedTask;
    public Task<ExecutionRecord?> GetAsync(string id, CancellationToken ct) => Task.FromResult<ExecutionRecord?>(null);
    public Task RecordSuspendedAsync(string id, string status, string checkpoint, CancellationToken ct) => Task.CompletedTask;
    public Task<FlowCheckpointEntry?> GetCheckpointAsync(string id, CancellationToken ct) => Task.FromResult<FlowCheckpointEntry?>(null);
    public Task<bool> TryTransitionAsync(string id, string fromStatus, string toStatus, string? decision, CancellationToken ct) => Task.FromResult(false);
    public Task RecordRejectedAsync(string id, string? output, string reason, DateTimeOffset finishedAt, CancellationToken ct) => Task.CompletedTask;
}
