using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Aof.Core.Configuration;
using Aof.Core.Events;
using Aof.Core.Executions;
using Aof.Core.Executions.InMemory;
using Aof.Core.Queue;
using Aof.Core.Queue.InMemory;
using Aof.Core.Queue.Nats;
using Aof.Core.Queue.Redis;
using Aof.Core.RateLimits;
using Aof.Core.RateLimits.InMemory;
using Aof.Core.RateLimits.Nats;
using Aof.Core.RateLimits.Redis;
using Aof.Core.Resources;
using Aof.Runtime.Execution;
using Aof.Runtime.Flows;
using Aof.Runtime.Processing;
using Aof.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using static Aof.Tests.Runtime.RuntimeTestKit;

namespace Aof.Tests.RateLimits;

/// <summary>
/// The rate-limit test, with two workers (two <see cref="QueueProcessor"/>s, each with its own queue client and
/// limiter) sharing the limits through the broker: a noisy repository limited to 10 executions a minute does not
/// delay another repository, and none of its events is lost, failed or dead-lettered; they are deferred with their
/// attempt unchanged. Nothing here waits for a minute to pass: the assertions are what the first window shows.
/// </summary>
[Collection(RateLimitedProcessingCollection.Name)]
public abstract class RateLimitedProcessingTests : IAsyncLifetime
{
    private const int TestTimeoutMs = 150_000;
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(120);

    private const string Noisy = "myorg/noisy";
    private const string Quiet = "myorg/quiet";

    private readonly List<Worker> _workers = [];
    private readonly string _dir = Directory.CreateTempSubdirectory("aof-limited-").FullName;

    protected InMemoryExecutionStore Store { get; } = new(new ExecutionOptions());

    /// <summary>A queue client and a rate-limit store of one worker; every call shares state with the others of this test.</summary>
    protected abstract Task<(IMessageQueue Queue, IRateLimitStore Limits)> CreateWorkerBackendAsync(QueueOptions options);

    public Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        foreach (var w in _workers) await w.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static readonly AgentFlowResource Hello =
        Chain("hello", Node("say", "Transform", """{"template": "hello (attempt ${event.attempt})"}"""));

    protected static QueueOptions QueueOptionsForTest() => new()
    {
        Prefix = "t" + Guid.NewGuid().ToString("N")[..12],
        VisibilityTimeoutMs = 30_000,
        RetryDelayMs = 10,
        MaxRetryDelayMs = 50,
        MaxRetries = 3,
    };

    private async Task<Worker> StartWorkerAsync(string name, QueueOptions queueOptions, RateLimitOptions limits, ResourceCatalog catalog)
    {
        var (queue, store) = await CreateWorkerBackendAsync(queueOptions);
        var recording = new RecordingQueue(queue);
        var options = new AofOptions
        {
            Queue = queueOptions,
            Worker = new WorkerOptions { Concurrency = 4, Prefetch = 8, DrainTimeoutSecs = 10, Name = name },
            Runtime = new RuntimeOptions { TaskTimeoutSecs = 30, RateLimits = limits },
        };
        var limiter = new TenantRateLimiter(new RateLimitPolicy(limits), store, queueOptions.VisibilityTimeout);
        var executors = new TargetExecutorRegistry(
        [
            new FlowTargetExecutor(catalog, FlowExecutor.CreateDefault()),
            new UnsupportedTargetExecutor(TargetKind.Agent),
            new UnsupportedTargetExecutor(TargetKind.Fleet),
        ]);
        var processor = new QueueProcessor(recording, Store, executors, Microsoft.Extensions.Options.Options.Create(options),
            NullLogger<QueueProcessor>.Instance, limiter);
        var worker = new Worker(recording, limiter, processor);
        _workers.Add(worker);
        await processor.StartAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        return worker;
    }

    private static EventEnvelope EventFor(string repo, string flow = "hello")
    {
        var e = Envelope(flow);
        return new EventEnvelope
        {
            Id = Ulid.NewUlid(),
            Timestamp = e.Timestamp,
            Platform = e.Platform,
            Org = repo.Split('/')[0],
            Repo = repo,
            EventType = e.EventType,
            Action = e.Action,
            TriggerName = e.TriggerName,
            Target = e.Target,
            Payload = e.Payload,
            Metadata = e.Metadata,
        };
    }

