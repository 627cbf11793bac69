using Aof.Core.Executions;
using Aof.Core.Resources;
using Aof.Runtime.Flows;
using static Aof.Tests.Runtime.RuntimeTestKit;

namespace Aof.Tests.Flows;

/// <summary>Only flows that can suspend look for a saved checkpoint: the others cost no store read per execution.</summary>
public class CheckpointReadTests
{
    [Fact]
    public async Task A_flow_without_wait_or_approval_does_not_read_the_store_for_a_checkpoint()
    {
        var store = new CheckpointCountingStore(FlowTestKit.MemoryStore());
        var flow = Flow("plain", [Node("hello", "Transform", """{"template": "hi"}""")], Edge("start", "hello"));

        var result = await FlowTestKit.Executor(store).ExecuteAsync(flow, Request(), CancellationToken.None).WaitAsync(FlowTestKit.Bound);

        Assert.Equal("hi", result.OutputText);
        Assert.Equal(0, store.CheckpointReads);
    }

    [Theory]
    [InlineData("Wait", """{"seconds": 60}""")]
    [InlineData("Approval", """{"approvers": ["ops"], "timeout_seconds": 60}""")]
    public async Task A_flow_that_can_suspend_reads_its_checkpoint(string type, string config)
    {
        var store = new CheckpointCountingStore(FlowTestKit.MemoryStore());
        var flow = Flow("durable", [Node("pause", type, config)], Edge("start", "pause"));

        await FlowTestKit.Executor(store).ExecuteAsync(flow, Request(), CancellationToken.None).WaitAsync(FlowTestKit.Bound);

        Assert.Equal(1, store.CheckpointReads);
    }

    private sealed class CheckpointCountingStore(IExecutionStore inner) : IExecutionStore
    {
        private int _checkpointReads;
        public int CheckpointReads => _checkpointReads;

        public Task<FlowCheckpointEntry?> GetCheckpointAsync(string id, CancellationToken ct)
        {
            Interlocked.Increment(ref _checkpointReads);
            return inner.GetCheckpointAsync(id, ct);
        }

        public Task RecordQueuedAsync(IReadOnlyList<ExecutionRecord> records, CancellationToken ct) => inner.RecordQueuedAsync(records, ct);
        public Task RecordRunningAsync(string id, int attempt, string worker, DateTimeOffset startedAt, CancellationToken ct) => inner.RecordRunningAsync(id, attempt, worker, startedAt, ct);
        public Task RecordSucceededAsync(string id, string? output, DateTimeOffset finishedAt, CancellationToken ct) => inner.RecordSucceededAsync(id, output, finishedAt, ct);
        public Task RecordAttemptFailedAsync(string id, int attempt, string error, DateTimeOffset finishedAt, CancellationToken ct) => inner.RecordAttemptFailedAsync(id, attempt, error, finishedAt, ct);
        public Task RecordDeadLetteredAsync(string id, string reason, string? error, DateTimeOffset finishedAt, CancellationToken ct) => inner.RecordDeadLetteredAsync(id, reason, error, finishedAt, ct);
        public Task RecordRequeuedAsync(string id, CancellationToken ct) => inner.RecordRequeuedAsync(id, ct);
        public Task<ExecutionRecord?> GetAsync(string id, CancellationToken ct) => inner.GetAsync(id, ct);
        public Task RecordSuspendedAsync(string id, string status, string checkpoint, CancellationToken ct) => inner.RecordSuspendedAsync(id, status, checkpoint, ct);
        public Task<bool> TryTransitionAsync(string id, string fromStatus, string toStatus, string? decision, CancellationToken ct) => inner.TryTransitionAsync(id, fromStatus, toStatus, decision, ct);
        public Task RecordRejectedAsync(string id, string? output, string reason, DateTimeOffset finishedAt, CancellationToken ct) => inner.RecordRejectedAsync(id, output, reason, finishedAt, ct);
    }
}
