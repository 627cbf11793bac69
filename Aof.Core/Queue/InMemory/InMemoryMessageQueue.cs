using Aof.Core.Events;

namespace Aof.Core.Queue.InMemory;

/// <summary>
/// The queue contract in one process (standalone mode and unit tests): a FIFO per lane, leases with a
/// visibility timeout, a delayed set for nacks, a dedup table and a dead-letter list. One lock guards all of
/// it; waiting fetchers sleep on a signal that every publish, nack, release and replay fires.
/// </summary>
public sealed class InMemoryMessageQueue : IMessageQueue, IDeadLetterQueue
{
    private readonly QueueOptions _options;
    private readonly TimeProvider _time;
    private readonly PriorityScheduler _scheduler = new();
    private readonly Lock _lock = new();

    private readonly Queue<StoredMessage>[] _lanes = [new(), new(), new()];
    private readonly Dictionary<string, StoredMessage> _leased = new(StringComparer.Ordinal);
    private readonly PriorityQueue<LeaseDeadline, DateTimeOffset> _leaseDeadlines = new();
    private readonly PriorityQueue<StoredMessage, DateTimeOffset> _delayed = new();
    private readonly Dictionary<string, DedupEntry> _dedup = new(StringComparer.Ordinal);
    private readonly PriorityQueue<string, DateTimeOffset> _dedupExpiry = new();
    private readonly Dictionary<string, DeadLetter> _dead = new(StringComparer.Ordinal);
    private readonly List<string> _deadOrder = [];

    private TaskCompletionSource _changed = NewSignal();
    private long _leaseSequence;
    private bool _disposed;

    public InMemoryMessageQueue(QueueOptions options, TimeProvider? timeProvider = null)
    {
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
    }

    public string Backend => "memory";

    public IDeadLetterQueue DeadLetters => this;

    public Task InitializeAsync(CancellationToken ct) => Task.CompletedTask;

    public Task<PublishResult> PublishAsync(IReadOnlyList<OutgoingMessage> messages, string? dedupKey, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        ArgumentNullException.ThrowIfNull(messages);
        lock (_lock)
        {
            ThrowIfDisposed();
            var now = _time.GetUtcNow();
            if (dedupKey is not null)
            {
                PruneDedup(now);
                if (_dedup.TryGetValue(dedupKey, out var seen) && seen.ExpiresAt > now)
                    return Task.FromResult(new PublishResult(true, seen.MessageIds));
                var ids = messages.Select(m => m.Id).ToArray();
                var expires = now + _options.DedupWindow;
                _dedup[dedupKey] = new DedupEntry(ids, expires);
                _dedupExpiry.Enqueue(dedupKey, expires);
            }

            foreach (var m in messages)
            {
                _lanes[(int)m.Priority].Enqueue(new StoredMessage
                {
                    Id = m.Id,
                    Priority = m.Priority,
                    Body = m.Body.ToArray(), // the caller may reuse its buffer
                    MaxRetries = m.MaxRetries,
                    Attempt = 1,
                    EnqueuedAt = now,
                });
            }
            if (messages.Count > 0) SignalLocked();
            return Task.FromResult(new PublishResult(false, messages.Select(m => m.Id).ToArray()));
        }
    }

