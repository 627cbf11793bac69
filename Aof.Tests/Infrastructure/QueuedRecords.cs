using Aof.Core.Executions;

namespace Aof.Tests.Infrastructure;

/// <summary>
/// The NATS store writes queued records unconfirmed (one buffered publish, no reply), so a read right after
/// <see cref="IExecutionStore.RecordQueuedAsync"/> may come before JetStream stored it; the other stores return only
/// once it is there. Tests that read a queued record at once wait for it here.
/// </summary>
public static class QueuedRecords
{
    public static async Task<ExecutionRecord> WaitForAsync(IExecutionStore store, string id, CancellationToken ct = default)
    {
        var until = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            if (await store.GetAsync(id, ct) is { } record) return record;
            if (DateTime.UtcNow > until) throw new TimeoutException($"the queued record {id} never appeared");
            await Task.Delay(10, ct);
        }
    }

    /// <summary>Writes the queued records and waits until each can be read.</summary>
    public static async Task RecordAsync(IExecutionStore store, IReadOnlyList<ExecutionRecord> records, CancellationToken ct = default)
    {
        await store.RecordQueuedAsync(records, ct);
        foreach (var r in records) await WaitForAsync(store, r.Id, ct);
    }
}