    private static OutgoingMessage Message(EventEnvelope e) => new(e.Id, Priority.Normal, EnvelopeCodec.Serialize(e), 3);

    private async Task<int> CountAsync(IEnumerable<string> ids, string status)
    {
        var n = 0;
        foreach (var id in ids)
            if ((await Store.GetAsync(id, CancellationToken.None))?.Status == status) n++;
        return n;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, Func<Task<string>> what)
    {
        using var cts = new CancellationTokenSource(WaitLimit);
        while (!await condition())
        {
            try { await Task.Delay(50, cts.Token); }
            catch (OperationCanceledException) { throw new TimeoutException($"timed out waiting for {await what()}"); }
        }
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task A_repository_limited_to_10_a_minute_does_not_delay_another_and_loses_nothing()
    {
        var queueOptions = QueueOptionsForTest();
        var limits = new RateLimitOptions { Repositories = [new NamedRateLimit { Name = Noisy, ExecutionsPerMinute = 10 }] };
        var catalog = Catalog(Hello);

        // 1,000 events for the noisy repository and 100 for the quiet one, interleaved as they would arrive.
        var noisy = new List<string>();
        var quiet = new List<string>();
        var messages = new List<OutgoingMessage>();
        for (var i = 0; i < 1100; i++)
        {
            var e = EventFor(i % 11 == 10 ? Quiet : Noisy);
            (e.Repo == Quiet ? quiet : noisy).Add(e.Id);
            messages.Add(Message(e));
        }
        Assert.Equal((1000, 100), (noisy.Count, quiet.Count));

        var clock = Stopwatch.StartNew();
        var a = await StartWorkerAsync("worker-a", queueOptions, limits, catalog);
        var b = await StartWorkerAsync("worker-b", queueOptions, limits, catalog);
        foreach (var batch in messages.Chunk(100)) await a.Queue.PublishAsync(batch, null, CancellationToken.None);

        // Every quiet event runs while the noisy backlog waits; the noisy repository gets its 10 of the first window.
        await WaitUntilAsync(
            async () => await CountAsync(quiet, ExecutionStatus.Succeeded) == 100 && await CountAsync(noisy, ExecutionStatus.Succeeded) >= 10,
            async () => $"100 quiet and 10 noisy executions; saw {await CountAsync(quiet, ExecutionStatus.Succeeded)} and {await CountAsync(noisy, ExecutionStatus.Succeeded)}");
        // Until every noisy event was looked at once: each one either ran or has been deferred.
        await WaitUntilAsync(
            async () => a.Queue.DeferredIds.Union(b.Queue.DeferredIds).Count() + await CountAsync(noisy, ExecutionStatus.Succeeded) >= 1000,
            async () => $"every noisy event run or deferred; saw {a.Queue.DeferredIds.Union(b.Queue.DeferredIds).Count()} deferred, {await CountAsync(noisy, ExecutionStatus.Succeeded)} run");

        await a.Processor.StopAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        await b.Processor.StopAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        var elapsed = clock.Elapsed;

        // At most 10 starts in any minute (sliding): 10 per started minute of the test, exactly 10 in the first one.
        var noisyDone = await CountAsync(noisy, ExecutionStatus.Succeeded);
        var windows = (int)(elapsed.TotalSeconds / 60) + 1;
        Assert.InRange(noisyDone, 10, 10 * windows);

        // The quiet repository was never held back: not one of its events was deferred, each ran on attempt 1.
        var deferrals = a.Queue.Deferrals.Concat(b.Queue.Deferrals).ToList();
        Assert.DoesNotContain(deferrals, d => quiet.Contains(d.MessageId));
        foreach (var id in quiet) Assert.Equal(1, (await Store.GetAsync(id, CancellationToken.None))!.Attempts);

        // Deferred, not failed: attempt unchanged, no nack, no dead letter, no failed record; both workers deferred.
        Assert.All(deferrals, d => Assert.Equal(1, d.Attempt));
        Assert.True(a.Queue.Deferrals.Count > 0 && b.Queue.Deferrals.Count > 0, "both workers share the limit");
        Assert.Equal(0, a.Queue.Nacks + b.Queue.Nacks + a.Queue.DeadLetterCalls + b.Queue.DeadLetterCalls);
        Assert.Equal(0, await CountAsync(noisy, ExecutionStatus.Failed) + await CountAsync(noisy, ExecutionStatus.DeadLettered));

        // Nothing lost: every noisy event not run yet is still in the queue, waiting for its turn.
        var stats = await a.Queue.GetStatsAsync(CancellationToken.None);
        Assert.Equal(0, stats.DeadLettered);
        Assert.Equal(1000 - noisyDone, stats.Ready + stats.InFlight + stats.Delayed);
        if (elapsed < TimeSpan.FromSeconds(55))
        {
            // Still in the first window: exactly its 10 ran, and all 990 others wait as delayed (none ready or leased).
            Assert.Equal(10, noisyDone);
            Assert.Equal(990, stats.Delayed);
        }
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Max_concurrent_runs_one_at_a_time_across_workers_and_deferred_events_come_back_on_attempt_1()
    {
        var queueOptions = QueueOptionsForTest();
        const string serial = "myorg/serial";
        var limits = new RateLimitOptions
        {
            Repositories = [new NamedRateLimit { Name = serial, MaxConcurrent = 1 }],
            PerOrganization = new RateLimit { ExecutionsPerMinute = 1000 },
        };
        var slow = Chain("slow", Script("wait", "sleep 0.2; echo done-$AOF_ATTEMPT"));

        using var deferredMetric = new DeferredMetric();
        var a = await StartWorkerAsync("worker-a", queueOptions, limits, Catalog(slow));
        var b = await StartWorkerAsync("worker-b", queueOptions, limits, Catalog(slow));
        var events = Enumerable.Range(0, 8).Select(_ => EventFor(serial, "slow")).ToList();
        await a.Queue.PublishAsync(events.Select(Message).ToList(), null, CancellationToken.None);
        var ids = events.Select(e => e.Id).ToList();

        await WaitUntilAsync(async () => await CountAsync(ids, ExecutionStatus.Succeeded) == ids.Count,
            async () => $"8 serial executions; saw {await CountAsync(ids, ExecutionStatus.Succeeded)}");

        var records = new List<ExecutionRecord>();
        foreach (var id in ids) records.Add((await Store.GetAsync(id, CancellationToken.None))!);
        // Each came back from its deferrals with its attempt unchanged: all ran once, on attempt 1.
        Assert.All(records, r => Assert.Equal((1, "done-1"), (r.Attempts, r.Output?.Trim())));
        // One at a time across both workers: each started only after the one before it had finished.
        var ordered = records.OrderBy(r => r.StartedAt).ToList();
        for (var i = 1; i < ordered.Count; i++)
            Assert.True(ordered[i].StartedAt >= ordered[i - 1].FinishedAt, $"executions {i - 1} and {i} overlapped");

        var deferrals = a.Queue.Deferrals.Concat(b.Queue.Deferrals).ToList();
        Assert.NotEmpty(deferrals);
        Assert.All(deferrals, d => Assert.Equal(1, d.Attempt));
        Assert.True(deferredMetric.Count("concurrency_limit", RateLimitScope.Repository) >= deferrals.Count);
        // Slots are given back on completion (just after the record is written): nothing stays held, nothing queued.
        await WaitUntilAsync(() => Task.FromResult(a.Limiter.HeldPermits + b.Limiter.HeldPermits == 0),
            () => Task.FromResult($"all slots released; {a.Limiter.HeldPermits + b.Limiter.HeldPermits} held"));
        QueueStats? stats = null;
        await WaitUntilAsync(async () =>
        {
            stats = await a.Queue.GetStatsAsync(CancellationToken.None);
            return (stats.Ready, stats.InFlight, stats.Delayed) == (0, 0, 0);
        }, () => Task.FromResult($"an empty queue; last seen {stats}"));
        Assert.Equal(0, stats!.DeadLettered);
    }

    private sealed class Worker(RecordingQueue queue, TenantRateLimiter limiter, QueueProcessor processor) : IAsyncDisposable
    {
        public RecordingQueue Queue { get; } = queue;
        public TenantRateLimiter Limiter { get; } = limiter;
        public QueueProcessor Processor { get; } = processor;

        public async ValueTask DisposeAsync()
        {
            try
            {
                await Processor.StopAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
            }
            catch (Exception ex) when (ex is ObjectDisposedException or InvalidOperationException)
            {
                // Stopped already.
            }
            Processor.Dispose();
            await Limiter.DisposeAsync();
            await Queue.DisposeAsync();
        }
    }

    /// <summary>Counts aof.events.deferred measurements by reason and scope.</summary>
    private sealed class DeferredMetric : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentDictionary<(string?, string?), long> _counts = new();

        public DeferredMetric()
        {
            _listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == Aof.Core.Telemetry.AofTelemetry.MeterName && instrument.Name == "aof.events.deferred")
                    l.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                string? reason = null, scope = null;
                foreach (var t in tags)
                {
                    if (t.Key == "reason") reason = t.Value as string;
                    else if (t.Key == "scope") scope = t.Value as string;
                }
                _counts.AddOrUpdate((reason, scope), value, (_, v) => v + value);
            });
            _listener.Start();
        }

        public long Count(string reason, string scope) => _counts.GetValueOrDefault((reason, scope));

        public void Dispose() => _listener.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class RateLimitedProcessingCollection
{
    public const string Name = "rate limited processing";
}

