using Aof.Core.Events;
using Aof.Core.Executions;
using Aof.Core.Executions.Redis;
using Aof.Core.Queue;
using Aof.Core.Queue.Redis;
using Aof.Tests.Infrastructure;

namespace Aof.Tests.Executions;

public sealed class RedisExecutionStoreTests(RedisServerFixture redis) : ExecutionStoreContractTests, IClassFixture<RedisServerFixture>
{
    private readonly string _prefix = "x" + Guid.NewGuid().ToString("N")[..10];

    protected override Task<IExecutionStore> CreateStoreAsync(ExecutionOptions options) =>
        Task.FromResult<IExecutionStore>(new RedisExecutionStore(redis.Connection, options, _prefix));

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Every_write_sets_the_retention_as_ttl()
    {
        var store = new RedisExecutionStore(redis.Connection, new ExecutionOptions { RetentionHours = 2 }, _prefix);
        var db = redis.Connection.GetDatabase();
        var key = new RedisKeys(_prefix).Execution("r1");

        await store.RecordQueuedAsync([new ExecutionRecord { Id = "r1", TriggerName = "t" }], Ct);
        var ttl = await db.KeyTimeToLiveAsync(key);
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.FromHours(2) - TimeSpan.FromMinutes(1), TimeSpan.FromHours(2));

        // Shorten it by hand: the next write must renew it.
        await db.KeyExpireAsync(key, TimeSpan.FromMinutes(5));
        await store.RecordRunningAsync("r1", 1, "w", DateTimeOffset.UtcNow, Ct);
        ttl = await db.KeyTimeToLiveAsync(key);
        Assert.InRange(ttl!.Value, TimeSpan.FromHours(2) - TimeSpan.FromMinutes(1), TimeSpan.FromHours(2));
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task A_batch_of_queued_records_lands_in_one_call()
    {
        var store = new RedisExecutionStore(redis.Connection, new ExecutionOptions(), _prefix);
        var ids = Enumerable.Range(0, 20).Select(i => $"b{i}").ToList();
        await store.RecordQueuedAsync(ids.Select(id => new ExecutionRecord { Id = id, Platform = "github" }).ToList(), Ct);
        foreach (var id in ids)
        {
            var r = await store.GetAsync(id, Ct);
            Assert.Equal(ExecutionStatus.Queued, r!.Status);
            Assert.Equal("github", r.Platform);
            Assert.NotNull(r.QueuedAt);
        }
    }
}

