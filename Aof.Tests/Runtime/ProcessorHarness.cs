using System.Text;
using Aof.Core.Configuration;
using Aof.Core.Events;
using Aof.Core.Executions;
using Aof.Core.Executions.InMemory;
using Aof.Core.Queue;
using Aof.Core.Queue.InMemory;
using Aof.Core.RateLimits;
using Aof.Core.Resources;
using Aof.Runtime.Execution;
using Aof.Runtime.Flows;
using Aof.Runtime.Processing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Aof.Tests.Runtime;

/// <summary>A QueueProcessor over the in-memory queue and store, with helpers to publish and to wait (always bounded).</summary>
internal sealed class ProcessorHarness : IAsyncDisposable
{
    public static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(30);

    /// <param name="extraExecutors">Extra executors (agents, fleets); real ones take over from the unsupported placeholders.</param>
    public ProcessorHarness(AofOptions options, ResourceCatalog catalog, Func<IMessageQueue, IMessageQueue>? wrapQueue = null,
        TenantRateLimiter? limiter = null, IEnumerable<ITargetExecutor>? extraExecutors = null)
    {
        Options = options;
        Memory = new InMemoryMessageQueue(options.Queue);
        Queue = wrapQueue?.Invoke(Memory) ?? Memory;
        Store = new InMemoryExecutionStore(options.Executions);
        var executors = new TargetExecutorRegistry(
        [
            new FlowTargetExecutor(catalog, FlowExecutor.CreateDefault()),
            new UnsupportedTargetExecutor(TargetKind.Agent),
            new UnsupportedTargetExecutor(TargetKind.Fleet),
            .. extraExecutors ?? [],
        ]);
        Processor = new QueueProcessor(Queue, Store, executors, Microsoft.Extensions.Options.Options.Create(options), NullLogger<QueueProcessor>.Instance, limiter);
    }

    public static AofOptions DefaultOptions() => new()
    {
        Queue = new QueueOptions { RetryDelayMs = 10, MaxRetryDelayMs = 50, MaxRetries = 3 },
        Worker = new WorkerOptions { Concurrency = 2, Prefetch = 4, DrainTimeoutSecs = 10, Name = "test-worker" },
        Runtime = new RuntimeOptions { TaskTimeoutSecs = 20 },
    };

    public AofOptions Options { get; }
    public InMemoryMessageQueue Memory { get; }
    public IMessageQueue Queue { get; }
    public InMemoryExecutionStore Store { get; }
    public QueueProcessor Processor { get; }
    private bool _started;
    private bool _stopped;

    public async Task StartAsync()
    {
        _started = true;
        await Processor.StartAsync(CancellationToken.None).WaitAsync(WaitLimit);
    }

    public async Task StopAsync()
    {
        _stopped = true;
        await Processor.StopAsync(CancellationToken.None).WaitAsync(WaitLimit);
    }

    public async Task<string> PublishAsync(EventEnvelope envelope, int maxRetries = 3, Priority priority = Priority.Normal)
    {
        await Queue.PublishAsync([new OutgoingMessage(envelope.Id, priority, EnvelopeCodec.Serialize(envelope), maxRetries)], null, CancellationToken.None);
        return envelope.Id;
    }

    public async Task<string> PublishRawAsync(string body, int maxRetries = 3)
    {
        var id = Ulid.NewUlid();
        await Queue.PublishAsync([new OutgoingMessage(id, Priority.Normal, Encoding.UTF8.GetBytes(body), maxRetries)], null, CancellationToken.None);
        return id;
    }

    public async Task<ExecutionRecord> WaitForStatusAsync(string id, string status)
    {
        ExecutionRecord? last = null;
        await WaitUntilAsync(async () =>
        {
            last = await Store.GetAsync(id, CancellationToken.None);
            return last?.Status == status;
        }, () => $"record {id} to be {status}; last seen {last?.Status ?? "none"} ({last?.Error})");
        return last!;
    }

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, Func<string> what)
    {
        using var cts = new CancellationTokenSource(WaitLimit);
        while (!await condition())
        {
            try { await Task.Delay(20, cts.Token); }
            catch (OperationCanceledException) { throw new TimeoutException($"timed out waiting for {what()}"); }
        }
    }

    public Task<QueueStats> StatsAsync() => Queue.GetStatsAsync(CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        if (_started && !_stopped) await StopAsync();
        Processor.Dispose();
        await Memory.DisposeAsync();
    }
}

