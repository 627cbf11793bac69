using Aof.Core.Executions;
using Aof.Core.Executions.Nats;
using Aof.Tests.Infrastructure;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace Aof.Tests.Executions;

public sealed class NatsExecutionStoreTests(NatsServerFixture nats) : ExecutionStoreContractTests, IClassFixture<NatsServerFixture>
{
    private readonly string _prefix = "x" + Guid.NewGuid().ToString("N")[..10];

    protected override Task<IExecutionStore> CreateStoreAsync(ExecutionOptions options) =>
        Task.FromResult<IExecutionStore>(new NatsExecutionStore(nats.Connection, options, _prefix));

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Records_live_in_a_kv_bucket_whose_max_age_is_the_retention()
    {
        var store = new NatsExecutionStore(nats.Connection, new ExecutionOptions { RetentionHours = 2 }, _prefix);
        await QueuedRecords.RecordAsync(store, [new ExecutionRecord { Id = "r1", TriggerName = "t" }], Ct);

        var kv = new NatsKVContext(new NatsJSContext(nats.Connection));
        var bucket = await kv.GetStoreAsync($"{_prefix}-executions");
        var status = await bucket.GetStatusAsync();
        Assert.Equal(TimeSpan.FromHours(2), status.Info.Config.MaxAge);
        // One revision per record: every write replaces the value and restarts its age.
        Assert.Equal(1, status.Info.Config.MaxMsgsPerSubject);
        var first = await bucket.GetEntryAsync<byte[]>("r1");
        await store.RecordRunningAsync("r1", 1, "w", DateTimeOffset.UtcNow, Ct);
        var second = await bucket.GetEntryAsync<byte[]>("r1");
        Assert.True(second.Revision > first.Revision);
        Assert.True(second.Created >= first.Created);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task An_existing_bucket_keeps_what_the_operator_set_and_takes_the_retention()
    {
        // An operator capped the bucket's size (on a cluster: also replicas, placement); a starting process must not undo it.
        var kv = new NatsKVContext(new NatsJSContext(nats.Connection));
        await kv.CreateStoreAsync(new NatsKVConfig($"{_prefix}-executions")
        {
            MaxBytes = 64L << 20, MaxAge = TimeSpan.FromHours(9), History = 1, Storage = NatsKVStorageType.File,
        });

        var store = new NatsExecutionStore(nats.Connection, new ExecutionOptions { RetentionHours = 2 }, _prefix);
        await QueuedRecords.RecordAsync(store, [new ExecutionRecord { Id = "r1", TriggerName = "t" }], Ct);

        var config = (await (await kv.GetStoreAsync($"{_prefix}-executions")).GetStatusAsync()).Info.Config;
        Assert.Equal(64L << 20, config.MaxBytes);
        Assert.Equal(TimeSpan.FromHours(2), config.MaxAge);
        Assert.Equal("t", (await store.GetAsync("r1", Ct))!.TriggerName);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task A_queued_record_is_created_unconfirmed_and_only_where_none_exists()
    {
        var store = new NatsExecutionStore(nats.Connection, new ExecutionOptions(), _prefix);
        var first = Guid.NewGuid().ToString("N");
        await QueuedRecords.RecordAsync(store, [new ExecutionRecord { Id = first, TriggerName = "t1", Repo = "o/r" }], Ct);
        var r = await store.GetAsync(first, Ct);
        Assert.Equal((ExecutionStatus.Queued, "t1", "o/r"), (r!.Status, r.TriggerName, r.Repo));
        Assert.NotNull(r.QueuedAt);

        // A worker got there first: the gateway's create is dropped by JetStream, the worker's record stays whole.
        var second = Guid.NewGuid().ToString("N");
        await store.RecordRunningAsync(second, 1, "w1", DateTimeOffset.UtcNow, Ct);
        await store.RecordQueuedAsync([new ExecutionRecord { Id = second, TriggerName = "t2" }], Ct);
        // A later create on the same bucket, once visible, was stored after the dropped one: that one was decided.
        await QueuedRecords.RecordAsync(store, [new ExecutionRecord { Id = first + "-after" }], Ct);
        r = await store.GetAsync(second, Ct);
        Assert.Equal((ExecutionStatus.Running, "w1", (string?)null), (r!.Status, r.Worker, r.TriggerName));
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task A_batch_of_queued_records_lands()
    {
        var store = new NatsExecutionStore(nats.Connection, new ExecutionOptions(), _prefix);
        var ids = Enumerable.Range(0, 20).Select(i => $"b{i}").ToList();
        await QueuedRecords.RecordAsync(store, ids.Select(id => new ExecutionRecord { Id = id, Platform = "github" }).ToList(), Ct);
        foreach (var id in ids)
        {
            var r = await store.GetAsync(id, Ct);
            Assert.Equal(ExecutionStatus.Queued, r!.Status);
            Assert.Equal("github", r.Platform);
            Assert.NotNull(r.QueuedAt);
        }
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task An_outcome_written_after_someone_elses_write_keeps_both()
    {
        // The worker's store remembers its "running" revision and writes the outcome without reading; another worker
        // (this one's lease had expired) marked the record running in between, so that shortcut must fall back.
        var worker = new NatsExecutionStore(nats.Connection, new ExecutionOptions(), _prefix);
        var other = new NatsExecutionStore(nats.Connection, new ExecutionOptions(), _prefix);
        var id = Guid.NewGuid().ToString("N");
        await worker.RecordRunningAsync(id, 1, "w1", DateTimeOffset.UtcNow, Ct);
        await other.RecordRunningAsync(id, 2, "w2", DateTimeOffset.UtcNow, Ct);
        await worker.RecordSucceededAsync(id, "done", DateTimeOffset.UtcNow, Ct);

        var r = await worker.GetAsync(id, Ct);
        Assert.Equal(ExecutionStatus.Succeeded, r!.Status);
        Assert.Equal("done", r.Output);
        Assert.Equal((2, "w2"), (r.Attempts, r.Worker));
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task An_outcome_right_after_running_keeps_what_running_kept()
    {
        var worker = new NatsExecutionStore(nats.Connection, new ExecutionOptions(), _prefix);
        var id = Guid.NewGuid().ToString("N");
        await worker.RecordQueuedAsync([new ExecutionRecord { Id = id, TriggerName = "t1" }], Ct);
        await worker.RecordRunningAsync(id, 1, "w1", DateTimeOffset.UtcNow, Ct);
        var kv = await new NatsKVContext(new NatsJSContext(nats.Connection)).GetStoreAsync($"{_prefix}-executions");
        var running = await kv.GetEntryAsync<byte[]>(id);

        await worker.RecordSucceededAsync(id, "done", DateTimeOffset.UtcNow, Ct);

        // One more revision, on top of "running": the remembered record, not a fresh one, was written.
        var done = await kv.GetEntryAsync<byte[]>(id);
        Assert.Equal(running.Revision + 1, done.Revision);
        var r = await worker.GetAsync(id, Ct);
        Assert.Equal(ExecutionStatus.Succeeded, r!.Status);
        Assert.Equal("t1", r.TriggerName);
    }
}
