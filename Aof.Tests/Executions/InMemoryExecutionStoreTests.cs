using Aof.Core.Executions;
using Aof.Core.Executions.InMemory;

namespace Aof.Tests.Executions;

public sealed class InMemoryExecutionStoreTests : ExecutionStoreContractTests
{
    protected override Task<IExecutionStore> CreateStoreAsync(ExecutionOptions options) =>
        Task.FromResult<IExecutionStore>(new InMemoryExecutionStore(options));

    [Fact]
    public async Task Records_past_the_retention_are_dropped()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var store = new InMemoryExecutionStore(new ExecutionOptions { RetentionHours = 1 }, clock);
        await store.RecordRunningAsync("old", 1, "w", clock.GetUtcNow(), Ct);
        clock.Advance(TimeSpan.FromMinutes(59));
        await store.RecordRunningAsync("young", 1, "w", clock.GetUtcNow(), Ct);
        clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Null(await store.GetAsync("old", Ct));
        Assert.NotNull(await store.GetAsync("young", Ct));
        await store.RecordRunningAsync("newest", 1, "w", clock.GetUtcNow(), Ct);
        Assert.Equal(2, store.Count);
    }

    [Fact]
    public async Task Past_the_cap_the_least_recently_changed_record_goes_first()
    {
        var store = new InMemoryExecutionStore(new ExecutionOptions(), TimeProvider.System, maxRecords: 3);
        foreach (var id in new[] { "a", "b", "c" }) await store.RecordRunningAsync(id, 1, "w", DateTimeOffset.UtcNow, Ct);
        await store.RecordSucceededAsync("a", "ok", DateTimeOffset.UtcNow, Ct); // a is now the most recent
        await store.RecordRunningAsync("d", 1, "w", DateTimeOffset.UtcNow, Ct);
        Assert.Equal(3, store.Count);
        Assert.Null(await store.GetAsync("b", Ct));
        Assert.NotNull(await store.GetAsync("a", Ct));
    }

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        private DateTimeOffset _now = now;
        public override DateTimeOffset GetUtcNow() => _now;
        public void Advance(TimeSpan by) => _now += by;
    }
}