/// <summary>Passes every call through and remembers deferrals (id, attempt), nacks and dead letters.</summary>
internal sealed class RecordingQueue(IMessageQueue inner) : IMessageQueue
{
    private int _nacks, _deadLetters;
    public ConcurrentQueue<(string MessageId, int Attempt)> Deferrals { get; } = new();
    public IEnumerable<string> DeferredIds => Deferrals.Select(d => d.MessageId).Distinct();
    public int Nacks => Volatile.Read(ref _nacks);
    public int DeadLetterCalls => Volatile.Read(ref _deadLetters);

    public string Backend => inner.Backend;
    public IDeadLetterQueue DeadLetters => inner.DeadLetters;
    public Task InitializeAsync(CancellationToken ct) => inner.InitializeAsync(ct);
    public Task<PublishResult> PublishAsync(IReadOnlyList<OutgoingMessage> messages, string? dedupKey, CancellationToken ct) => inner.PublishAsync(messages, dedupKey, ct);
    public Task<IReadOnlyList<Delivery>> FetchAsync(int max, TimeSpan wait, CancellationToken ct) => inner.FetchAsync(max, wait, ct);
    public Task AckAsync(Delivery delivery, CancellationToken ct) => inner.AckAsync(delivery, ct);

    public Task<NackOutcome> NackAsync(Delivery delivery, TimeSpan delay, string error, CancellationToken ct)
    {
        Interlocked.Increment(ref _nacks);
        return inner.NackAsync(delivery, delay, error, ct);
    }

