using System.Collections.Concurrent;
using Aof.Core.Events;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace Aof.Core.Queue.Nats;

/// <summary>
/// The queue contract on NATS JetStream (<see cref="NatsNames"/> lists every name):
/// <list type="bullet">
/// <item>one work-queue stream with a subject per lane, file storage, duplicate window = the dedup window;</item>
/// <item>one durable pull consumer per lane shared by every worker; AckWait is the lease, MaxDeliver unlimited
/// (we count attempts and dead-letter ourselves); a fetch takes from the lanes by the <see cref="PriorityScheduler"/>;</item>
/// <item>attempt = the <c>Aof-Attempt</c> header (1 unless the message is a released copy) + NumDelivered - 1, so nacks
/// (NAK with delay) and expired leases count, and a release, which publishes a copy carrying the attempt and acks
/// the original, does not;</item>
/// <item>defer = a copy carrying the attempt, its lane and due time goes to the <c>{prefix}-deferred</c> stream and the
/// original is acked (a NAK would count as a delivery); fetches move due copies back onto their lanes
/// (<see cref="PromoteDeferredAsync"/>), NAK-delaying the ones not due yet;</item>
/// <item>renew = in-progress ack (+WPI); ack, nak, term and renew are double acks, confirmed by the server;</item>
/// <item>dead letters go to their own stream, one subject per message id (<see cref="NatsDeadLetterQueue"/>);</item>
/// <item>dedup is JetStream's own: <c>Nats-Msg-Id</c> = the dedup key and the message's position, within the stream's
/// duplicate window (= the dedup window); a duplicate is answered with the caller's ids, which name the delivery
/// (<see cref="Events.MessageIds"/>).</item>
/// </list>
/// The connection is not owned: it comes from the container and reconnects on its own. While it is down every
/// call fails fast with <see cref="QueueUnavailableException"/>, and the first call after it is back provisions
/// the streams if that had not happened yet.
/// </summary>
public sealed class NatsMessageQueue : IMessageQueue
{
    private static readonly TimeSpan FirstPollDelay = TimeSpan.FromMilliseconds(2);
    private static readonly TimeSpan MaxPollDelay = TimeSpan.FromMilliseconds(50);
    private const string LeaseExpiredError = "lease expired without ack";
    private const int PromoteBatch = 256;
    private static readonly TimeSpan PromoteInterval = TimeSpan.FromMilliseconds(100);
    // A promotion's publish + ack pair is not cut in half by a fetch being cancelled (shutdown).
    private static readonly TimeSpan PromoteOneTimeout = TimeSpan.FromSeconds(5);

    // Header bytes besides the headers themselves: "NATS/1.0\r\n" and the closing "\r\n".
    private const int HeaderFraming = 12;

    private static readonly AckOpts Confirmed = new() { DoubleAck = true };

    private readonly INatsConnection _connection;
    private readonly INatsJSContext _js;
    private readonly QueueOptions _options;
    private readonly NatsNames _names;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly PriorityScheduler _scheduler = new();
    private readonly NatsProvisioner _provisioner;
    private readonly NatsDeadLetterQueue _deadLetters;
    private readonly SemaphoreSlim _provisionLock = new(1, 1);
    private readonly Lock _connectLock = new();

    // NAK delays this instance requested and that are not due yet, by stream sequence (see GetStatsAsync).
    private readonly ConcurrentDictionary<ulong, DelayedNak> _delayed = new();

    // Due deferred messages are promoted at most every PromoteInterval per instance, one fetch at a time.
    private long _nextPromoteTicks;
    private int _promoting;

    private volatile Provisioned? _ready;
    private Task? _connecting;

