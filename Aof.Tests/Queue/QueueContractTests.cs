using System.Text;
using Aof.Core.Events;
using Aof.Core.Queue;

namespace Aof.Tests.Queue;

/// <summary>
/// The backends' contract classes run one after another, not side by side: the suite holds timing-sensitive cases
/// (leases of 0.3-2 s) next to heavy ones (10,000 messages, child processes), and on a 2-core machine three
/// backends' heavy cases at once can starve a lease renewal.
/// </summary>
[CollectionDefinition(Name)]
public sealed class QueueContractCollection
{
    public const string Name = "queue contract";
}

/// <summary>
/// The queue contract of DESIGN.md, run against every backend. A subclass supplies queues that share one
/// broker (and so one consumer group): <see cref="CreateConsumerAsync"/> returns a second worker's view.
/// </summary>
[Collection(QueueContractCollection.Name)]
public abstract class QueueContractTests : IAsyncLifetime
{
    protected const int TestTimeoutMs = 30_000;
    protected static readonly TimeSpan ShortVisibility = TimeSpan.FromMilliseconds(300);

    private readonly List<IMessageQueue> _created = [];
    private readonly CancellationTokenSource _cts = new(TimeSpan.FromSeconds(25));

    protected CancellationToken Ct => _cts.Token;

    /// <summary>A fresh, isolated queue (its own keys) with the given options.</summary>
    protected abstract Task<IMessageQueue> CreateQueueCoreAsync(QueueOptions options);

    /// <summary>Another consumer of the same queue as <paramref name="first"/> (another worker process).</summary>
    protected abstract Task<IMessageQueue> CreateConsumerCoreAsync(IMessageQueue first, QueueOptions options);

    /// <summary>
    /// A consumer of the queue with <paramref name="options"/> leases one message and dies without acking: a child
    /// process killed with SIGKILL on a broker; returns once it is dead, with the id it held.
    /// </summary>
    protected abstract Task<string> LeaseInAConsumerThatDiesAsync(IMessageQueue queue, QueueOptions options);

    protected async Task<IMessageQueue> CreateQueueAsync(QueueOptions? options = null)
    {
        var q = await CreateQueueCoreAsync(options ?? Options());
        _created.Add(q);
        await q.InitializeAsync(Ct);
        return q;
    }

    protected async Task<IMessageQueue> CreateConsumerAsync(IMessageQueue first, QueueOptions options)
    {
        var q = await CreateConsumerCoreAsync(first, options);
        if (!ReferenceEquals(q, first)) _created.Add(q);
        await q.InitializeAsync(Ct);
        return q;
    }

    protected static QueueOptions Options(int visibilityMs = 30_000) => new()
    {
        Prefix = "t" + Guid.NewGuid().ToString("N")[..12],
        VisibilityTimeoutMs = visibilityMs,
        DedupWindowSecs = 60,
    };

    protected static OutgoingMessage Msg(Priority priority = Priority.Normal, int maxRetries = 3, string? body = null)
    {
        var id = Ulid.NewUlid();
        return new OutgoingMessage(id, priority, Encoding.UTF8.GetBytes(body ?? $"{{\"id\":\"{id}\"}}"), maxRetries);
    }

