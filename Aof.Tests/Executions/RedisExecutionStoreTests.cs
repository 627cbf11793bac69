using Aof.Core.Executions;
using Aof.Core.Executions.Redis;
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