    public NatsMessageQueue(INatsConnection connection, QueueOptions options, TimeProvider? timeProvider = null,
        ILogger<NatsMessageQueue>? logger = null)
    {
        _connection = connection;
        _options = options;
        _names = new NatsNames(options.Prefix, options.ConsumerGroup);
        _time = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _js = new NatsJSContext(connection);
        _provisioner = new NatsProvisioner(connection, _js, _names, options);
        _deadLetters = new NatsDeadLetterQueue(this, _js, _names, _time);
    }

    public string Backend => "nats";

    public NatsNames Names => _names;

    public IDeadLetterQueue DeadLetters => _deadLetters;

    /// <summary>How long <see cref="InitializeAsync"/> waits for a connection that is still being made.</summary>
    public TimeSpan InitialConnectWait { get; init; } = TimeSpan.FromSeconds(3);

    public async Task InitializeAsync(CancellationToken ct) => await ReadyAsync(InitialConnectWait, ct).ConfigureAwait(false);

    // ---- connection and provisioning ----

    internal async Task<Provisioned> ReadyAsync(TimeSpan connectWait, CancellationToken ct)
    {
        if (_ready is { } ready && _connection.ConnectionState == NatsConnectionState.Open) return ready;
        await EnsureConnectedAsync(connectWait, ct).ConfigureAwait(false);
        if (_ready is { } again) return again;

        await _provisionLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_ready is { } raced) return raced;
            var (consumers, deferred) = await _provisioner.EnsureAsync(ct).ConfigureAwait(false);
            var dlq = await _js.GetStreamAsync(_names.DeadLetterStream, cancellationToken: ct).ConfigureAwait(false);
            var provisioned = new Provisioned(consumers, deferred, dlq);
            _ready = provisioned;
            return provisioned;
        }
        catch (Exception ex) when (NatsFailures.IsUnavailable(ex, ct))
        {
            throw NatsFailures.Unavailable("initialize", ex);
        }
        finally
        {
            _provisionLock.Release();
        }
    }

    /// <summary>Fails fast while disconnected (after kicking off a connect), so callers answer 503 instead of hanging.</summary>
    private async Task EnsureConnectedAsync(TimeSpan wait, CancellationToken ct)
    {
        if (_connection.ConnectionState == NatsConnectionState.Open) return;
        var connecting = StartConnecting();
        if (wait > TimeSpan.Zero)
        {
            try
            {
                await connecting.WaitAsync(wait, _time, ct).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Still connecting: reported below.
            }
        }
        if (_connection.ConnectionState != NatsConnectionState.Open)
            throw new QueueUnavailableException($"nats is not connected ({_connection.Opts.Url}, {_connection.ConnectionState})");
    }

    private Task StartConnecting()
    {
        lock (_connectLock)
        {
            if (_connecting is { IsCompleted: false } running) return running;
            // With RetryOnInitialConnect the client keeps trying until the server is there; without it a failed
            // attempt ends this task and the next call starts another.
            _connecting = Task.Run(async () =>
            {
                try
                {
                    await _connection.ConnectAsync().ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    _logger.LogDebug(ex, "Connecting to NATS at {Url} failed", _connection.Opts.Url);
                }
            });
            return _connecting;
        }
    }

    /// <summary>The streams or consumers vanished (deleted by hand): provision again on the next call.</summary>
    private void Forget(Exception ex)
    {
        if (ex is NatsJSApiException { Error.Code: 404 })
        {
            _logger.LogWarning("NATS stream or consumer of {Prefix} was missing; provisioning again", _names.Prefix);
            _ready = null;
        }
    }

    // ---- publish ----

    public async Task<PublishResult> PublishAsync(IReadOnlyList<OutgoingMessage> messages, string? dedupKey, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ct.ThrowIfCancellationRequested();
        var ids = new string[messages.Count];
        for (var i = 0; i < ids.Length; i++) ids[i] = messages[i].Id;
        if (messages.Count == 0 && dedupKey is null) return new PublishResult(false, ids);

        var enqueuedAt = NatsHeaderNames.Number(_time.GetUtcNow().ToUnixTimeMilliseconds());
        var msgIdBase = dedupKey is null ? null : NatsNames.Token(dedupKey);
        var headers = new NatsHeaders[messages.Count];
        for (var i = 0; i < messages.Count; i++)
        {
            headers[i] = LaneHeaders(messages[i].Id, messages[i].MaxRetries, enqueuedAt, copyAttempt: null);
            if (msgIdBase is not null) headers[i][NatsHeaderNames.NatsMsgId] = $"{msgIdBase}:{i}";
            // Before anything is sent: the server would close the connection on an oversized message.
            ThrowIfTooLarge(messages[i], headers[i]);
        }

        await ReadyAsync(TimeSpan.Zero, ct).ConfigureAwait(false);
        bool[] duplicates;
        try
        {
            duplicates = await PublishAllAsync(messages, headers, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (NatsFailures.IsUnavailable(ex, ct))
        {
            throw NatsFailures.Unavailable("publish", ex);
        }

        // JetStream answers a message whose Nats-Msg-Id it saw within the duplicate window (= the dedup window) with
        // "duplicate" and stores nothing; it does not keep our ids, so a duplicate is answered with the caller's, which
        // name the delivery (MessageIds). A delivery only partly stored before (its publish failed halfway and was
        // retried) is now complete: it is accepted, not a duplicate.
        var allDuplicates = msgIdBase is not null && messages.Count > 0 && Array.TrueForAll(duplicates, d => d);
        return new PublishResult(allDuplicates, ids, FirstIdsKnown: !allDuplicates);
    }

    /// <summary>Publishes every message; per message, true when JetStream reported it as a duplicate.</summary>
    private async Task<bool[]> PublishAllAsync(IReadOnlyList<OutgoingMessage> messages, NatsHeaders[] headers, CancellationToken ct)
    {
        var publishes = new Task<bool>[messages.Count];
        for (var i = 0; i < messages.Count; i++)
            publishes[i] = PublishNewAsync(messages[i].Priority, messages[i].Body, headers[i], ct);
        return await Task.WhenAll(publishes).ConfigureAwait(false);
    }

    /// <summary>Publishes a new message; true when JetStream already had one with this Nats-Msg-Id (nothing stored).</summary>
    private async Task<bool> PublishNewAsync(Priority lane, ReadOnlyMemory<byte> body, NatsHeaders headers, CancellationToken ct)
    {
        var ack = await _js.PublishAsync(_names.LaneSubject(lane), body, headers: headers, cancellationToken: ct).ConfigureAwait(false);
        if (ack.Duplicate) return true;
        ack.EnsureSuccess();
        return false;
    }

    internal async Task PublishToLaneAsync(Priority lane, ReadOnlyMemory<byte> body, NatsHeaders headers, CancellationToken ct)
    {
        var ack = await _js.PublishAsync(_names.LaneSubject(lane), body, headers: headers, cancellationToken: ct).ConfigureAwait(false);
        ack.EnsureSuccess();
    }

    /// <param name="copyAttempt">Null for a message as its publisher stores it; for a copy, the attempt it carries.</param>
    internal static NatsHeaders LaneHeaders(string id, int maxRetries, string enqueuedAtMs, int? copyAttempt)
    {
        var h = new NatsHeaders
        {
            [NatsHeaderNames.Id] = id,
            [NatsHeaderNames.MaxRetries] = NatsHeaderNames.Number(maxRetries),
            [NatsHeaderNames.EnqueuedAt] = enqueuedAtMs,
        };
        if (copyAttempt is { } attempt) h[NatsHeaderNames.AttemptBase] = NatsHeaderNames.Number(attempt);
        return h;
    }

    private void ThrowIfTooLarge(OutgoingMessage message, NatsHeaders headers)
    {
        if (_connection.ServerInfo is not { MaxPayload: > 0 } info) return;
        var size = message.Body.Length + HeaderSize(headers);
        if (size > info.MaxPayload)
        {
            throw new MessageTooLargeException(size, info.MaxPayload,
                $"message {message.Id} takes {size} bytes but the NATS server accepts at most {info.MaxPayload} (max_payload)");
        }
    }

    internal static int HeaderSize(NatsHeaders headers)
    {
        var size = HeaderFraming;
        foreach (var (key, values) in headers)
            foreach (var v in values)
                size += key.Length + 2 + (v?.Length ?? 0) + 2;
        return size;
    }

    internal int MaxPayload => _connection.ServerInfo?.MaxPayload ?? 0;

    // ---- fetch ----

    public async Task<IReadOnlyList<Delivery>> FetchAsync(int max, TimeSpan wait, CancellationToken ct)
    {
        if (max <= 0) return [];
        var start = _time.GetTimestamp();
        var pause = FirstPollDelay;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var ready = await ReadyAsync(TimeSpan.Zero, ct).ConfigureAwait(false);
            List<Delivery> got;
            try
            {
                got = await FetchOnceAsync(ready, max, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (NatsFailures.IsUnavailable(ex, ct))
            {
                throw NatsFailures.Unavailable("fetch", ex);
            }
            catch (NatsJSApiException ex) when (ex.Error.Code == 404)
            {
                Forget(ex);
                throw NatsFailures.Unavailable("fetch", ex);
            }
            if (got.Count > 0) return got;

            // JetStream has no pull across several consumers, so an empty fetch polls the lanes with growing pauses.
            var left = wait - _time.GetElapsedTime(start);
            if (left <= TimeSpan.Zero) return got;
            await Task.Delay(left < pause ? left : pause, _time, ct).ConfigureAwait(false);
            pause = pause * 2 < MaxPollDelay ? pause * 2 : MaxPollDelay;
        }
    }

    private async Task<List<Delivery>> FetchOnceAsync(Provisioned ready, int max, CancellationToken ct)
    {
        // Before the pulls, so what falls due now is fetched now.
        await PromoteDeferredAsync(ready, ct).ConfigureAwait(false);
        var result = new List<Delivery>(max);
        // Lanes start as "unknown"; a lane that returns fewer than asked is empty and its share flows on.
        long[] available = [long.MaxValue, long.MaxValue, long.MaxValue];
        var pulls = new Task<List<INatsJSMsg<byte[]>>>?[PriorityScheduler.LaneCount];
        var remaining = max;
        while (remaining > 0)
        {
            var quotas = _scheduler.Plan(remaining, available);
            var any = false;
            for (var lane = 0; lane < pulls.Length; lane++)
            {
                pulls[lane] = quotas[lane] > 0 ? PullAsync(ready.Consumers[lane], quotas[lane], ct) : null;
                any |= quotas[lane] > 0;
            }
            if (!any) break;

            var lanes = new List<Delivery>[PriorityScheduler.LaneCount];
            for (var lane = 0; lane < pulls.Length; lane++)
            {
                lanes[lane] = [];
                if (pulls[lane] is not { } pull) continue;
                var msgs = await pull.ConfigureAwait(false);
                if (msgs.Count < quotas[lane]) available[lane] = 0;
                foreach (var msg in msgs)
                {
                    if (await ToDeliveryOrDeadLetterAsync((Priority)lane, msg, ct).ConfigureAwait(false) is { } d) lanes[lane].Add(d);
                }
            }
            // High first within a fetch, so a consumer that works in order starts on the urgent ones.
            foreach (var l in lanes)
            {
                result.AddRange(l);
                remaining -= l.Count;
            }
            if (available[0] == 0 && available[1] == 0 && available[2] == 0) break;
        }
        return result;
    }

    /// <summary>
    /// Moves deferred copies that are due back onto their lanes (publish with their attempt, then ack: a crash in
    /// between leaves a duplicate, never a loss) and NAK-delays the others by the time they have left, so the server
    /// hands each one out again when it is due. Failures are logged: the lane pulls that follow report an outage.
    /// </summary>
    private async Task PromoteDeferredAsync(Provisioned ready, CancellationToken ct)
    {
        var now = _time.GetTimestamp();
        if (now < Volatile.Read(ref _nextPromoteTicks)) return;
        if (Interlocked.Exchange(ref _promoting, 1) == 1) return;
        var full = false;
        try
        {
            var msgs = await PullAsync(ready.Deferred, PromoteBatch, ct).ConfigureAwait(false);
            full = msgs.Count == PromoteBatch;
            if (msgs.Count == 0) return;
            var nowMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
            using var timeout = new CancellationTokenSource(PromoteOneTimeout, _time);
            await Task.WhenAll(msgs.Select(m => PromoteOneAsync(m, nowMs, timeout.Token))).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            Forget(ex);
            _logger.LogWarning(ex, "Could not promote deferred messages of {Prefix}", _names.Prefix);
        }
        finally
        {
            // With a full batch more may be due: look again on the next fetch instead of after the pause.
            var pause = full ? TimeSpan.Zero : PromoteInterval;
            Volatile.Write(ref _nextPromoteTicks, now + (long)(pause.TotalSeconds * _time.TimestampFrequency));
            Volatile.Write(ref _promoting, 0);
        }
    }

    private async Task PromoteOneAsync(INatsJSMsg<byte[]> msg, long nowMs, CancellationToken ct)
    {
        var h = msg.Headers;
        var due = NatsHeaderNames.GetLong(h, NatsHeaderNames.DueAt, 0);
        if (due > nowMs)
        {
            await msg.NakAsync(Confirmed with { NakDelay = TimeSpan.FromMilliseconds(due - nowMs) }, ct).ConfigureAwait(false);
            return;
        }
        PriorityNames.TryParse(NatsHeaderNames.Get(h, NatsHeaderNames.Lane), out var lane);
        var headers = LaneHeaders(
            NatsHeaderNames.Get(h, NatsHeaderNames.Id) ?? $"nats-deferred-{msg.Metadata?.Sequence.Stream ?? 0}",
            NatsHeaderNames.GetInt(h, NatsHeaderNames.MaxRetries, _options.MaxRetries),
            NatsHeaderNames.Get(h, NatsHeaderNames.EnqueuedAt) ?? NatsHeaderNames.Number(nowMs),
            copyAttempt: NatsHeaderNames.GetInt(h, NatsHeaderNames.AttemptBase, 1));
        await PublishToLaneAsync(lane, msg.Data ?? [], headers, ct).ConfigureAwait(false);
        await msg.AckAsync(Confirmed, ct).ConfigureAwait(false);
    }

    private static async Task<List<INatsJSMsg<byte[]>>> PullAsync(INatsJSConsumer consumer, int count, CancellationToken ct)
    {
        var list = new List<INatsJSMsg<byte[]>>(count);
        await foreach (var msg in consumer.FetchNoWaitAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = count }, cancellationToken: ct).ConfigureAwait(false))
            list.Add(msg);
        return list;
    }

    private async Task<Delivery?> ToDeliveryOrDeadLetterAsync(Priority lane, INatsJSMsg<byte[]> msg, CancellationToken ct)
    {
        var meta = msg.Metadata;
        var seq = meta?.Sequence.Stream ?? 0;
        var delivered = (int)Math.Min(int.MaxValue, meta?.NumDelivered ?? 1);
        _delayed.TryRemove(seq, out _);
        var headers = msg.Headers;
        var enqueuedMs = NatsHeaderNames.GetLong(headers, NatsHeaderNames.EnqueuedAt, 0);
        var d = new Delivery
        {
            MessageId = NatsHeaderNames.Get(headers, NatsHeaderNames.Id) ?? $"nats-{seq}",
            Priority = lane,
            Body = msg.Data ?? [],
            Attempt = NatsHeaderNames.GetInt(headers, NatsHeaderNames.AttemptBase, 1) + Math.Max(0, delivered - 1),
            Untouched = delivered == 1 && NatsHeaderNames.Get(headers, NatsHeaderNames.AttemptBase) is null,
            MaxRetries = NatsHeaderNames.GetInt(headers, NatsHeaderNames.MaxRetries, _options.MaxRetries),
            EnqueuedAt = enqueuedMs > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(enqueuedMs) : null,
            Handle = new NatsLease(lane, msg, seq),
        };
        // Redelivered after a lease ran out with no retries left: the consumer that had it used the last attempt.
        if (d.Attempt > d.MaxRetries + 1)
        {
            await DeadLetterCoreAsync(d, DeadLetterReasons.MaxRetriesExceeded, LeaseExpiredError, d.Attempt - 1, ct).ConfigureAwait(false);
            _logger.LogWarning("Message {MessageId} dead-lettered after its lease expired past {MaxRetries} retries", d.MessageId, d.MaxRetries);
            return null;
        }
        return d;
    }

    // ---- settle ----

    public Task AckAsync(Delivery delivery, CancellationToken ct) =>
        SettleAsync("ack", delivery, static (msg, ct) => msg.AckAsync(Confirmed, ct), ct);

    public async Task<NackOutcome> NackAsync(Delivery delivery, TimeSpan delay, string error, CancellationToken ct)
    {
        var lease = LeaseOf(delivery);
        if (delivery.Attempt > delivery.MaxRetries)
        {
            await DeadLetterAsync(delivery, DeadLetterReasons.MaxRetriesExceeded, error, ct).ConfigureAwait(false);
            return NackOutcome.DeadLettered;
        }
        if (delay > TimeSpan.Zero)
        {
            _delayed[lease.StreamSeq] = new DelayedNak(lease.Lane, _time.GetUtcNow() + delay);
            await SettleAsync("nack", delivery, (msg, c) => msg.NakAsync(Confirmed with { NakDelay = delay }, c), ct).ConfigureAwait(false);
        }
        else
        {
            await SettleAsync("nack", delivery, static (msg, c) => msg.NakAsync(Confirmed, c), ct).ConfigureAwait(false);
        }
        return NackOutcome.Retried;
    }

    public async Task DeadLetterAsync(Delivery delivery, string reason, string? lastError, CancellationToken ct)
    {
        try
        {
            await DeadLetterCoreAsync(delivery, reason, lastError, delivery.Attempt, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (NatsFailures.IsUnavailable(ex, ct))
        {
            throw NatsFailures.Unavailable("dead-letter", ex);
        }
    }

    /// <summary>Stores the dead letter first, then terminates the original: a crash in between leaves a duplicate, never a loss.</summary>
    private async Task DeadLetterCoreAsync(Delivery delivery, string reason, string? lastError, int attempts, CancellationToken ct)
    {
        var lease = LeaseOf(delivery);
        await _deadLetters.AddAsync(delivery, lease.Msg.Headers, reason, lastError, attempts, ct).ConfigureAwait(false);
        _delayed.TryRemove(lease.StreamSeq, out _);
        await lease.Msg.AckTerminateAsync(Confirmed, ct).ConfigureAwait(false);
    }

    public Task RenewLeaseAsync(Delivery delivery, CancellationToken ct) =>
        SettleAsync("renew", delivery, static (msg, c) => msg.AckProgressAsync(Confirmed, c), ct);

    /// <summary>
    /// A NAK would count as a delivery (NumDelivered grows), so a release publishes a copy at the lane's tail that
    /// carries the attempt in <c>Aof-Attempt</c>, then acks the original; a crash in between leaves a duplicate.
    /// </summary>
    public async Task ReleaseAsync(Delivery delivery, CancellationToken ct)
    {
        var lease = LeaseOf(delivery);
        try
        {
            var original = lease.Msg.Headers;
            var enqueued = NatsHeaderNames.Get(original, NatsHeaderNames.EnqueuedAt)
                           ?? NatsHeaderNames.Number(_time.GetUtcNow().ToUnixTimeMilliseconds());
            var headers = LaneHeaders(delivery.MessageId, delivery.MaxRetries, enqueued, copyAttempt: delivery.Attempt);
            await PublishToLaneAsync(lease.Lane, delivery.Body, headers, ct).ConfigureAwait(false);
            await lease.Msg.AckAsync(Confirmed, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (NatsFailures.IsUnavailable(ex, ct))
        {
            throw NatsFailures.Unavailable("release", ex);
        }
    }

    /// <summary>
    /// A NAK with delay would count as a delivery, so a deferral stores a copy that carries the attempt in the deferred
    /// stream (or, with no delay, at the lane's tail) and then acks the original; a crash in between leaves a duplicate.
    /// </summary>
    public async Task DeferAsync(Delivery delivery, TimeSpan delay, CancellationToken ct)
    {
        var lease = LeaseOf(delivery);
        if (delay <= TimeSpan.Zero)
        {
            await ReleaseAsync(delivery, ct).ConfigureAwait(false);
            return;
        }
        try
        {
            var original = lease.Msg.Headers;
            var now = _time.GetUtcNow();
            var enqueued = NatsHeaderNames.Get(original, NatsHeaderNames.EnqueuedAt) ?? NatsHeaderNames.Number(now.ToUnixTimeMilliseconds());
            var headers = LaneHeaders(delivery.MessageId, delivery.MaxRetries, enqueued, copyAttempt: delivery.Attempt);
            headers[NatsHeaderNames.Lane] = lease.Lane.ToWire();
            headers[NatsHeaderNames.DueAt] = NatsHeaderNames.Number((now + delay).ToUnixTimeMilliseconds());
            var ack = await _js.PublishAsync(_names.DeferredSubject, delivery.Body, headers: headers, cancellationToken: ct).ConfigureAwait(false);
            ack.EnsureSuccess();
            _delayed.TryRemove(lease.StreamSeq, out _);
            await lease.Msg.AckAsync(Confirmed, ct).ConfigureAwait(false);
        }
        catch (NatsJSApiException ex) when (ex.Error.Code == 404)
        {
            Forget(ex);
            throw NatsFailures.Unavailable("defer", ex);
        }
        catch (Exception ex) when (NatsFailures.IsUnavailable(ex, ct))
        {
            throw NatsFailures.Unavailable("defer", ex);
        }
    }

    private async Task SettleAsync(string operation, Delivery delivery, Func<INatsJSMsg<byte[]>, CancellationToken, ValueTask> settle, CancellationToken ct)
    {
        var lease = LeaseOf(delivery);
        try
        {
            await settle(lease.Msg, ct).ConfigureAwait(false);
            if (operation == "ack") _delayed.TryRemove(lease.StreamSeq, out _);
        }
        catch (Exception ex) when (NatsFailures.IsUnavailable(ex, ct))
        {
            if (operation == "nack") _delayed.TryRemove(lease.StreamSeq, out _);
            throw NatsFailures.Unavailable(operation, ex);
        }
    }

    private static NatsLease LeaseOf(Delivery delivery) =>
        delivery.Handle as NatsLease ?? throw new ArgumentException("delivery was not leased from the nats queue", nameof(delivery));

    // ---- stats and health ----

    /// <summary>
    /// Ready = the lane consumers' num_pending (stored, never delivered); in flight = their num_ack_pending;
    /// dead-lettered = the messages of the DLQ stream; delayed includes every deferred copy (the deferred consumer's
    /// pending and ack-pending). Exact as far as the server counts them. Approximate:
    /// <list type="bullet">
    /// <item>delayed: JetStream keeps a message NAK'd with a delay among the consumer's ack-pending ones and
    /// exposes no count of them. This instance counts the delays it requested itself that are not due yet and
    /// moves them from in flight to delayed; delays requested by other workers show up as in flight.</item>
    /// <item>a message waiting for redelivery (NAK'd without delay, delay due, lease expired) is still ack-pending
    /// until a worker fetches it, so it is counted in flight, not ready.</item>
    /// </list>
    /// </summary>
    public async Task<QueueStats> GetStatsAsync(CancellationToken ct)
    {
        var ready = await ReadyAsync(TimeSpan.Zero, ct).ConfigureAwait(false);
        try
        {
            var infos = _names.LaneConsumers
                .Select(c => _js.GetConsumerAsync(_names.EventsStream, c, ct).AsTask())
                .ToArray();
            var dlq = _js.GetStreamAsync(_names.DeadLetterStream, cancellationToken: ct).AsTask();
            var deferredInfo = _js.GetConsumerAsync(_names.DeferredStream, _names.DeferredConsumer, ct).AsTask();
            await Task.WhenAll(infos).ConfigureAwait(false);

            var delayedByLane = DelayedByLane();
            var byLane = new Dictionary<Priority, LaneStats>();
            long readyCount = 0, inFlight = 0, delayed = 0;
            foreach (var p in PriorityNames.All)
            {
                var info = (await infos[(int)p].ConfigureAwait(false)).Info;
                var laneDelayed = Math.Min(delayedByLane[(int)p], info.NumAckPending);
                var laneReady = (long)Math.Min(info.NumPending, long.MaxValue);
                var laneInFlight = info.NumAckPending - laneDelayed;
                byLane[p] = new LaneStats(laneReady, laneInFlight);
                readyCount += laneReady;
                inFlight += laneInFlight;
                delayed += laneDelayed;
            }
            var dead = (await dlq.ConfigureAwait(false)).Info.State.Messages;
            // Every deferred copy is delayed, whether not yet handed out or NAK'd until due (exact across all workers).
            var deferred = (await deferredInfo.ConfigureAwait(false)).Info;
            delayed += (long)Math.Min(deferred.NumPending, long.MaxValue) + deferred.NumAckPending;
            return new QueueStats(readyCount, inFlight, delayed, dead, byLane);
        }
        catch (NatsJSApiException ex) when (ex.Error.Code == 404)
        {
            Forget(ex);
            throw NatsFailures.Unavailable("stats", ex);
        }
        catch (Exception ex) when (NatsFailures.IsUnavailable(ex, ct))
        {
            throw NatsFailures.Unavailable("stats", ex);
        }
    }

    private long[] DelayedByLane()
    {
        var now = _time.GetUtcNow();
        var counts = new long[PriorityScheduler.LaneCount];
        foreach (var (seq, nak) in _delayed)
        {
            if (nak.DueAt <= now) _delayed.TryRemove(seq, out _);
            else counts[(int)nak.Lane]++;
        }
        return counts;
    }

    public async Task<bool> PingAsync(CancellationToken ct)
    {
        if (_connection.ConnectionState != NatsConnectionState.Open)
        {
            _ = StartConnecting();
            return false;
        }
        try
        {
            await _connection.PingAsync(ct).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (NatsFailures.IsUnavailable(ex, ct))
        {
            return false;
        }
    }

    /// <summary>The connection belongs to the container; pending leases simply expire (AckWait) if not settled.</summary>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    internal sealed record Provisioned(INatsJSConsumer[] Consumers, INatsJSConsumer Deferred, INatsJSStream DeadLetterStream);

    /// <summary>Where a delivery lives: its lane, the JetStream message (whose reply subject acks it) and stream sequence.</summary>
    private sealed record NatsLease(Priority Lane, INatsJSMsg<byte[]> Msg, ulong StreamSeq);

    private readonly record struct DelayedNak(Priority Lane, DateTimeOffset DueAt);
}