    public async Task<IReadOnlyList<Delivery>> FetchAsync(int max, TimeSpan wait, CancellationToken ct)
    {
        if (max <= 0) return [];
        var deadline = _time.GetUtcNow() + (wait < TimeSpan.Zero ? TimeSpan.Zero : wait);
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            Task signal;
            TimeSpan sleep;
            lock (_lock)
            {
                ThrowIfDisposed();
                var now = _time.GetUtcNow();
                RunMaintenanceLocked(now);
                var taken = TakeLocked(max, now);
                if (taken.Count > 0 || now >= deadline) return taken;

                // Sleep until something is published, or a delayed message or lease falls due, or the wait ends.
                sleep = deadline - now;
                if (_delayed.TryPeek(out _, out var due) && due - now < sleep) sleep = due - now;
                if (_leaseDeadlines.TryPeek(out _, out var expiry) && expiry - now < sleep) sleep = expiry - now;
                signal = _changed.Task;
            }

            if (sleep <= TimeSpan.Zero) continue;
            try
            {
                await signal.WaitAsync(sleep, _time, ct).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Time to look again: the wait ended or something fell due.
            }
        }
    }

    public Task AckAsync(Delivery delivery, CancellationToken ct)
    {
        lock (_lock)
        {
            TakeLeaseLocked(delivery);
        }
        return Task.CompletedTask;
    }

    public Task<NackOutcome> NackAsync(Delivery delivery, TimeSpan delay, string error, CancellationToken ct)
    {
        lock (_lock)
        {
            var msg = TakeLeaseLocked(delivery);
            // A stale lease: the message was already redelivered elsewhere, and that delivery decides.
            if (msg is null) return Task.FromResult(NackOutcome.Retried);

            var now = _time.GetUtcNow();
            if (delivery.Attempt > delivery.MaxRetries)
            {
                DeadLetterLocked(msg, DeadLetterReasons.MaxRetriesExceeded, error, delivery.Attempt, now);
                return Task.FromResult(NackOutcome.DeadLettered);
            }

            msg.Attempt = delivery.Attempt + 1;
            if (delay <= TimeSpan.Zero)
            {
                _lanes[(int)msg.Priority].Enqueue(msg);
            }
            else
            {
                _delayed.Enqueue(msg, now + delay);
            }
            // Also wakes waiters whose sleep must now end at the new due time.
            SignalLocked();
            return Task.FromResult(NackOutcome.Retried);
        }
    }

    public Task DeferAsync(Delivery delivery, TimeSpan delay, CancellationToken ct)
    {
        lock (_lock)
        {
            if (TakeLeaseLocked(delivery) is not { } msg) return Task.CompletedTask;
            msg.Attempt = delivery.Attempt;
            if (delay <= TimeSpan.Zero) _lanes[(int)msg.Priority].Enqueue(msg);
            else _delayed.Enqueue(msg, _time.GetUtcNow() + delay);
            SignalLocked();
        }
        return Task.CompletedTask;
    }

    public Task DeadLetterAsync(Delivery delivery, string reason, string? lastError, CancellationToken ct)
    {
        lock (_lock)
        {
            var msg = TakeLeaseLocked(delivery);
            if (msg is not null) DeadLetterLocked(msg, reason, lastError, delivery.Attempt, _time.GetUtcNow());
        }
        return Task.CompletedTask;
    }

    public Task RenewLeaseAsync(Delivery delivery, CancellationToken ct)
    {
        lock (_lock)
        {
            if (FindLeaseLocked(delivery) is { } msg)
            {
                msg.LeaseExpiresAt = _time.GetUtcNow() + _options.VisibilityTimeout;
                _leaseDeadlines.Enqueue(new LeaseDeadline(msg, msg.LeaseToken, msg.LeaseExpiresAt), msg.LeaseExpiresAt);
            }
        }
        return Task.CompletedTask;
    }

    public Task ReleaseAsync(Delivery delivery, CancellationToken ct)
    {
        lock (_lock)
        {
            if (TakeLeaseLocked(delivery) is { } msg)
            {
                msg.Attempt = delivery.Attempt;
                _lanes[(int)msg.Priority].Enqueue(msg);
                SignalLocked();
            }
        }
        return Task.CompletedTask;
    }

    public Task<QueueStats> GetStatsAsync(CancellationToken ct)
    {
        lock (_lock)
        {
            RunMaintenanceLocked(_time.GetUtcNow());
            var inFlight = new long[PriorityScheduler.LaneCount];
            foreach (var m in _leased.Values) inFlight[(int)m.Priority]++;
            var byLane = new Dictionary<Priority, LaneStats>();
            foreach (var p in PriorityNames.All) byLane[p] = new LaneStats(_lanes[(int)p].Count, inFlight[(int)p]);
            return Task.FromResult(new QueueStats(
                Ready: byLane.Values.Sum(l => l.Ready),
                InFlight: _leased.Count,
                Delayed: _delayed.Count,
                DeadLettered: _dead.Count,
                ByPriority: byLane));
        }
    }

    public Task<bool> PingAsync(CancellationToken ct) => Task.FromResult(!_disposed);

    // ---- dead letters ----

    public Task<IReadOnlyList<DeadLetterEntry>> ListAsync(int offset, int limit, CancellationToken ct)
    {
        lock (_lock)
        {
            IReadOnlyList<DeadLetterEntry> page = Enumerable.Reverse(_deadOrder)
                .Skip(Math.Max(0, offset))
                .Take(Math.Max(0, limit))
                .Select(id => _dead[id].Entry)
                .ToArray();
            return Task.FromResult(page);
        }
    }

    public Task<DeadLetterEntry?> GetAsync(string messageId, CancellationToken ct)
    {
        lock (_lock)
        {
            return Task.FromResult(_dead.TryGetValue(messageId, out var d) ? d.Entry : null);
        }
    }

    public Task<bool> ReplayAsync(string messageId, CancellationToken ct)
    {
        lock (_lock)
        {
            if (!_dead.Remove(messageId, out var dead)) return Task.FromResult(false);
            _deadOrder.Remove(messageId);
            var entry = dead.Entry;
            _lanes[(int)entry.Priority].Enqueue(new StoredMessage
            {
                Id = entry.MessageId,
                Priority = entry.Priority,
                Body = entry.Body,
                MaxRetries = dead.MaxRetries,
                Attempt = 1,
                EnqueuedAt = _time.GetUtcNow(),
            });
            SignalLocked();
            return Task.FromResult(true);
        }
    }

    public Task<bool> PurgeAsync(string messageId, CancellationToken ct)
    {
        lock (_lock)
        {
            if (!_dead.Remove(messageId)) return Task.FromResult(false);
            _deadOrder.Remove(messageId);
            return Task.FromResult(true);
        }
    }

    public ValueTask DisposeAsync()
    {
        lock (_lock)
        {
            _disposed = true;
            // Waiting fetchers wake up and see the queue is gone.
            SignalLocked();
        }
        return ValueTask.CompletedTask;
    }

    // ---- internals (all called under _lock) ----

    private List<Delivery> TakeLocked(int max, DateTimeOffset now)
    {
        Span<long> available = [_lanes[0].Count, _lanes[1].Count, _lanes[2].Count];
        if (available[0] + available[1] + available[2] == 0) return [];
        var quotas = _scheduler.Plan(max, available);
        var taken = new List<Delivery>(Math.Min(max, (int)Math.Min(int.MaxValue, available[0] + available[1] + available[2])));
        // High first within a fetch too, so a consumer that works in order starts on the urgent ones.
        for (var lane = 0; lane < PriorityScheduler.LaneCount; lane++)
        {
            for (var i = 0; i < quotas[lane]; i++)
            {
                var msg = _lanes[lane].Dequeue();
                taken.Add(LeaseLocked(msg, now));
            }
        }
        return taken;
    }

    private Delivery LeaseLocked(StoredMessage msg, DateTimeOffset now)
    {
        msg.LeaseToken = ++_leaseSequence;
        msg.LeaseExpiresAt = now + _options.VisibilityTimeout;
        _leased[msg.Id] = msg;
        _leaseDeadlines.Enqueue(new LeaseDeadline(msg, msg.LeaseToken, msg.LeaseExpiresAt), msg.LeaseExpiresAt);
        return new Delivery
        {
            MessageId = msg.Id,
            Priority = msg.Priority,
            Body = msg.Body,
            Attempt = msg.Attempt,
            MaxRetries = msg.MaxRetries,
            EnqueuedAt = msg.EnqueuedAt,
            Handle = new LeaseHandle(msg.LeaseToken),
        };
    }

    /// <summary>The stored message when <paramref name="delivery"/> still holds its lease, else null.</summary>
    private StoredMessage? FindLeaseLocked(Delivery delivery)
    {
        if (delivery.Handle is not LeaseHandle handle)
            throw new ArgumentException("delivery was not leased from the in-memory queue", nameof(delivery));
        return _leased.TryGetValue(delivery.MessageId, out var msg) && msg.LeaseToken == handle.Token ? msg : null;
    }

    /// <summary>Ends the lease of <paramref name="delivery"/>; null when it was no longer held (expired and redelivered).</summary>
    private StoredMessage? TakeLeaseLocked(Delivery delivery)
    {
        var msg = FindLeaseLocked(delivery);
        if (msg is null) return null;
        _leased.Remove(msg.Id);
        msg.LeaseToken = 0;
        return msg;
    }

    private void RunMaintenanceLocked(DateTimeOffset now)
    {
        while (_delayed.TryPeek(out var msg, out var due) && due <= now)
        {
            _delayed.Dequeue();
            _lanes[(int)msg.Priority].Enqueue(msg);
        }

        while (_leaseDeadlines.TryPeek(out var d, out var expiry) && expiry <= now)
        {
            _leaseDeadlines.Dequeue();
            // Entries left behind by acks and renewals are skipped.
            if (d.Message.LeaseToken != d.Token || d.Message.LeaseExpiresAt != d.ExpiresAt) continue;
            var msg = d.Message;
            _leased.Remove(msg.Id);
            msg.LeaseToken = 0;
            // The consumer that let the lease lapse used up an attempt.
            msg.Attempt++;
            if (msg.Attempt > msg.MaxRetries + 1)
            {
                DeadLetterLocked(msg, DeadLetterReasons.MaxRetriesExceeded, "lease expired without ack", msg.Attempt - 1, now);
            }
            else
            {
                _lanes[(int)msg.Priority].Enqueue(msg);
            }
        }
    }

    private void DeadLetterLocked(StoredMessage msg, string reason, string? lastError, int attempts, DateTimeOffset now)
    {
        if (_dead.Remove(msg.Id)) _deadOrder.Remove(msg.Id);
        _dead[msg.Id] = new DeadLetter(new DeadLetterEntry(msg.Id, msg.Priority, msg.Body, reason, lastError, attempts, now), msg.MaxRetries);
        _deadOrder.Add(msg.Id);
    }

    private void PruneDedup(DateTimeOffset now)
    {
        while (_dedupExpiry.TryPeek(out var key, out var expiry) && expiry <= now)
        {
            _dedupExpiry.Dequeue();
            if (_dedup.TryGetValue(key, out var e) && e.ExpiresAt <= now) _dedup.Remove(key);
        }
    }

    private void SignalLocked()
    {
        var previous = _changed;
        _changed = NewSignal();
        previous.TrySetResult();
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed class StoredMessage
    {
        public required string Id { get; init; }
        public required Priority Priority { get; init; }
        public required ReadOnlyMemory<byte> Body { get; init; }
        public required int MaxRetries { get; init; }
        public required DateTimeOffset EnqueuedAt { get; init; }
        public int Attempt { get; set; }
        public long LeaseToken { get; set; }
        public DateTimeOffset LeaseExpiresAt { get; set; }
    }

    private sealed record LeaseHandle(long Token);

    private readonly record struct LeaseDeadline(StoredMessage Message, long Token, DateTimeOffset ExpiresAt);

    /// <summary>The public entry plus the retry budget a replay restores.</summary>
    private sealed record DeadLetter(DeadLetterEntry Entry, int MaxRetries);

    private readonly record struct DedupEntry(string[] MessageIds, DateTimeOffset ExpiresAt);
}
