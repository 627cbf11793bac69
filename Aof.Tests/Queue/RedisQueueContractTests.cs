using Aof.Core.Events;
using Aof.Core.Queue;
using Aof.Core.Queue.Redis;
using Aof.Tests.Infrastructure;
using StackExchange.Redis;

namespace Aof.Tests.Queue;

/// <summary>The queue contract against a real redis-server, plus what only Redis has.</summary>
public sealed class RedisQueueContractTests(RedisServerFixture redis) : QueueContractTests, IClassFixture<RedisServerFixture>
{
    private int _consumers;

    protected override Task<IMessageQueue> CreateQueueCoreAsync(QueueOptions options) =>
        Task.FromResult<IMessageQueue>(new RedisMessageQueue(redis.Connection, options, $"consumer-{++_consumers}"));

    // Another worker: its own consumer name on the same keys and group.
    protected override Task<IMessageQueue> CreateConsumerCoreAsync(IMessageQueue first, QueueOptions options) =>
        Task.FromResult<IMessageQueue>(new RedisMessageQueue(redis.Connection, options, $"consumer-{++_consumers}"));

    // A separate consumer process, killed with SIGKILL while it holds the lease.
    protected override async Task<string> LeaseInAConsumerThatDiesAsync(IMessageQueue queue, QueueOptions options)
    {
        using var probe = QueueProbeProcess.Start("redis", redis.ConnectionString, options);
        var id = await probe.LeasedMessageIdAsync(Ct);
        await probe.KillAsync(Ct);
        return id;
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Acked_entries_are_deleted_from_the_stream()
    {
        var options = Options();
        var q = await CreateQueueAsync(options);
        await q.PublishAsync(Enumerable.Range(0, 10).Select(i => Msg((Priority)(i % 3))).ToList(), null, Ct);
        var got = await FetchAtLeastAsync(q, 10);
        Assert.Equal(10, got.Count);
        foreach (var d in got) await q.AckAsync(d, Ct);

        var keys = new RedisKeys(options.Prefix);
        var db = redis.Connection.GetDatabase();
        foreach (var lane in keys.Lanes) Assert.Equal(0, await db.StreamLengthAsync(lane));
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Keys_follow_the_documented_layout()
    {
        var options = Options();
        var q = await CreateQueueAsync(options);
        var m = Msg(Priority.High, maxRetries: 0);
        await q.PublishAsync([m], "dlv-1", Ct);
        var d = await FetchOneAsync(q);
        await q.NackAsync(d, TimeSpan.Zero, "x", Ct);

        var db = redis.Connection.GetDatabase();
        var tag = "{" + options.Prefix + "}";
        Assert.Equal(m.Id, (string?)await db.StringGetAsync($"{tag}:dedup:dlv-1"));
        Assert.Equal(1, await db.StreamLengthAsync($"{tag}:dlq"));
        Assert.Equal(1, await db.HashLengthAsync($"{tag}:dlq:index"));
        Assert.Equal(0, await db.StreamLengthAsync($"{tag}:events:high"));
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task A_second_process_recovers_the_leases_of_a_dead_one()
    {
        // Two multiplexers = two processes; the first is torn down while holding leases.
        var options = Options(visibilityMs: (int)ShortVisibility.TotalMilliseconds);
        await using var deadConnection = await redis.Server.ConnectAsync();
        var dying = new RedisMessageQueue(deadConnection, options, "dying");
        await dying.InitializeAsync(Ct);
        var sent = Enumerable.Range(0, 5).Select(_ => Msg()).ToList();
        await dying.PublishAsync(sent, null, Ct);
        Assert.Equal(5, (await FetchAtLeastAsync(dying, 5)).Count);
        await deadConnection.CloseAsync(allowCommandsToComplete: false);

        var survivor = await CreateQueueAsync(options);
        var got = await FetchAtLeastAsync(survivor, 5, TimeSpan.FromSeconds(10));
        Assert.Equal(sent.Select(m => m.Id).Order(), got.Select(d => d.MessageId).Order());
        Assert.All(got, d => Assert.Equal(2, d.Attempt));
    }
}

/// <summary>Broker outages: each test owns its redis-server, because it stops it.</summary>
public sealed class RedisQueueOutageTests : IAsyncLifetime
{
    private readonly CancellationTokenSource _cts = new(TimeSpan.FromSeconds(50));
    private RedisServer _server = null!;
    private ConnectionMultiplexer _connection = null!;

    public async Task InitializeAsync()
    {
        _server = await RedisServer.StartNewAsync(appendOnly: true, _cts.Token);
        _connection = await _server.ConnectAsync(timeoutMs: 1000);
    }

    public async Task DisposeAsync()
    {
        await _connection.DisposeAsync();
        await _server.DisposeAsync();
        _cts.Dispose();
    }

    private static OutgoingMessage Msg() => new(Ulid.NewUlid(), Priority.Normal, "{}"u8.ToArray(), 3);

    [Fact(Timeout = 60_000)]
    public async Task Publish_while_redis_is_down_is_unavailable_and_works_again_after_restart()
    {
        var ct = _cts.Token;
        var q = new RedisMessageQueue(_connection, new QueueOptions { Prefix = "outage" }, "w1");
        await q.InitializeAsync(ct);
        var before = Msg();
        await q.PublishAsync([before], null, ct);

        await _server.StopAsync(ct);
        await Assert.ThrowsAsync<QueueUnavailableException>(() => q.PublishAsync([Msg()], null, ct));
        await Assert.ThrowsAsync<QueueUnavailableException>(() => q.FetchAsync(1, TimeSpan.FromMilliseconds(100), ct));
        Assert.False(await q.PingAsync(ct));

        await _server.StartAsync(ct);
        // The multiplexer reconnects on its own; publishing succeeds again within a bounded time.
        var after = Msg();
        var until = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                await q.PublishAsync([after], null, ct);
                break;
            }
            catch (QueueUnavailableException) when (DateTime.UtcNow < until)
            {
                await Task.Delay(100, ct);
            }
        }
        Assert.True(await q.PingAsync(ct));

        // Append-only: the message stored before the outage survived it.
        var got = new List<Delivery>();
        while (got.Count < 2 && DateTime.UtcNow < until) got.AddRange(await q.FetchAsync(2, TimeSpan.FromMilliseconds(200), ct));
        Assert.Equal(new[] { before.Id, after.Id }.Order(), got.Select(d => d.MessageId).Order());
    }

    [Fact(Timeout = 60_000)]
    public async Task Fetch_recreates_the_consumer_group_after_the_streams_were_lost()
    {
        var ct = _cts.Token;
        var q = new RedisMessageQueue(_connection, new QueueOptions { Prefix = "flushed" }, "w1");
        await q.InitializeAsync(ct);
        // As after a restart without persistence: the streams, and with them the group, are gone.
        await _connection.GetDatabase().KeyDeleteAsync(q.Keys.Lanes);

        var m = Msg();
        await q.PublishAsync([m], null, ct);
        var got = await q.FetchAsync(1, TimeSpan.FromSeconds(2), ct);
        Assert.Equal(m.Id, Assert.Single(got).MessageId);
    }
}