    /// <summary>Fetches until <paramref name="count"/> deliveries arrived or the time is up.</summary>
    protected async Task<List<Delivery>> FetchAtLeastAsync(IMessageQueue q, int count, TimeSpan? within = null)
    {
        var got = new List<Delivery>();
        var until = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(5));
        while (got.Count < count && DateTime.UtcNow < until)
            got.AddRange(await q.FetchAsync(count - got.Count, TimeSpan.FromMilliseconds(200), Ct));
        return got;
    }

    protected async Task<Delivery> FetchOneAsync(IMessageQueue q, TimeSpan? within = null)
    {
        var got = await FetchAtLeastAsync(q, 1, within);
        Assert.Single(got);
        return got[0];
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Published_messages_are_delivered_once_and_ack_removes_them()
    {
        var q = await CreateQueueAsync();
        var sent = Enumerable.Range(0, 25).Select(_ => Msg()).ToList();
        var result = await q.PublishAsync(sent, null, Ct);
        Assert.False(result.Duplicate);
        Assert.Equal(sent.Select(m => m.Id), result.MessageIds);

        var got = await FetchAtLeastAsync(q, 25);
        Assert.Equal(sent.Select(m => m.Id).Order(), got.Select(d => d.MessageId).Order());
        foreach (var d in got)
        {
            Assert.Equal(1, d.Attempt);
            Assert.Equal(3, d.MaxRetries);
            Assert.Equal(sent.Single(m => m.Id == d.MessageId).Body.ToArray(), d.Body.ToArray());
            Assert.NotNull(d.EnqueuedAt);
        }
        foreach (var d in got) await q.AckAsync(d, Ct);

        Assert.Empty(await q.FetchAsync(10, TimeSpan.FromMilliseconds(200), Ct));
        var stats = await q.GetStatsAsync(Ct);
        Assert.Equal((0, 0, 0, 0), (stats.Ready, stats.InFlight, stats.Delayed, stats.DeadLettered));
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Fetch_waits_for_a_message_published_meanwhile()
    {
        var q = await CreateQueueAsync();
        var fetch = q.FetchAsync(5, TimeSpan.FromSeconds(10), Ct);
        await Task.Delay(100, Ct);
        var m = Msg();
        await q.PublishAsync([m], null, Ct);
        var got = await fetch.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal(m.Id, Assert.Single(got).MessageId);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Fetch_returns_empty_when_the_wait_ends_or_is_cancelled()
    {
        var q = await CreateQueueAsync();
        Assert.Empty(await q.FetchAsync(5, TimeSpan.FromMilliseconds(100), Ct));
        Assert.Empty(await q.FetchAsync(5, TimeSpan.Zero, Ct));
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(100);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => q.FetchAsync(5, TimeSpan.FromSeconds(20), cts.Token));
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Nack_with_delay_hides_the_message_until_the_delay_passes_then_attempt_is_2()
    {
        var q = await CreateQueueAsync();
        var m = Msg();
        await q.PublishAsync([m], null, Ct);
        var first = await FetchOneAsync(q);

        Assert.Equal(NackOutcome.Retried, await q.NackAsync(first, TimeSpan.FromMilliseconds(1500), "boom", Ct));
        Assert.Equal(1, (await q.GetStatsAsync(Ct)).Delayed);
        Assert.Empty(await q.FetchAsync(1, TimeSpan.FromMilliseconds(150), Ct));

        var again = await FetchOneAsync(q);
        Assert.Equal(m.Id, again.MessageId);
        Assert.Equal(2, again.Attempt);
        Assert.Equal(m.Body.ToArray(), again.Body.ToArray());
        await q.AckAsync(again, Ct);
        Assert.Empty(await q.FetchAsync(1, TimeSpan.FromMilliseconds(100), Ct));
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Past_max_retries_a_nack_dead_letters_with_reason_and_last_error()
    {
        var q = await CreateQueueAsync();
        var m = Msg(Priority.High, maxRetries: 1);
        await q.PublishAsync([m], null, Ct);

        var d1 = await FetchOneAsync(q);
        Assert.Equal(NackOutcome.Retried, await q.NackAsync(d1, TimeSpan.Zero, "first failure", Ct));
        var d2 = await FetchOneAsync(q);
        Assert.Equal(2, d2.Attempt);
        Assert.Equal(NackOutcome.DeadLettered, await q.NackAsync(d2, TimeSpan.Zero, "second failure", Ct));

        Assert.Empty(await q.FetchAsync(1, TimeSpan.FromMilliseconds(150), Ct));
        var entry = await q.DeadLetters.GetAsync(m.Id, Ct);
        Assert.NotNull(entry);
        Assert.Equal(DeadLetterReasons.MaxRetriesExceeded, entry.Reason);
        Assert.Equal("second failure", entry.LastError);
        Assert.Equal(2, entry.Attempts);
        Assert.Equal(Priority.High, entry.Priority);
        Assert.Equal(m.Body.ToArray(), entry.Body.ToArray());
        var stats = await q.GetStatsAsync(Ct);
        Assert.Equal((0, 0, 0, 1), (stats.Ready, stats.InFlight, stats.Delayed, stats.DeadLettered));
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Replay_puts_a_dead_letter_back_with_attempt_1()
    {
        var q = await CreateQueueAsync();
        var m = Msg(Priority.Low, maxRetries: 0);
        await q.PublishAsync([m], null, Ct);
        var d = await FetchOneAsync(q);
        Assert.Equal(NackOutcome.DeadLettered, await q.NackAsync(d, TimeSpan.Zero, "nope", Ct));

        Assert.True(await q.DeadLetters.ReplayAsync(m.Id, Ct));
        Assert.Null(await q.DeadLetters.GetAsync(m.Id, Ct));
        Assert.False(await q.DeadLetters.ReplayAsync(m.Id, Ct));

        var again = await FetchOneAsync(q);
        Assert.Equal(m.Id, again.MessageId);
        Assert.Equal(1, again.Attempt);
        Assert.Equal(0, again.MaxRetries);
        Assert.Equal(Priority.Low, again.Priority);
        Assert.Equal(m.Body.ToArray(), again.Body.ToArray());
        Assert.Equal(0, (await q.GetStatsAsync(Ct)).DeadLettered);

        // Processed this time: gone for good.
        await q.AckAsync(again, Ct);
        Assert.Empty(await q.FetchAsync(1, TimeSpan.FromMilliseconds(150), Ct));
        Assert.Empty(await q.DeadLetters.ListAsync(0, 10, Ct));
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Dead_letters_are_listed_newest_first_and_can_be_purged()
    {
        var q = await CreateQueueAsync();
        var sent = Enumerable.Range(0, 4).Select(_ => Msg()).ToList();
        await q.PublishAsync(sent, null, Ct);
        var got = await FetchAtLeastAsync(q, 4);
        var order = new List<string>();
        foreach (var d in got)
        {
            await q.DeadLetterAsync(d, DeadLetterReasons.UnknownTarget, "no such flow", Ct);
            order.Add(d.MessageId);
        }

        var all = await q.DeadLetters.ListAsync(0, 10, Ct);
        Assert.Equal(Enumerable.Reverse(order), all.Select(e => e.MessageId));
        Assert.All(all, e => Assert.Equal(DeadLetterReasons.UnknownTarget, e.Reason));
        Assert.All(all, e => Assert.Equal("no such flow", e.LastError));
        var page = await q.DeadLetters.ListAsync(1, 2, Ct);
        Assert.Equal(new[] { order[2], order[1] }, page.Select(e => e.MessageId));

        Assert.True(await q.DeadLetters.PurgeAsync(order[0], Ct));
        Assert.False(await q.DeadLetters.PurgeAsync(order[0], Ct));
        Assert.Null(await q.DeadLetters.GetAsync(order[0], Ct));
        Assert.Equal(3, (await q.DeadLetters.ListAsync(0, 10, Ct)).Count);
        Assert.Equal(3, (await q.GetStatsAsync(Ct)).DeadLettered);
        Assert.Empty(await q.FetchAsync(1, TimeSpan.FromMilliseconds(100), Ct));
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Publishing_twice_with_one_dedup_key_stores_once_and_returns_the_first_ids()
    {
        var q = await CreateQueueAsync();
        var first = new[] { Msg(), Msg(Priority.High) };
        var r1 = await q.PublishAsync(first, "delivery-1", Ct);
        Assert.False(r1.Duplicate);

        // A redelivery, its messages named after the delivery as the gateway names them (MessageIds): the same ids.
        var r2 = await q.PublishAsync(first.Select(m => m with { Body = "{}"u8.ToArray() }).ToList(), "delivery-1", Ct);
        Assert.True(r2.Duplicate);
        Assert.Equal(first.Select(m => m.Id), r2.MessageIds);

        // Under other ids: a backend that keeps the first ids answers with them; NATS (JetStream dedups on its own)
        // answers with the caller's and says so.
        var other = new[] { Msg(), Msg() };
        var r3 = await q.PublishAsync(other, "delivery-1", Ct);
        Assert.True(r3.Duplicate);
        Assert.Equal(q.Backend != "nats", r3.FirstIdsKnown);
        Assert.Equal((r3.FirstIdsKnown ? first : other).Select(m => m.Id), r3.MessageIds);

        var r4 = await q.PublishAsync([Msg()], "delivery-2", Ct);
        Assert.False(r4.Duplicate);

        var got = await FetchAtLeastAsync(q, 3);
        Assert.Equal(3, got.Count);
        Assert.Empty(await q.FetchAsync(5, TimeSpan.FromMilliseconds(150), Ct));
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task After_the_dedup_window_the_same_key_publishes_again()
    {
        var options = Options();
        options.DedupWindowSecs = 1;
        var q = await CreateQueueAsync(options);
        Assert.False((await q.PublishAsync([Msg()], "delivery-w", Ct)).Duplicate);
        Assert.True((await q.PublishAsync([Msg()], "delivery-w", Ct)).Duplicate);
        await Task.Delay(1300, Ct);
        var again = Msg();
        var r = await q.PublishAsync([again], "delivery-w", Ct);
        Assert.False(r.Duplicate);
        Assert.Equal([again.Id], r.MessageIds);
        Assert.Equal(2, (await FetchAtLeastAsync(q, 2)).Count);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task High_is_served_first_and_low_is_not_starved()
    {
        var q = await CreateQueueAsync();
        // Low published first, so plain FIFO would serve it first.
        await q.PublishAsync(Enumerable.Range(0, 30).Select(_ => Msg(Priority.Low)).ToList(), null, Ct);
        await q.PublishAsync(Enumerable.Range(0, 30).Select(_ => Msg(Priority.Normal)).ToList(), null, Ct);
        await q.PublishAsync(Enumerable.Range(0, 30).Select(_ => Msg(Priority.High)).ToList(), null, Ct);

        var served = new List<Priority>();
        for (var i = 0; i < 20; i++)
        {
            var d = await FetchOneAsync(q);
            served.Add(d.Priority);
            await q.AckAsync(d, Ct);
        }

        Assert.Equal(Priority.High, served[0]);
        Assert.Contains(Priority.Low, served.Take(10));
        var counts = served.GroupBy(p => p).ToDictionary(g => g.Key, g => g.Count());
        Assert.True(counts[Priority.High] > counts[Priority.Normal], string.Join(",", served));
        Assert.True(counts[Priority.Normal] > counts[Priority.Low], string.Join(",", served));

        // A batch fetch splits by weight too.
        var batch = await q.FetchAsync(10, TimeSpan.FromSeconds(1), Ct);
        Assert.Equal(10, batch.Count);
        Assert.Contains(batch, d => d.Priority == Priority.Low);
        Assert.True(batch.Count(d => d.Priority == Priority.High) >= 5);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Unused_quota_of_empty_lanes_flows_to_the_busy_lane()
    {
        var q = await CreateQueueAsync();
        await q.PublishAsync(Enumerable.Range(0, 20).Select(_ => Msg(Priority.Low)).ToList(), null, Ct);
        var batch = await q.FetchAsync(10, TimeSpan.FromSeconds(1), Ct);
        Assert.Equal(10, batch.Count);
        Assert.All(batch, d => Assert.Equal(Priority.Low, d.Priority));
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task An_expired_lease_is_redelivered_to_another_consumer_with_attempt_2()
    {
        var options = Options(visibilityMs: (int)ShortVisibility.TotalMilliseconds);
        var a = await CreateQueueAsync(options);
        var b = await CreateConsumerAsync(a, options);
        var m = Msg();
        await a.PublishAsync([m], null, Ct);

        var lost = await FetchOneAsync(a); // worker A "dies" holding the lease
        Assert.Equal(1, lost.Attempt);

        var again = await FetchOneAsync(b, TimeSpan.FromSeconds(10));
        Assert.Equal(m.Id, again.MessageId);
        Assert.Equal(2, again.Attempt);
        await b.AckAsync(again, Ct);
        Assert.Empty(await b.FetchAsync(1, ShortVisibility * 2, Ct));
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task A_lease_that_expires_past_max_retries_is_dead_lettered_not_redelivered()
    {
        var options = Options(visibilityMs: (int)ShortVisibility.TotalMilliseconds);
        var q = await CreateQueueAsync(options);
        var m = Msg(maxRetries: 0);
        await q.PublishAsync([m], null, Ct);
        _ = await FetchOneAsync(q);

        Assert.Empty(await q.FetchAsync(1, ShortVisibility * 4, Ct));
        var entry = await WaitForDeadLetterAsync(q, m.Id);
        Assert.Equal(DeadLetterReasons.MaxRetriesExceeded, entry.Reason);
        Assert.Equal(1, entry.Attempts);
    }

    private async Task<DeadLetterEntry> WaitForDeadLetterAsync(IMessageQueue q, string id)
    {
        var until = DateTime.UtcNow.AddSeconds(5);
        while (true)
        {
            var e = await q.DeadLetters.GetAsync(id, Ct);
            if (e is not null) return e;
            Assert.True(DateTime.UtcNow < until, $"{id} was not dead-lettered in time");
            await q.FetchAsync(1, TimeSpan.FromMilliseconds(100), Ct);
        }
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Renewing_the_lease_keeps_the_message_from_being_redelivered()
    {
        // A wider visibility than elsewhere, so a loaded test machine cannot open a gap between renewals
        // (test hosts were seen to stall for about a second; 1 s leases did not always survive that).
        var visibility = TimeSpan.FromSeconds(2);
        var options = Options(visibilityMs: (int)visibility.TotalMilliseconds);
        var a = await CreateQueueAsync(options);
        var b = await CreateConsumerAsync(a, options);
        await a.PublishAsync([Msg()], null, Ct);
        var held = await FetchOneAsync(a);

        // Renew for three visibility timeouts while B keeps asking.
        var until = DateTime.UtcNow + visibility * 3;
        while (DateTime.UtcNow < until)
        {
            await a.RenewLeaseAsync(held, Ct);
            Assert.Empty(await b.FetchAsync(1, visibility / 5, Ct));
        }
        await a.AckAsync(held, Ct);
        Assert.Empty(await b.FetchAsync(1, visibility * 1.25, Ct));
    }

    /// <summary>Whether the backend reports <see cref="Delivery.Untouched"/> (the others leave it false).</summary>
    protected virtual bool ReportsUntouched => false;

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Only_the_first_delivery_of_a_message_as_published_is_untouched()
    {
        // A store writes an untouched delivery's record without reading it, so a copy taken for untouched could
        // overwrite a suspended flow's checkpoint or a replayed dead letter's history: every copy must say so.
        var options = Options(visibilityMs: (int)ShortVisibility.TotalMilliseconds * 2);
        var q = await CreateQueueAsync(options);
        var m = Msg(maxRetries: 1);
        await q.PublishAsync([m], null, Ct);
        var first = await FetchOneAsync(q);
        Assert.Equal(ReportsUntouched, first.Untouched);

        await q.ReleaseAsync(first, Ct);
        var released = await FetchOneAsync(q);
        Assert.Equal((1, false), (released.Attempt, released.Untouched));

        await q.DeferAsync(released, TimeSpan.FromMilliseconds(100), Ct);
        var deferred = await FetchOneAsync(q);
        Assert.Equal((1, false), (deferred.Attempt, deferred.Untouched));

        Assert.Equal(NackOutcome.Retried, await q.NackAsync(deferred, TimeSpan.Zero, "once", Ct));
        var retried = await FetchOneAsync(q);
        Assert.Equal((2, false), (retried.Attempt, retried.Untouched));

        Assert.Equal(NackOutcome.DeadLettered, await q.NackAsync(retried, TimeSpan.Zero, "twice", Ct));
        Assert.True(await q.DeadLetters.ReplayAsync(m.Id, Ct));
        var replayed = await FetchOneAsync(q);
        Assert.Equal((1, false), (replayed.Attempt, replayed.Untouched));

        await q.AckAsync(replayed, Ct);

        // An expired lease: the message comes back as published, but it was handed out before.
        var m2 = Msg();
        await q.PublishAsync([m2], null, Ct);
        var held = await FetchOneAsync(q);
        Assert.Equal((m2.Id, ReportsUntouched), (held.MessageId, held.Untouched));
        var again = await FetchOneAsync(q, TimeSpan.FromSeconds(10));
        Assert.Equal((m2.Id, 2, false), (again.MessageId, again.Attempt, again.Untouched));
        await q.AckAsync(again, Ct);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Release_makes_the_message_visible_at_once_with_the_same_attempt()
    {
        var q = await CreateQueueAsync();
        var m = Msg();
        await q.PublishAsync([m], null, Ct);
        var d1 = await FetchOneAsync(q);
        await q.NackAsync(d1, TimeSpan.Zero, "once", Ct);
        var d2 = await FetchOneAsync(q);
        Assert.Equal(2, d2.Attempt);

        await q.ReleaseAsync(d2, Ct);
        var d3 = Assert.Single(await q.FetchAsync(1, TimeSpan.FromSeconds(2), Ct));
        Assert.Equal(m.Id, d3.MessageId);
        Assert.Equal(2, d3.Attempt);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Defer_hides_the_message_until_the_delay_passes_with_the_attempt_unchanged()
    {
        var q = await CreateQueueAsync();
        var m = Msg(Priority.High, maxRetries: 3);
        await q.PublishAsync([m], null, Ct);
        var d1 = await FetchOneAsync(q);
        await q.NackAsync(d1, TimeSpan.Zero, "once", Ct);
        var d2 = await FetchOneAsync(q);
        Assert.Equal(2, d2.Attempt);

        await q.DeferAsync(d2, TimeSpan.FromMilliseconds(1500), Ct);
        var stats = await q.GetStatsAsync(Ct);
        Assert.Equal((0, 0, 1), (stats.Ready, stats.InFlight, stats.Delayed));
        Assert.Empty(await q.FetchAsync(1, TimeSpan.FromMilliseconds(300), Ct));

        var d3 = await FetchOneAsync(q);
        Assert.Equal(m.Id, d3.MessageId);
        Assert.Equal(2, d3.Attempt);
        Assert.Equal(3, d3.MaxRetries);
        Assert.Equal(Priority.High, d3.Priority);
        Assert.Equal(m.Body.ToArray(), d3.Body.ToArray());
        Assert.NotNull(d3.EnqueuedAt);
        await q.AckAsync(d3, Ct);
        Assert.Empty(await q.FetchAsync(1, TimeSpan.FromMilliseconds(300), Ct));
        stats = await q.GetStatsAsync(Ct);
        Assert.Equal((0, 0, 0, 0), (stats.Ready, stats.InFlight, stats.Delayed, stats.DeadLettered));
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Deferring_past_max_retries_never_dead_letters_and_leaves_the_retry_budget_intact()
    {
        var q = await CreateQueueAsync();
        var m = Msg(maxRetries: 0);
        await q.PublishAsync([m], null, Ct);

        // Many deferrals of a message with no retries at all: each comes back as attempt 1.
        for (var i = 0; i < 5; i++)
        {
            var d = await FetchOneAsync(q);
            Assert.Equal(1, d.Attempt);
            await q.DeferAsync(d, TimeSpan.FromMilliseconds(50), Ct);
        }
        var last = await FetchOneAsync(q);
        Assert.Equal(1, last.Attempt);
        Assert.Null(await q.DeadLetters.GetAsync(m.Id, Ct));
        // The one real failure it is allowed is still its to spend.
        Assert.Equal(NackOutcome.DeadLettered, await q.NackAsync(last, TimeSpan.Zero, "the real failure", Ct));
        Assert.Equal(1, (await q.DeadLetters.GetAsync(m.Id, Ct))!.Attempts);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Deferred_messages_are_shared_by_all_consumers_and_each_comes_back_once()
    {
        var options = Options();
        var a = await CreateQueueAsync(options);
        var b = await CreateConsumerAsync(a, options);
        var sent = Enumerable.Range(0, 40).Select(_ => Msg()).ToList();
        await a.PublishAsync(sent, null, Ct);

        var first = await FetchAtLeastAsync(a, 40);
        Assert.Equal(40, first.Count);
        await Task.WhenAll(first.Select(d => a.DeferAsync(d, TimeSpan.FromMilliseconds(400), Ct)));
        Assert.Equal(40, (await a.GetStatsAsync(Ct)).Delayed);

        // Whichever consumer polls promotes them; every one comes back exactly once with attempt 1.
        var back = new List<Delivery>();
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (back.Count < 40 && DateTime.UtcNow < until)
        {
            back.AddRange(await b.FetchAsync(40, TimeSpan.FromMilliseconds(100), Ct));
            back.AddRange(await a.FetchAsync(40, TimeSpan.FromMilliseconds(100), Ct));
        }
        Assert.Equal(sent.Select(m => m.Id).Order(), back.Select(d => d.MessageId).Order());
        Assert.All(back, d => Assert.Equal(1, d.Attempt));
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Defer_without_delay_makes_the_message_visible_at_once_with_the_same_attempt()
    {
        var q = await CreateQueueAsync();
        var m = Msg();
        await q.PublishAsync([m], null, Ct);
        var d1 = await FetchOneAsync(q);
        await q.DeferAsync(d1, TimeSpan.Zero, Ct);
        var d2 = Assert.Single(await q.FetchAsync(1, TimeSpan.FromSeconds(2), Ct));
        Assert.Equal(m.Id, d2.MessageId);
        Assert.Equal(1, d2.Attempt);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Stats_count_messages_by_state_and_lane()
    {
        var q = await CreateQueueAsync();
        await q.PublishAsync([Msg(Priority.High), Msg(), Msg(), Msg()], null, Ct);

        var high = Assert.Single(await q.FetchAsync(1, TimeSpan.FromSeconds(1), Ct));
        Assert.Equal(Priority.High, high.Priority);
        var two = await FetchAtLeastAsync(q, 2);
        Assert.All(two, d => Assert.Equal(Priority.Normal, d.Priority));
        await q.NackAsync(two[0], TimeSpan.FromMinutes(5), "later", Ct);
        await q.DeadLetterAsync(two[1], DeadLetterReasons.PermanentFailure, "bad", Ct);
        await q.PublishAsync([Msg(Priority.Low)], null, Ct);

        var stats = await q.GetStatsAsync(Ct);
        Assert.Equal(2, stats.Ready);
        Assert.Equal(1, stats.InFlight);
        Assert.Equal(1, stats.Delayed);
        Assert.Equal(1, stats.DeadLettered);
        Assert.Equal(new LaneStats(0, 1), stats.ByPriority[Priority.High]);
        Assert.Equal(new LaneStats(1, 0), stats.ByPriority[Priority.Normal]);
        Assert.Equal(new LaneStats(1, 0), stats.ByPriority[Priority.Low]);
        Assert.True(await q.PingAsync(Ct));
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Concurrent_consumers_never_get_the_same_message_twice()
    {
        var options = Options();
        var a = await CreateQueueAsync(options);
        var sent = Enumerable.Range(0, 200).Select(i => Msg((Priority)(i % 3))).ToList();
        await a.PublishAsync(sent, null, Ct);
        var b = await CreateConsumerAsync(a, options);

        var seen = new System.Collections.Concurrent.ConcurrentBag<string>();
        async Task Drain(IMessageQueue q)
        {
            while (true)
            {
                var batch = await q.FetchAsync(7, TimeSpan.FromMilliseconds(200), Ct);
                if (batch.Count == 0) return;
                foreach (var d in batch)
                {
                    seen.Add(d.MessageId);
                    await q.AckAsync(d, Ct);
                }
            }
        }
        await Task.WhenAll(Drain(a), Drain(b), Drain(a), Drain(b));
        Assert.Equal(sent.Select(m => m.Id).Order(), seen.Order());
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Ten_thousand_messages_across_four_concurrent_consumers_are_each_processed_once()
    {
        const int total = 10_000;
        var options = Options();
        var first = await CreateQueueAsync(options);
        var consumers = new List<IMessageQueue> { first };
        for (var i = 1; i < 4; i++) consumers.Add(await CreateConsumerAsync(first, options));

        var sent = Enumerable.Range(0, total).Select(i => Msg((Priority)(i % 3), body: "{}")).ToList();
        await Task.WhenAll(sent.Chunk(250).Select(batch => first.PublishAsync(batch, null, Ct)));

        var processed = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        var done = 0;
        async Task Consume(IMessageQueue q)
        {
            while (Volatile.Read(ref done) < total)
            {
                var batch = await q.FetchAsync(64, TimeSpan.FromMilliseconds(200), Ct);
                foreach (var d in batch) processed.AddOrUpdate(d.MessageId, 1, (_, n) => n + 1);
                await Task.WhenAll(batch.Select(d => q.AckAsync(d, Ct)));
                Interlocked.Add(ref done, batch.Count);
            }
        }
        await Task.WhenAll(consumers.Select(q => Task.Run(() => Consume(q), Ct)));

        Assert.Equal(total, processed.Count);
        Assert.All(processed, p => Assert.Equal(1, p.Value));
        Assert.True(sent.Select(m => m.Id).ToHashSet().SetEquals(processed.Keys));
        Assert.Empty(await first.FetchAsync(10, TimeSpan.FromMilliseconds(200), Ct));
    }

    [Fact(Timeout = TestTimeoutMs)]
    public virtual async Task A_consumer_that_dies_without_acking_loses_its_lease_and_the_message_is_redelivered()
    {
        var visibility = TimeSpan.FromSeconds(2);
        var options = Options(visibilityMs: (int)visibility.TotalMilliseconds);
        var q = await CreateQueueAsync(options);
        var m = Msg();
        await q.PublishAsync([m], null, Ct);

        var held = await LeaseInAConsumerThatDiesAsync(q, options);
        Assert.Equal(m.Id, held);

        var again = await FetchOneAsync(q, visibility * 5);
        Assert.Equal(m.Id, again.MessageId);
        Assert.Equal(2, again.Attempt);
        Assert.Equal(m.Body.ToArray(), again.Body.ToArray());
        await q.AckAsync(again, Ct);
        Assert.Empty(await q.FetchAsync(1, visibility + TimeSpan.FromMilliseconds(500), Ct));
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Drain_finishes_in_flight_work_and_releases_unstarted_prefetched_messages_at_once()
    {
        var options = Options(); // 30 s leases: only a release can make the messages visible within the test
        var draining = await CreateQueueAsync(options);
        var other = await CreateConsumerAsync(draining, options);
        var sent = Enumerable.Range(0, 6).Select(_ => Msg()).ToList();
        await draining.PublishAsync(sent, null, Ct);

        var prefetched = await FetchAtLeastAsync(draining, 6);
        Assert.Equal(6, prefetched.Count);
        var started = prefetched.Take(2).ToList();
        var unstarted = prefetched.Skip(2).ToList();

        // Stop: unstarted ones go back at once, in-flight ones finish and are acked.
        foreach (var d in unstarted) await draining.ReleaseAsync(d, Ct);
        foreach (var d in started) await draining.AckAsync(d, Ct);

        var taken = await FetchAtLeastAsync(other, unstarted.Count, TimeSpan.FromSeconds(3));
        Assert.Equal(unstarted.Select(d => d.MessageId).Order(), taken.Select(d => d.MessageId).Order());
        Assert.All(taken, d => Assert.Equal(1, d.Attempt));
        foreach (var d in taken) await other.AckAsync(d, Ct);
        Assert.Empty(await other.FetchAsync(6, TimeSpan.FromMilliseconds(300), Ct));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var q in _created) await q.DisposeAsync();
        _cts.Dispose();
    }
}
