using System.Diagnostics;
using System.Threading.Channels;
using Aof.Core.Configuration;
using Aof.Core.Events;
using Aof.Core.Executions;
using Aof.Core.Queue;
using Aof.Core.RateLimits;
using Aof.Core.Telemetry;
using Aof.Runtime.Execution;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Aof.Runtime.Processing;

/// <summary>
/// The worker loop. A fetch loop leases up to <see cref="WorkerOptions.Prefetch"/> messages ahead into a bounded
/// buffer; <see cref="WorkerOptions.Concurrency"/> consumers execute them. Per delivery: parse, record running,
/// execute within <see cref="RuntimeOptions.TaskTimeoutSecs"/>, then ack, retry with backoff (nack), or dead-letter.
/// On stop: fetching stops at once, buffered deliveries are released to other workers immediately, in-flight
/// executions get <see cref="WorkerOptions.DrainTimeoutSecs"/> to finish and are cancelled and released after that.
/// A delivery untouched since its publish (<see cref="Delivery.Untouched"/>) has its record written whole, and its
/// running record held back for <see cref="WorkerOptions.RunningRecordDelayMs"/>, so a short execution costs one write.
/// With tenant rate limits configured, a delivery is admitted by the <see cref="TenantRateLimiter"/> before it runs;
/// one that is refused is deferred (attempt unchanged) until its tenant has room again.
/// </summary>
public sealed partial class QueueProcessor : BackgroundService
{
    // How long one fetch may block waiting for messages; short enough that a stop never waits on it for long.
    private static readonly TimeSpan FetchWait = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan MaxFetchBackoff = TimeSpan.FromSeconds(30);

    /// <summary>Outcome tag of a delivery deferred by a suspended flow.</summary>
    public const string Deferred = "deferred";

    // A delivery the limiter could not decide on comes back after this long.
    private static readonly TimeSpan LimiterRetryDelay = TimeSpan.FromSeconds(1);
    private const string LimiterUnavailable = "limiter_unavailable";

    private readonly IMessageQueue _queue;
    private readonly IExecutionStore _store;
    private readonly TargetExecutorRegistry _executors;
    private readonly ILogger<QueueProcessor> _logger;
    private readonly AofOptions _options;
    private readonly RetryPolicy _retry;
    private readonly LeaseKeeper _leases;
    private readonly TimeSpan _runningRecordDelay;

    // Null when no limit is configured: the hot path then makes no extra call.
    private readonly TenantRateLimiter? _limiter;
    private readonly ProcessingTelemetry.Destinations _destinations;
    private readonly Channel<Delivery> _buffer;
    private readonly SemaphoreSlim _bufferSlots;
    private readonly int _prefetch;
    private readonly int _concurrency;

    // Cancels executions still running when the drain timeout is over.
    private readonly CancellationTokenSource _executions = new();

    // Cancels queue and store calls once the host's own shutdown deadline has passed.
    private readonly CancellationTokenSource _abort = new();

    private volatile bool _draining;
    private int _inFlight;

    public QueueProcessor(
        IMessageQueue queue,
        IExecutionStore store,
        TargetExecutorRegistry executors,
        IOptions<AofOptions> options,
        ILogger<QueueProcessor> logger,
        TenantRateLimiter? limiter = null)
    {
        _limiter = limiter is { Enabled: true } ? limiter : null;
        _queue = queue;
        _store = store;
        _executors = executors;
        _logger = logger;
        _options = options.Value;
        _prefetch = Math.Max(1, _options.Worker.Prefetch);
        _concurrency = Math.Max(1, _options.Worker.Concurrency);
        _retry = new RetryPolicy(_options.Queue);
        _destinations = new ProcessingTelemetry.Destinations(_options.Queue);
        _leases = new LeaseKeeper(queue, _options.Queue.VisibilityTimeout, logger);
        _runningRecordDelay = TimeSpan.FromMilliseconds(Math.Max(0, _options.Worker.RunningRecordDelayMs));
        _buffer = Channel.CreateBounded<Delivery>(new BoundedChannelOptions(_prefetch) { SingleWriter = true });
        _bufferSlots = new SemaphoreSlim(_prefetch);
        WorkerName = string.IsNullOrWhiteSpace(_options.Worker.Name)
            ? $"{Environment.MachineName}-{Environment.ProcessId}"
            : _options.Worker.Name;
    }