    public Task DeferAsync(Delivery delivery, TimeSpan delay, CancellationToken ct)
    {
        Deferrals.Enqueue((delivery.MessageId, delivery.Attempt));
        return inner.DeferAsync(delivery, delay, ct);
    }

    public Task DeadLetterAsync(Delivery delivery, string reason, string? lastError, CancellationToken ct)
    {
        Interlocked.Increment(ref _deadLetters);
        return inner.DeadLetterAsync(delivery, reason, lastError, ct);
    }

    public Task RenewLeaseAsync(Delivery delivery, CancellationToken ct) => inner.RenewLeaseAsync(delivery, ct);
    public Task ReleaseAsync(Delivery delivery, CancellationToken ct) => inner.ReleaseAsync(delivery, ct);
    public Task<QueueStats> GetStatsAsync(CancellationToken ct) => inner.GetStatsAsync(ct);
    public Task<bool> PingAsync(CancellationToken ct) => inner.PingAsync(ct);
    public ValueTask DisposeAsync() => inner.DisposeAsync();
}

public sealed class InMemoryRateLimitedProcessingTests : RateLimitedProcessingTests
{
    private InMemoryMessageQueue? _queue;
    private readonly InMemoryRateLimitStore _limits = new();

    // Two processors in one process share the one in-memory queue and limit state.
    protected override Task<(IMessageQueue Queue, IRateLimitStore Limits)> CreateWorkerBackendAsync(QueueOptions options)
    {
        _queue ??= new InMemoryMessageQueue(options);
        return Task.FromResult<(IMessageQueue, IRateLimitStore)>((new SharedQueue(_queue), _limits));
    }

