using Aof.Core.Queue;
using Aof.Core.Queue.Nats;
using Aof.Tests.Infrastructure;
using System.Text;
using Aof.Core.Events;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using NATS.Client.KeyValueStore;

namespace Aof.Tests.Queue;

/// <summary>The queue contract against a real nats-server with JetStream, plus what only NATS has.</summary>
public sealed class NatsQueueContractTests(NatsServerFixture nats) : QueueContractTests, IClassFixture<NatsServerFixture>, IAsyncLifetime
{
    private readonly List<NatsConnection> _connections = [];

    protected override bool ReportsUntouched => true;

    protected override Task<IMessageQueue> CreateQueueCoreAsync(QueueOptions options) =>
        Task.FromResult<IMessageQueue>(new NatsMessageQueue(nats.Connection, options));

    // Another worker: its own connection, the same streams and consumers.
    protected override async Task<IMessageQueue> CreateConsumerCoreAsync(IMessageQueue first, QueueOptions options)
    {
        var connection = await nats.Server.ConnectAsync("second-worker");
        _connections.Add(connection);
        return new NatsMessageQueue(connection, options);
    }

    // A separate consumer process, killed with SIGKILL while it holds the lease.
    protected override async Task<string> LeaseInAConsumerThatDiesAsync(IMessageQueue queue, QueueOptions options)
    {
        using var probe = QueueProbeProcess.Start("nats", nats.Url, options);
        var id = await probe.LeasedMessageIdAsync(Ct);
        await probe.KillAsync(Ct);
        return id;
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task A_deferred_message_waits_as_a_copy_in_the_deferred_stream_carrying_its_attempt_lane_and_due_time()
    {
        var options = Options();
        var q = await CreateQueueAsync(options);
        var m = Msg(Priority.Low);
        await q.PublishAsync([m], null, Ct);
        var d1 = await FetchOneAsync(q);
        await q.NackAsync(d1, TimeSpan.Zero, "once", Ct);
        var d2 = await FetchOneAsync(q);
        var before = DateTimeOffset.UtcNow;
        await q.DeferAsync(d2, TimeSpan.FromSeconds(30), Ct);

        var js = new NatsJSContext(nats.Connection);
        Assert.Equal(0, (await js.GetStreamAsync($"{options.Prefix}-events", cancellationToken: Ct)).Info.State.Messages);
        var deferred = await js.GetStreamAsync($"{options.Prefix}-deferred", cancellationToken: Ct);
        Assert.Equal(StreamConfigRetention.Workqueue, deferred.Info.Config.Retention);
        Assert.Equal([$"{options.Prefix}.deferred"], deferred.Info.Config.Subjects);
        Assert.Equal(1, deferred.Info.State.Messages);
        var consumer = (await js.GetConsumerAsync($"{options.Prefix}-deferred", "aof-workers-deferred", Ct)).Info.Config;
        Assert.Equal($"{options.Prefix}.deferred", consumer.FilterSubject);

        var stored = await deferred.GetAsync(new StreamMsgGetRequest { LastBySubj = $"{options.Prefix}.deferred" }, Ct);
        var headers = NatsHeaderNames.ParseStored(stored.Message.Hdrs);
        Assert.Equal(m.Id, NatsHeaderNames.Get(headers, NatsHeaderNames.Id));
        Assert.Equal("2", NatsHeaderNames.Get(headers, NatsHeaderNames.AttemptBase));
        Assert.Equal("low", NatsHeaderNames.Get(headers, NatsHeaderNames.Lane));
        var due = DateTimeOffset.FromUnixTimeMilliseconds(NatsHeaderNames.GetLong(headers, NatsHeaderNames.DueAt, 0));
        Assert.InRange(due, before + TimeSpan.FromSeconds(29), DateTimeOffset.UtcNow + TimeSpan.FromSeconds(31));

        // Not due: a fetch leaves it where it is (NAK'd with the time it has left), still counted as delayed.
        Assert.Empty(await q.FetchAsync(1, TimeSpan.FromMilliseconds(300), Ct));
        Assert.Equal(1, (await q.GetStatsAsync(Ct)).Delayed);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Streams_consumers_and_buckets_follow_the_documented_layout()
    {
        var options = Options(visibilityMs: 1500);
        var q = await CreateQueueAsync(options);
        var m = Msg(Priority.High, maxRetries: 0);
        await q.PublishAsync([m], "dlv-1", Ct);

        var js = new NatsJSContext(nats.Connection);
        var events = (await js.GetStreamAsync($"{options.Prefix}-events", cancellationToken: Ct)).Info;
        Assert.Equal(StreamConfigRetention.Workqueue, events.Config.Retention);
        Assert.Equal(StreamConfigStorage.File, events.Config.Storage);
        Assert.Equal(TimeSpan.FromSeconds(60), events.Config.DuplicateWindow);
        Assert.Equal(new[] { "high", "low", "normal" }.Select(l => $"{options.Prefix}.events.{l}"), events.Config.Subjects!.Order());
        Assert.Equal(1, events.State.Messages);

        foreach (var lane in new[] { "high", "normal", "low" })
        {
            var consumer = (await js.GetConsumerAsync($"{options.Prefix}-events", $"aof-workers-{lane}", Ct)).Info.Config;
            Assert.Equal($"{options.Prefix}.events.{lane}", consumer.FilterSubject);
            Assert.Equal(TimeSpan.FromMilliseconds(1500), consumer.AckWait);
            Assert.Equal(-1, consumer.MaxDeliver);
            Assert.Equal(ConsumerConfigAckPolicy.Explicit, consumer.AckPolicy);
        }

        // Dedup is JetStream's: the message carries Nats-Msg-Id = the dedup key and its position; no bucket of ours.
        var stored = await (await js.GetStreamAsync($"{options.Prefix}-events", cancellationToken: Ct))
            .GetAsync(new StreamMsgGetRequest { LastBySubj = $"{options.Prefix}.events.high" }, Ct);
        Assert.Equal("dlv-1:0", NatsHeaderNames.Get(NatsHeaderNames.ParseStored(stored.Message.Hdrs), NatsHeaderNames.NatsMsgId));
        await Assert.ThrowsAsync<NatsJSApiException>(async () => await js.GetStreamAsync($"KV_{options.Prefix}-dedup", cancellationToken: Ct));

        var d = await FetchOneAsync(q);
        await q.NackAsync(d, TimeSpan.Zero, "x", Ct);
        var dlq = await js.GetStreamAsync($"{options.Prefix}-dlq", cancellationToken: Ct);
        Assert.Equal(StreamConfigRetention.Limits, dlq.Info.Config.Retention);
        Assert.Equal(1, dlq.Info.State.Messages);
        var entry = await dlq.GetAsync(new StreamMsgGetRequest { LastBySubj = $"{options.Prefix}.dlq.{m.Id}" }, Ct);
        Assert.Equal(m.Body.ToArray(), entry.Message.Data.ToArray());
        // Dead-lettered = terminated: gone from the work-queue stream.
        Assert.Equal(0, (await js.GetStreamAsync($"{options.Prefix}-events", cancellationToken: Ct)).Info.State.Messages);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Acked_messages_are_removed_from_the_work_queue_stream()
    {
        var options = Options();
        var q = await CreateQueueAsync(options);
        await q.PublishAsync(Enumerable.Range(0, 10).Select(i => Msg((Priority)(i % 3))).ToList(), null, Ct);
        var got = await FetchAtLeastAsync(q, 10);
        foreach (var d in got) await q.AckAsync(d, Ct);
        var js = new NatsJSContext(nats.Connection);
        Assert.Equal(0, (await js.GetStreamAsync($"{options.Prefix}-events", cancellationToken: Ct)).Info.State.Messages);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task A_dead_letter_keeps_a_multi_line_error_and_a_huge_one_is_cut_to_fit()
    {
        var q = await CreateQueueAsync();
        var a = Msg(maxRetries: 0);
        var b = Msg(maxRetries: 0);
        await q.PublishAsync([a, b], null, Ct);
        var got = await FetchAtLeastAsync(q, 2);
        const string multiLine = "line one\r\nline two: ünïcode % 100";
        await q.DeadLetterAsync(got.Single(d => d.MessageId == a.Id), DeadLetterReasons.PermanentFailure, multiLine, Ct);
        var huge = new string('x', 3 * 1024 * 1024); // larger than the server's 1 MB max payload
        await q.DeadLetterAsync(got.Single(d => d.MessageId == b.Id), DeadLetterReasons.PermanentFailure, huge, Ct);

        Assert.Equal(multiLine, (await q.DeadLetters.GetAsync(a.Id, Ct))!.LastError);
        var cut = (await q.DeadLetters.GetAsync(b.Id, Ct))!.LastError!;
        Assert.True(cut.Length is > 0 and < 1024 * 1024);
        Assert.All(cut, c => Assert.Equal('x', c));
        Assert.True(await q.PingAsync(Ct));
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task A_message_id_that_is_not_a_subject_token_still_has_its_own_dead_letter()
    {
        var q = await CreateQueueAsync();
        var odd = new OutgoingMessage("a.b *>c", Priority.Normal, "{}"u8.ToArray(), 0);
        await q.PublishAsync([odd, Msg(maxRetries: 0)], "delivery with spaces/and.dots", Ct);
        Assert.True((await q.PublishAsync([Msg()], "delivery with spaces/and.dots", Ct)).Duplicate);
        var got = await FetchAtLeastAsync(q, 2);
        foreach (var d in got) await q.NackAsync(d, TimeSpan.Zero, "no", Ct);
        var entry = await q.DeadLetters.GetAsync("a.b *>c", Ct);
        Assert.NotNull(entry);
        Assert.Equal("a.b *>c", entry.MessageId);
        Assert.Equal(2, (await q.DeadLetters.ListAsync(0, 10, Ct)).Count);
        Assert.True(await q.DeadLetters.PurgeAsync("a.b *>c", Ct));
        Assert.Single(await q.DeadLetters.ListAsync(0, 10, Ct));
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        foreach (var c in _connections) await c.DisposeAsync();
    }
}