    /// <summary>Recorded on each execution as the worker that ran it.</summary>
    public string WorkerName { get; }

    /// <summary>Deliveries executing right now.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Deliveries leased and waiting in the buffer.</summary>
    public int Buffered => _buffer.Reader.Count;

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Consumers stop taking buffered work before the fetch loop even notices the stop.
        _draining = true;
        await using var abort = cancellationToken.Register(() => _abort.Cancel());
        await base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var leaseStop = new CancellationTokenSource();
        var leaseKeeper = _leases.RunAsync(leaseStop.Token);
        var consumers = Enumerable.Range(0, _concurrency).Select(_ => Task.Run(ConsumeAsync, CancellationToken.None)).ToArray();
        LogStarted(WorkerName, _queue.Backend, _concurrency, _prefetch);
        try
        {
            await FetchLoopAsync(stoppingToken);
        }
        finally
        {
            _draining = true;
            _buffer.Writer.TryComplete();
            await ReleaseBufferedAsync();
            await DrainAsync(consumers);
            await leaseStop.CancelAsync();
            await leaseKeeper;
            LogStopped(WorkerName);
        }
    }

    private async Task FetchLoopAsync(CancellationToken stoppingToken)
    {
        var initialized = false;
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!initialized)
                {
                    await _queue.InitializeAsync(stoppingToken);
                    initialized = true;
                }
                await FetchOnceAsync(stoppingToken);
                if (failures > 0) LogFetchRecovered(failures);
                failures = 0;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // Log the first failure in full and then only now and then, so a broker outage does not flood the log.
                failures++;
                if (failures == 1) LogFetchFailed(ex);
                else if (failures % 20 == 0) LogFetchStillFailing(failures, ex.Message);

                var ceiling = Math.Min(MaxFetchBackoff.TotalMilliseconds, 200 * Math.Pow(2, Math.Min(failures - 1, 20)));
                var delay = TimeSpan.FromMilliseconds(ceiling / 2 + Random.Shared.NextDouble() * ceiling / 2);
                try { await Task.Delay(delay, stoppingToken); }
                catch (OperationCanceledException) { break; }
            }
        }
    }

    /// <summary>Leases as many messages as the buffer has room for (waiting for room first) and buffers them.</summary>
    private async Task FetchOnceAsync(CancellationToken stoppingToken)
    {
        await _bufferSlots.WaitAsync(stoppingToken);
        var slots = 1;
        while (slots < _prefetch && _bufferSlots.Wait(0)) slots++;

        IReadOnlyList<Delivery> deliveries;
        try
        {
            deliveries = await _queue.FetchAsync(slots, FetchWait, stoppingToken);
        }
        catch
        {
            _bufferSlots.Release(slots);
            throw;
        }
        if (deliveries.Count < slots) _bufferSlots.Release(slots - deliveries.Count);

        foreach (var delivery in deliveries)
        {
            _leases.Track(delivery);
            if (!_buffer.Writer.TryWrite(delivery))
                await ReleaseAsync(delivery); // more than asked for; give the surplus back
        }
    }

    private async Task ConsumeAsync()
    {
        var reader = _buffer.Reader;
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            while (reader.TryRead(out var delivery))
            {
                _bufferSlots.Release();
                if (_draining)
                {
                    await ReleaseAsync(delivery);
                    continue;
                }
                Interlocked.Increment(ref _inFlight);
                try
                {
                    await ProcessAsync(delivery);
                }
                finally
                {
                    Interlocked.Decrement(ref _inFlight);
                    _leases.Forget(delivery);
                }
            }
        }
    }

    private async Task ReleaseBufferedAsync()
    {
        var released = new List<Task>();
        while (_buffer.Reader.TryRead(out var delivery))
        {
            _bufferSlots.Release();
            released.Add(ReleaseAsync(delivery));
        }
        await Task.WhenAll(released);
    }

    private async Task DrainAsync(Task[] consumers)
    {
        var all = Task.WhenAll(consumers);
        var limit = TimeSpan.FromSeconds(Math.Max(0, _options.Worker.DrainTimeoutSecs));
        try
        {
            await all.WaitAsync(limit, _abort.Token);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            LogDrainTimedOut(InFlight, limit.TotalSeconds);
            await _executions.CancelAsync();
            await all;
        }
    }

    /// <summary>Gives a delivery back unstarted (attempt unchanged) so another worker takes it at once.</summary>
    private async Task ReleaseAsync(Delivery delivery)
    {
        try
        {
            await _queue.ReleaseAsync(delivery, _abort.Token);
        }
        catch (Exception ex)
        {
            LogReleaseFailed(ex, delivery.MessageId);
        }
        finally
        {
            _leases.Forget(delivery);
        }
    }

    private async Task ProcessAsync(Delivery delivery)
    {
        var started = Stopwatch.GetTimestamp();
        EventEnvelope envelope;
        try
        {
            envelope = EnvelopeCodec.Parse(delivery.Body);
        }
        catch (EnvelopeFormatException ex)
        {
            // Nothing can make these bytes parse: no retry.
            LogUnparseable(delivery.MessageId, ex.Message);
            await SettleAsync(delivery, () => DeadLetterAsync(delivery, DeadLetterReasons.Unparseable, ex.Message, "unknown", started));
            return;
        }

        RateLimitPermit? permit = null;
        if (_limiter is { } limiter)
        {
            var admission = await AdmitAsync(limiter, delivery, envelope);
            if (!admission.Admitted) return;
            permit = admission.Permit;
        }
        try
        {
            await ExecuteAsync(delivery, envelope, started);
        }
        finally
        {
            if (permit is not null) await ReleasePermitAsync(_limiter!, permit);
        }
    }

    /// <summary>
    /// Asks the tenant limits whether this delivery may run now; if not, defers it (not a failure, attempt unchanged)
    /// and returns not admitted. When the limiter cannot answer (broker trouble) the delivery is deferred briefly too:
    /// running it unchecked would break the limit, failing it would spend a retry on our own outage.
    /// </summary>
    private async Task<RateLimitDecision> AdmitAsync(TenantRateLimiter limiter, Delivery delivery, EventEnvelope envelope)
    {
        RateLimitDecision decision;
        try
        {
            decision = await limiter.TryAdmitAsync(envelope, _abort.Token);
        }
        catch (Exception ex)
        {
            LogLimiterFailed(ex, delivery.MessageId);
            decision = new RateLimitDecision(false, null, LimiterRetryDelay, LimiterUnavailable, null);
        }
        if (decision.Admitted) return decision;

        await SettleAsync(delivery, () => _queue.DeferAsync(delivery, decision.Delay, _abort.Token));
        if (decision.Scope is { } scope)
        {
            AofTelemetry.Deferred.Add(1, new KeyValuePair<string, object?>("reason", decision.Reason), new KeyValuePair<string, object?>("scope", scope.Kind));
            LogDeferred(delivery.MessageId, decision.Reason!, scope.Key, decision.Delay.TotalMilliseconds);
        }
        else
        {
            AofTelemetry.Deferred.Add(1, new KeyValuePair<string, object?>("reason", decision.Reason));
        }
        return decision;
    }

    private async Task ReleasePermitAsync(TenantRateLimiter limiter, RateLimitPermit permit)
    {
        try
        {
            await limiter.ReleaseAsync(permit, _abort.Token);
        }
        catch (Exception ex)
        {
            // The slots expire on their own within the visibility timeout.
            LogPermitReleaseFailed(ex, permit.Holder);
        }
    }

    private async Task ExecuteAsync(Delivery delivery, EventEnvelope envelope, long started)
    {
        var targetKind = envelope.Target.KindWire;
        using var activity = ProcessingTelemetry.StartProcess(envelope, delivery, _queue.Backend, _destinations);
        var startedAt = DateTimeOffset.UtcNow;
        var untouched = UntouchedRecord(delivery, envelope, startedAt);
        // A flow that may suspend writes to its own record, which a later whole write would undo: its running record comes first.
        var holdRunning = untouched is not null && _runningRecordDelay > TimeSpan.Zero && !_executors.MaySuspend(envelope);

        // The running record is sent before the execution starts but awaited only before settling: the execution does
        // not need it, and the commands of one connection reach Redis in order, so it still lands before the final record.
        // An untouched delivery's is held back instead (HoldRunningRecordAsync); true once a running record is written.
        var running = holdRunning ? null : RecordRunningAsync(delivery, untouched, startedAt);

        var taskTimeout = TimeSpan.FromSeconds(Math.Max(1, _options.Runtime.TaskTimeoutSecs));
        using var execution = CancellationTokenSource.CreateLinkedTokenSource(_executions.Token);
        execution.CancelAfter(taskTimeout);
        try
        {
            // WaitAsync: an executor that ignores its token still cannot hold the delivery past the timeout.
            var request = new ExecutionRequest(envelope, delivery.Attempt, delivery.Body) { ExecutionId = delivery.MessageId, Worker = WorkerName };
            var executing = _executors.ExecuteAsync(request, execution.Token).WaitAsync(execution.Token);
            running ??= HoldRunningRecordAsync(executing, delivery, untouched!, startedAt);
            var result = await executing;
            var runningWritten = await running;
            if (result.DeferFor is { } delay)
            {
                // A suspended flow (Wait, Approval): its state is in the store; the message sleeps, no worker holds it.
                await SettleAsync(delivery, () => _queue.DeferAsync(delivery, delay, _abort.Token));
                activity?.SetTag("aof.outcome", Deferred);
                return;
            }
            await SettleAsync(delivery, () => SucceedAsync(delivery, envelope, result, runningWritten ? null : untouched, started));
            activity?.SetTag("aof.outcome", result.Rejected is null ? ProcessingTelemetry.Succeeded : ExecutionStatus.Rejected);
        }
        catch (PermanentExecutionException ex)
        {
            LogPermanentFailure(delivery.MessageId, envelope.Target.ToString(), ex.Reason, ex.Message);
            ProcessingTelemetry.Fail(activity, ex, ProcessingTelemetry.DeadLettered);
            await EnsureRunningRecordAsync(running, delivery, untouched, startedAt);
            await SettleAsync(delivery, () => DeadLetterAsync(delivery, ex.Reason, ex.Message, targetKind, started));
        }
        catch (OperationCanceledException) when (_executions.IsCancellationRequested)
        {
            // Drain timeout: the execution was cut short by our own shutdown, not by the message. Give it back as it was.
            activity?.SetTag("aof.outcome", "released");
            if (running is not null) await running;
            await ReleaseAsync(delivery);
        }
        catch (Exception ex)
        {
            var error = ex is OperationCanceledException && execution.IsCancellationRequested
                ? $"timed out after {taskTimeout.TotalSeconds:0}s (runtime.task_timeout_secs)"
                : ex.Message;
            await EnsureRunningRecordAsync(running, delivery, untouched, startedAt);
            await SettleAsync(delivery, () => RetryAsync(delivery, envelope, error, activity, ex, started));
        }
    }

    /// <summary>
    /// The record of a delivery untouched since its publish, as running; null for any other delivery. The record is
    /// keyed by the message id, which the envelope repeats for every message the gateway publishes.
    /// </summary>
    private ExecutionRecord? UntouchedRecord(Delivery delivery, EventEnvelope envelope, DateTimeOffset startedAt)
    {
        if (!delivery.Untouched || envelope.Id != delivery.MessageId) return null;
        var record = ExecutionRecord.QueuedFor(envelope);
        record.Status = ExecutionStatus.Running;
        record.Attempts = delivery.Attempt;
        record.Worker = WorkerName;
        record.StartedAt = startedAt;
        return record;
    }

    /// <summary>Writes the running record now: whole when the delivery is untouched, else as an update. Always true.</summary>
    private async Task<bool> RecordRunningAsync(Delivery delivery, ExecutionRecord? untouched, DateTimeOffset startedAt)
    {
        await RecordAsync(() => untouched is not null
            ? _store.RecordUntouchedAsync(untouched, _abort.Token)
            : _store.RecordRunningAsync(delivery.MessageId, delivery.Attempt, WorkerName, startedAt, _abort.Token));
        return true;
    }

    /// <summary>
    /// An untouched delivery's running record waits for <see cref="WorkerOptions.RunningRecordDelayMs"/>: an execution
    /// that ends within it gets its record in one write, with the outcome. True when a running record was written.
    /// </summary>
    private async Task<bool> HoldRunningRecordAsync(Task executing, Delivery delivery, ExecutionRecord untouched, DateTimeOffset startedAt)
    {
        if (!executing.IsCompleted)
            await executing.WaitAsync(_runningRecordDelay).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (executing.IsCompleted) return false;
        return await RecordRunningAsync(delivery, untouched, startedAt);
    }

    /// <summary>Before a failure is recorded: the running record it builds on (attempt, worker, start), if it was held back.</summary>
    private async Task EnsureRunningRecordAsync(Task<bool>? running, Delivery delivery, ExecutionRecord? untouched, DateTimeOffset startedAt)
    {
        if (running is null || !await running)
            await RecordRunningAsync(delivery, untouched, startedAt);
    }

    /// <param name="untouched">The running record when it was held back: the outcome is then written whole in one write.</param>
    private async Task SucceedAsync(Delivery delivery, EventEnvelope envelope, ExecutionResult result, ExecutionRecord? untouched, long started)
    {
        // Ack and record are pipelined (sent together, one round trip). Should the ack fail, the message is redelivered
        // after its lease and runs again, which rewrites the record as running and then succeeded: at-least-once holds.
        var ack = _queue.AckAsync(delivery, _abort.Token);
        var recorded = RecordAsync(() => RecordOutcomeAsync(delivery, result, untouched));
        try
        {
            await ack;
        }
        finally
        {
            await recorded;
        }
        ProcessingTelemetry.Record(ProcessingTelemetry.Succeeded, envelope.Target.KindWire, Stopwatch.GetElapsedTime(started));
        ProcessingTelemetry.RecordEndToEnd(delivery, envelope.Target.KindWire);
        LogSucceeded(delivery.MessageId, envelope.Target, delivery.Attempt);
    }

    private Task RecordOutcomeAsync(Delivery delivery, ExecutionResult result, ExecutionRecord? untouched)
    {
        var finishedAt = DateTimeOffset.UtcNow;
        if (untouched is not null)
        {
            untouched.Status = result.Rejected is null ? ExecutionStatus.Succeeded : ExecutionStatus.Rejected;
            untouched.Output = result.Output;
            untouched.Error = result.Rejected;
            untouched.FinishedAt = finishedAt;
            return _store.RecordUntouchedAsync(untouched, _abort.Token);
        }
        return result.Rejected is { } reason
            ? _store.RecordRejectedAsync(delivery.MessageId, result.Output, reason, finishedAt, _abort.Token)
            : _store.RecordSucceededAsync(delivery.MessageId, result.Output, finishedAt, _abort.Token);
    }

    private async Task DeadLetterAsync(Delivery delivery, string reason, string error, string targetKind, long started)
    {
        await _queue.DeadLetterAsync(delivery, reason, error, _abort.Token);
        await RecordAsync(() => _store.RecordDeadLetteredAsync(delivery.MessageId, reason, error, DateTimeOffset.UtcNow, _abort.Token));
        ProcessingTelemetry.Record(ProcessingTelemetry.DeadLettered, targetKind, Stopwatch.GetElapsedTime(started), reason);
    }

    private async Task RetryAsync(Delivery delivery, EventEnvelope envelope, string error, Activity? activity, Exception ex, long started)
    {
        var targetKind = envelope.Target.KindWire;
        var lastAttempt = delivery.Attempt > delivery.MaxRetries;

        // Record before nacking: once nacked, another worker may pick the message up and mark it running,
        // and a late "failed" for the old attempt must not overwrite that.
        if (!lastAttempt)
            await RecordAsync(() => _store.RecordAttemptFailedAsync(delivery.MessageId, delivery.Attempt, error, DateTimeOffset.UtcNow, _abort.Token));

        var delay = _retry.NextDelay(delivery.Attempt);
        var outcome = await _queue.NackAsync(delivery, delay, error, _abort.Token);
        if (outcome == NackOutcome.DeadLettered)
        {
            LogRetriesExhausted(delivery.MessageId, envelope.Target.ToString(), delivery.Attempt, error);
            ProcessingTelemetry.Fail(activity, ex, ProcessingTelemetry.DeadLettered);
            await RecordAsync(() => _store.RecordDeadLetteredAsync(delivery.MessageId, DeadLetterReasons.MaxRetriesExceeded, error, DateTimeOffset.UtcNow, _abort.Token));
            ProcessingTelemetry.Record(ProcessingTelemetry.DeadLettered, targetKind, Stopwatch.GetElapsedTime(started), DeadLetterReasons.MaxRetriesExceeded);
            return;
        }

        if (lastAttempt)
            await RecordAsync(() => _store.RecordAttemptFailedAsync(delivery.MessageId, delivery.Attempt, error, DateTimeOffset.UtcNow, _abort.Token));
        LogRetrying(delivery.MessageId, envelope.Target.ToString(), delivery.Attempt, delay.TotalMilliseconds, error);
        ProcessingTelemetry.Fail(activity, ex, ProcessingTelemetry.Retried);
        ProcessingTelemetry.Record(ProcessingTelemetry.Retried, targetKind, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>
    /// Runs the ack / nack / dead-letter step. If the broker fails here the message stays leased and is
    /// redelivered after the visibility timeout (at-least-once), so logging is all that is left to do.
    /// </summary>
    private async Task SettleAsync(Delivery delivery, Func<Task> settle)
    {
        try
        {
            await settle();
        }
        catch (Exception ex)
        {
            LogSettleFailed(ex, delivery.MessageId);
        }
    }

    /// <summary>Execution records are bookkeeping: a store failure is logged and never changes what happens to the message.</summary>
    private async Task RecordAsync(Func<Task> write)
    {
        try
        {
            await write();
        }
        catch (Exception ex)
        {
            LogRecordFailed(ex);
        }
    }

    public override void Dispose()
    {
        base.Dispose();
        _executions.Dispose();
        _abort.Dispose();
        _bufferSlots.Dispose();
    }

    [LoggerMessage(LogLevel.Information, "Worker {Worker} consuming from {Backend} queue (concurrency {Concurrency}, prefetch {Prefetch})")]
    private partial void LogStarted(string worker, string backend, int concurrency, int prefetch);

    [LoggerMessage(LogLevel.Information, "Worker {Worker} stopped")]
    private partial void LogStopped(string worker);

    [LoggerMessage(LogLevel.Error, "Fetching from the queue failed; retrying with backoff")]
    private partial void LogFetchFailed(Exception ex);

    [LoggerMessage(LogLevel.Warning, "Fetching from the queue still failing after {Failures} attempts: {Error}")]
    private partial void LogFetchStillFailing(int failures, string error);

    [LoggerMessage(LogLevel.Information, "Fetching from the queue works again after {Failures} failed attempts")]
    private partial void LogFetchRecovered(int failures);

    [LoggerMessage(LogLevel.Warning, "Drain timeout of {Seconds}s reached; cancelling {InFlight} execution(s) and releasing them")]
    private partial void LogDrainTimedOut(int inFlight, double seconds);

    [LoggerMessage(LogLevel.Warning, "Could not release message {MessageId}; it is redelivered when its lease expires")]
    private partial void LogReleaseFailed(Exception ex, string messageId);

    [LoggerMessage(LogLevel.Error, "Message {MessageId} is not a valid envelope, dead-lettered: {Error}")]
    private partial void LogUnparseable(string messageId, string error);

    // The target is passed as is: it is formatted only when Debug is on, not once per message.
    [LoggerMessage(LogLevel.Debug, "Message {MessageId} for {Target} succeeded on attempt {Attempt}")]
    private partial void LogSucceeded(string messageId, EventTarget target, int attempt);

    [LoggerMessage(LogLevel.Error, "Message {MessageId} for {Target} failed permanently ({Reason}), dead-lettered: {Error}")]
    private partial void LogPermanentFailure(string messageId, string target, string reason, string error);

    [LoggerMessage(LogLevel.Warning, "Message {MessageId} for {Target} failed on attempt {Attempt}; retrying in {DelayMs:0} ms: {Error}")]
    private partial void LogRetrying(string messageId, string target, int attempt, double delayMs, string error);

    [LoggerMessage(LogLevel.Error, "Message {MessageId} for {Target} failed on attempt {Attempt}, retries exhausted, dead-lettered: {Error}")]
    private partial void LogRetriesExhausted(string messageId, string target, int attempt, string error);

    [LoggerMessage(LogLevel.Error, "Could not settle message {MessageId}; it is redelivered when its lease expires")]
    private partial void LogSettleFailed(Exception ex, string messageId);

    [LoggerMessage(LogLevel.Debug, "Message {MessageId} deferred by {Reason} of {Scope} for {DelayMs:0} ms")]
    private partial void LogDeferred(string messageId, string reason, string scope, double delayMs);

    [LoggerMessage(LogLevel.Warning, "Rate limits could not be checked for message {MessageId}; deferring it briefly")]
    private partial void LogLimiterFailed(Exception ex, string messageId);

    [LoggerMessage(LogLevel.Warning, "Could not free the rate-limit slots of execution {Holder}; they expire on their own")]
    private partial void LogPermitReleaseFailed(Exception ex, string holder);

    [LoggerMessage(LogLevel.Warning, "Could not write the execution record")]
    private partial void LogRecordFailed(Exception ex);
}