    /// <summary>The shared queue, not disposed by each worker.</summary>
    private sealed class SharedQueue(InMemoryMessageQueue inner) : IMessageQueue
    {
        public string Backend => inner.Backend;
        public IDeadLetterQueue DeadLetters => inner.DeadLetters;
        public Task InitializeAsync(CancellationToken ct) => inner.InitializeAsync(ct);
        public Task<PublishResult> PublishAsync(IReadOnlyList<OutgoingMessage> messages, string? dedupKey, CancellationToken ct) => inner.PublishAsync(messages, dedupKey, ct);
        public Task<IReadOnlyList<Delivery>> FetchAsync(int max, TimeSpan wait, CancellationToken ct) => inner.FetchAsync(max, wait, ct);
        public Task AckAsync(Delivery delivery, CancellationToken ct) => inner.AckAsync(delivery, ct);
        public Task<NackOutcome> NackAsync(Delivery delivery, TimeSpan delay, string error, CancellationToken ct) => inner.NackAsync(delivery, delay, error, ct);
        public Task DeferAsync(Delivery delivery, TimeSpan delay, CancellationToken ct) => inner.DeferAsync(delivery, delay, ct);
        public Task DeadLetterAsync(Delivery delivery, string reason, string? lastError, CancellationToken ct) => inner.DeadLetterAsync(delivery, reason, lastError, ct);
        public Task RenewLeaseAsync(Delivery delivery, CancellationToken ct) => inner.RenewLeaseAsync(delivery, ct);
        public Task ReleaseAsync(Delivery delivery, CancellationToken ct) => inner.ReleaseAsync(delivery, ct);
        public Task<QueueStats> GetStatsAsync(CancellationToken ct) => inner.GetStatsAsync(ct);
        public Task<bool> PingAsync(CancellationToken ct) => inner.PingAsync(ct);
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

public sealed class RedisRateLimitedProcessingTests(RedisServerFixture redis) : RateLimitedProcessingTests, IClassFixture<RedisServerFixture>
{
    private readonly List<StackExchange.Redis.ConnectionMultiplexer> _connections = [];
    private int _workers;

    // Each worker: its own connection, consumer name and limiter state client, on the same keys.
    protected override async Task<(IMessageQueue Queue, IRateLimitStore Limits)> CreateWorkerBackendAsync(QueueOptions options)
    {
        var connection = await redis.Server.ConnectAsync();
        _connections.Add(connection);
        var queue = new RedisMessageQueue(connection, options, $"worker-{++_workers}");
        return (queue, new RedisRateLimitStore(connection, options.Prefix));
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        foreach (var c in _connections) await c.DisposeAsync();
    }
}

public sealed class NatsRateLimitedProcessingTests(NatsServerFixture nats) : RateLimitedProcessingTests, IClassFixture<NatsServerFixture>
{
    private readonly List<NATS.Client.Core.NatsConnection> _connections = [];

    // Each worker: its own connection, on the same streams, consumers and bucket.
    protected override async Task<(IMessageQueue Queue, IRateLimitStore Limits)> CreateWorkerBackendAsync(QueueOptions options)
    {
        var connection = await nats.Server.ConnectAsync($"worker-{_connections.Count + 1}");
        _connections.Add(connection);
        return (new NatsMessageQueue(connection, options), new NatsRateLimitStore(connection, options.Prefix));
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        foreach (var c in _connections) await c.DisposeAsync();
    }
}