/// <summary>
/// The Redis queue stores each message's queued record in its publish script (beside the message, in the queued-records
/// hash): it can be read as soon as the publish returns, the store's first write turns it into the record's hash, the
/// ack removes whatever is left, and a duplicate delivery writes none.
/// </summary>
public sealed class RedisPublishRecordTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    private const int TestTimeoutMs = 30_000;
    private static readonly CancellationToken Ct = CancellationToken.None;
    private readonly string _prefix = "p" + Guid.NewGuid().ToString("N")[..10];

    private static OutgoingMessage Message(string id, DateTimeOffset queuedAt) => new(id, Priority.High, "{}"u8.ToArray(), 3,
        new ExecutionRecord
        {
            Id = id, TriggerName = "pr-opened", Target = "flow/pr-hello", Platform = "github", EventType = "pull_request",
            Action = "opened", Repo = "acme/api", DeliveryId = "d-" + id, QueuedAt = queuedAt,
        });

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Publish_creates_each_messages_record_in_the_same_script()
    {
        var options = new ExecutionOptions { RetentionHours = 5 };
        var queue = new RedisMessageQueue(redis.Connection, new QueueOptions { Prefix = _prefix }, "gw", records: options);
        var store = new RedisExecutionStore(redis.Connection, options, _prefix);
        Assert.True(queue.StoresQueuedRecords);
        var queuedAt = DateTimeOffset.FromUnixTimeMilliseconds(1_795_000_000_123);

        var result = await queue.PublishAsync([Message("m1", queuedAt), Message("m2", queuedAt)], "github:d1", Ct);

        Assert.False(result.Duplicate);
        foreach (var id in new[] { "m1", "m2" })
        {
            var r = await store.GetAsync(id, Ct);
            Assert.NotNull(r);
            Assert.Equal(ExecutionStatus.Queued, r.Status);
            Assert.Equal(("pr-opened", "flow/pr-hello", "github"), (r.TriggerName, r.Target, r.Platform));
            Assert.Equal(("pull_request", "opened", "acme/api", "d-" + id), (r.EventType, r.Action, r.Repo, r.DeliveryId));
            Assert.Equal(queuedAt, r.QueuedAt);
        }

        // The worker's first write makes it the record's own hash, with the retention as TTL.
        var db = redis.Connection.GetDatabase();
        var keys = new RedisKeys(_prefix);
        await store.RecordRunningAsync("m1", 1, "w1", queuedAt.AddSeconds(1), Ct);
        var running = await store.GetAsync("m1", Ct);
        Assert.Equal((ExecutionStatus.Running, "w1", "pr-opened"), (running!.Status, running.Worker, running.TriggerName));
        Assert.Equal(("acme/api", "d-m1", queuedAt), (running.Repo, running.DeliveryId, running.QueuedAt));
        Assert.False(await db.HashExistsAsync(keys.Queued, (string)keys.Execution("m1")!));
        var ttl = await db.KeyTimeToLiveAsync(keys.Execution("m1"));
        Assert.InRange(ttl!.Value, TimeSpan.FromHours(5) - TimeSpan.FromMinutes(1), TimeSpan.FromHours(5));

        // An outcome written without a running write before it (that one failed) still carries the description.
        await store.RecordSucceededAsync("m2", "done", queuedAt.AddSeconds(2), Ct);
        var succeeded = await store.GetAsync("m2", Ct);
        Assert.Equal((ExecutionStatus.Succeeded, "pr-opened", "d-m2"), (succeeded!.Status, succeeded.TriggerName, succeeded.DeliveryId));
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task The_ack_removes_a_queued_record_no_store_write_moved()
    {
        var options = new ExecutionOptions();
        var queue = new RedisMessageQueue(redis.Connection, new QueueOptions { Prefix = _prefix }, "w1", records: options);
        var keys = new RedisKeys(_prefix);
        await queue.InitializeAsync(Ct);
        await queue.PublishAsync([Message("lonely", DateTimeOffset.UtcNow)], null, Ct);
        Assert.True(await redis.Connection.GetDatabase().HashExistsAsync(keys.Queued, (string)keys.Execution("lonely")!));

        var delivery = Assert.Single(await queue.FetchAsync(1, TimeSpan.FromSeconds(5), Ct));
        await queue.AckAsync(delivery, Ct);

        Assert.False(await redis.Connection.GetDatabase().HashExistsAsync(keys.Queued, (string)keys.Execution("lonely")!));
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task A_duplicate_delivery_writes_no_record()
    {
        var options = new ExecutionOptions();
        var queue = new RedisMessageQueue(redis.Connection, new QueueOptions { Prefix = _prefix }, "gw", records: options);
        var store = new RedisExecutionStore(redis.Connection, options, _prefix);
        var now = DateTimeOffset.UtcNow;

        await queue.PublishAsync([Message("first", now)], "github:same", Ct);
        var again = await queue.PublishAsync([Message("second", now)], "github:same", Ct);

        Assert.True(again.Duplicate);
        Assert.Equal(["first"], again.MessageIds);
        Assert.NotNull(await store.GetAsync("first", Ct));
        Assert.Null(await store.GetAsync("second", Ct));
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Without_execution_options_the_queue_leaves_records_to_the_store()
    {
        var queue = new RedisMessageQueue(redis.Connection, new QueueOptions { Prefix = _prefix }, "gw");
        Assert.False(queue.StoresQueuedRecords);

        await queue.PublishAsync([Message("m9", DateTimeOffset.UtcNow)], null, Ct);

        Assert.Null(await new RedisExecutionStore(redis.Connection, new ExecutionOptions(), _prefix).GetAsync("m9", Ct));
        Assert.Equal(1, (await queue.GetStatsAsync(Ct)).Ready);
    }
}