/// <summary>A queue whose first fetches fail, as when the broker is down at start.</summary>
internal sealed class FlakyFetchQueue(IMessageQueue inner, int failures) : IMessageQueue
{
    private int _attempts;

    public int FailedFetches => Math.Min(failures, Volatile.Read(ref _attempts));
    public string Backend => inner.Backend;
    public IDeadLetterQueue DeadLetters => inner.DeadLetters;
    public Task InitializeAsync(CancellationToken ct) => inner.InitializeAsync(ct);
    public Task<PublishResult> PublishAsync(IReadOnlyList<OutgoingMessage> messages, string? dedupKey, CancellationToken ct) => inner.PublishAsync(messages, dedupKey, ct);

    public Task<IReadOnlyList<Delivery>> FetchAsync(int max, TimeSpan wait, CancellationToken ct) =>
        Interlocked.Increment(ref _attempts) <= failures
            ? throw new QueueUnavailableException("broker unreachable (simulated)")
            : inner.FetchAsync(max, wait, ct);

    public Task AckAsync(Delivery delivery, CancellationToken ct) => inner.AckAsync(delivery, ct);
    public Task<NackOutcome> NackAsync(Delivery delivery, TimeSpan delay, string error, CancellationToken ct) => inner.NackAsync(delivery, delay, error, ct);
    public Task DeadLetterAsync(Delivery delivery, string reason, string? lastError, CancellationToken ct) => inner.DeadLetterAsync(delivery, reason, lastError, ct);
    public Task RenewLeaseAsync(Delivery delivery, CancellationToken ct) => inner.RenewLeaseAsync(delivery, ct);
    public Task ReleaseAsync(Delivery delivery, CancellationToken ct) => inner.ReleaseAsync(delivery, ct);
    public Task DeferAsync(Delivery delivery, TimeSpan delay, CancellationToken ct) => inner.DeferAsync(delivery, delay, ct);
    public Task<QueueStats> GetStatsAsync(CancellationToken ct) => inner.GetStatsAsync(ct);
    public Task<bool> PingAsync(CancellationToken ct) => inner.PingAsync(ct);
    public ValueTask DisposeAsync() => inner.DisposeAsync();
}

/// <summary>A queue whose first acks fail after the command was sent, as when the broker drops the connection then.</summary>
internal sealed class FlakyAckQueue(IMessageQueue inner, int failures) : IMessageQueue
{
    private int _acks;

    public int FailedAcks => Math.Min(failures, Volatile.Read(ref _acks));
    public string Backend => inner.Backend;
    public IDeadLetterQueue DeadLetters => inner.DeadLetters;
    public Task InitializeAsync(CancellationToken ct) => inner.InitializeAsync(ct);
    public Task<PublishResult> PublishAsync(IReadOnlyList<OutgoingMessage> messages, string? dedupKey, CancellationToken ct) => inner.PublishAsync(messages, dedupKey, ct);
    public Task<IReadOnlyList<Delivery>> FetchAsync(int max, TimeSpan wait, CancellationToken ct) => inner.FetchAsync(max, wait, ct);

    public Task AckAsync(Delivery delivery, CancellationToken ct) =>
        Interlocked.Increment(ref _acks) <= failures
            ? Task.FromException(new QueueUnavailableException("connection lost during ack (simulated)"))
            : inner.AckAsync(delivery, ct);

    public Task<NackOutcome> NackAsync(Delivery delivery, TimeSpan delay, string error, CancellationToken ct) => inner.NackAsync(delivery, delay, error, ct);
    public Task DeadLetterAsync(Delivery delivery, string reason, string? lastError, CancellationToken ct) => inner.DeadLetterAsync(delivery, reason, lastError, ct);
    public Task RenewLeaseAsync(Delivery delivery, CancellationToken ct) => inner.RenewLeaseAsync(delivery, ct);
    public Task ReleaseAsync(Delivery delivery, CancellationToken ct) => inner.ReleaseAsync(delivery, ct);
    public Task DeferAsync(Delivery delivery, TimeSpan delay, CancellationToken ct) => inner.DeferAsync(delivery, delay, ct);
    public Task<QueueStats> GetStatsAsync(CancellationToken ct) => inner.GetStatsAsync(ct);
    public Task<bool> PingAsync(CancellationToken ct) => inner.PingAsync(ct);
    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
