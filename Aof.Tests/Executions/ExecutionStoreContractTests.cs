using System.Text;
using Aof.Core.Executions;
using Aof.Tests.Infrastructure;

namespace Aof.Tests.Executions;

/// <summary>The execution store contract, run against every store.</summary>
public abstract class ExecutionStoreContractTests
{
    protected const int TestTimeoutMs = 30_000;

    protected abstract Task<IExecutionStore> CreateStoreAsync(ExecutionOptions options);

    protected static readonly CancellationToken Ct = CancellationToken.None;

    private static ExecutionRecord Queued(string id) => new()
    {
        Id = id,
        TriggerName = "pr-review",
        Target = "flow/github-pr-review",
        Platform = "github",
        EventType = "pull_request",
        Action = "opened",
        Repo = "o/r",
        DeliveryId = "d-" + id,
        QueuedAt = DateTimeOffset.UtcNow,
    };

    [Fact(Timeout = TestTimeoutMs)]
    public async Task A_record_moves_through_its_lifecycle()
    {
        var store = await CreateStoreAsync(new ExecutionOptions());
        var id = Guid.NewGuid().ToString("N");
        await store.RecordQueuedAsync([Queued(id)], Ct);
        var r = await QueuedRecords.WaitForAsync(store, id, Ct);
        Assert.Equal(ExecutionStatus.Queued, r.Status);
        Assert.Equal("pr-review", r.TriggerName);
        Assert.Equal("flow/github-pr-review", r.Target);
        Assert.Equal("github", r.Platform);
        Assert.Equal("d-" + id, r.DeliveryId);

        var started = DateTimeOffset.UtcNow;
        await store.RecordRunningAsync(id, 1, "w1", started, Ct);
        await store.RecordAttemptFailedAsync(id, 1, "timeout", started.AddSeconds(2), Ct);
        r = await store.GetAsync(id, Ct);
        Assert.Equal(ExecutionStatus.Failed, r!.Status);
        Assert.Equal("timeout", r.Error);
        Assert.Equal(2000, r.DurationMs);

        await store.RecordRunningAsync(id, 2, "w2", started.AddSeconds(5), Ct);
        await store.RecordSucceededAsync(id, "done", started.AddSeconds(6), Ct);
        r = await store.GetAsync(id, Ct);
        Assert.Equal(ExecutionStatus.Succeeded, r!.Status);
        Assert.Equal(2, r.Attempts);
        Assert.Equal("w2", r.Worker);
        Assert.Equal("done", r.Output);
        Assert.False(r.OutputTruncated);
        Assert.Equal(1000, r.DurationMs);
        Assert.Equal(started.AddSeconds(6).ToUnixTimeMilliseconds(), r.FinishedAt!.Value.ToUnixTimeMilliseconds());

        Assert.Null(await store.GetAsync("missing-" + id, Ct));
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task A_late_queued_write_does_not_move_a_running_record_back()
    {
        var store = await CreateStoreAsync(new ExecutionOptions());
        var id = Guid.NewGuid().ToString("N");
        await store.RecordRunningAsync(id, 1, "w1", DateTimeOffset.UtcNow, Ct);
        await store.RecordQueuedAsync([Queued(id)], Ct);
        Assert.Equal(ExecutionStatus.Running, (await store.GetAsync(id, Ct))!.Status);
        // A write after the late one: on NATS it is stored after it, so the read below comes after both.
        await store.RecordSucceededAsync(id, "done", DateTimeOffset.UtcNow, Ct);
        var r = await store.GetAsync(id, Ct);
        Assert.Equal(ExecutionStatus.Succeeded, r!.Status);
        Assert.Equal(("w1", "done"), (r.Worker, r.Output));
    }

    [Theory(Timeout = TestTimeoutMs)]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_first_run_replaces_the_queued_record_whole_and_a_late_queued_write_does_not_undo_it(bool queuedFirst)
    {
        var store = await CreateStoreAsync(new ExecutionOptions());
        var id = Guid.NewGuid().ToString("N");
        var queued = Queued(id);
        if (queuedFirst) await store.RecordQueuedAsync([queued], Ct);
        var started = DateTimeOffset.UtcNow;
        await store.RecordUntouchedAsync(Running(queued, "w1", started), Ct);
        if (!queuedFirst) await store.RecordQueuedAsync([queued], Ct); // the gateway's write, landing late

        var r = await store.GetAsync(id, Ct);
        Assert.Equal(ExecutionStatus.Running, r!.Status);
        Assert.Equal((1, "w1"), (r.Attempts, r.Worker));
        Assert.Equal(started.ToUnixTimeMilliseconds(), r.StartedAt!.Value.ToUnixTimeMilliseconds());
        Assert.Equal(("pr-review", "flow/github-pr-review", "github", "pull_request", "opened", "o/r", "d-" + id),
            (r.TriggerName, r.Target, r.Platform, r.EventType, r.Action, r.Repo, r.DeliveryId));
        Assert.Equal(queued.QueuedAt!.Value.ToUnixTimeMilliseconds(), r.QueuedAt!.Value.ToUnixTimeMilliseconds());

        await store.RecordSucceededAsync(id, "done", started.AddSeconds(1), Ct);
        r = await store.GetAsync(id, Ct);
        Assert.Equal((ExecutionStatus.Succeeded, "done", 1000L), (r!.Status, r.Output, r.DurationMs));
        Assert.Equal("d-" + id, r.DeliveryId);
    }

    [Theory(Timeout = TestTimeoutMs)]
    [InlineData(false, ExecutionStatus.Succeeded)]
    [InlineData(true, ExecutionStatus.Succeeded)]
    [InlineData(true, ExecutionStatus.Rejected)]
    public async Task An_outcome_written_whole_holds_the_queued_and_running_facts_and_cuts_the_output(bool queuedFirst, string status)
    {
        var store = await CreateStoreAsync(new ExecutionOptions { OutputLimitBytes = 8 });
        var id = Guid.NewGuid().ToString("N");
        var queued = Queued(id);
        if (queuedFirst) await store.RecordQueuedAsync([queued], Ct);
        var started = DateTimeOffset.UtcNow;
        var outcome = Running(queued, "w1", started);
        outcome.Status = status;
        outcome.Output = "0123456789";
        outcome.FinishedAt = started.AddMilliseconds(40);
        if (status == ExecutionStatus.Rejected) outcome.Error = "rejected by bob";
        await store.RecordUntouchedAsync(outcome, Ct);
        if (!queuedFirst) await store.RecordQueuedAsync([queued], Ct); // the gateway's write, landing late

        var r = await store.GetAsync(id, Ct);
        Assert.Equal((status, "01234567", true), (r!.Status, r.Output, r.OutputTruncated));
        Assert.Equal((1, "w1", 40L), (r.Attempts, r.Worker, r.DurationMs));
        Assert.Equal(status == ExecutionStatus.Rejected ? "rejected by bob" : null, r.Error);
        Assert.Equal(("pr-review", "flow/github-pr-review", "o/r", "d-" + id), (r.TriggerName, r.Target, r.Repo, r.DeliveryId));
        Assert.Equal(queued.QueuedAt!.Value.ToUnixTimeMilliseconds(), r.QueuedAt!.Value.ToUnixTimeMilliseconds());
    }

    [Theory(Timeout = TestTimeoutMs)]
    [InlineData(ExecutionStatus.Queued)]
    [InlineData(ExecutionStatus.Failed)]
    [InlineData(ExecutionStatus.WaitingApproval)]
    public async Task Only_running_and_an_outcome_are_written_whole(string status)
    {
        var store = await CreateStoreAsync(new ExecutionOptions());
        var id = Guid.NewGuid().ToString("N");
        var record = Running(Queued(id), "w1", DateTimeOffset.UtcNow);
        record.Status = status;
        var error = await Assert.ThrowsAsync<ArgumentException>(() => store.RecordUntouchedAsync(record, Ct));
        Assert.Contains(status, error.Message);
        Assert.Null(await store.GetAsync(id, Ct));
    }

    private static ExecutionRecord Running(ExecutionRecord queued, string worker, DateTimeOffset started) => new()
    {
        Id = queued.Id,
        Status = ExecutionStatus.Running,
        TriggerName = queued.TriggerName,
        Target = queued.Target,
        Platform = queued.Platform,
        EventType = queued.EventType,
        Action = queued.Action,
        Repo = queued.Repo,
        DeliveryId = queued.DeliveryId,
        QueuedAt = queued.QueuedAt,
        Attempts = 1,
        Worker = worker,
        StartedAt = started,
    };

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Dead_letter_and_requeue_are_recorded()
    {
        var store = await CreateStoreAsync(new ExecutionOptions());
        var id = Guid.NewGuid().ToString("N");
        await store.RecordQueuedAsync([Queued(id)], Ct);
        await store.RecordDeadLetteredAsync(id, "max_retries_exceeded", "boom", DateTimeOffset.UtcNow, Ct);
        var r = await store.GetAsync(id, Ct);
        Assert.Equal(ExecutionStatus.DeadLettered, r!.Status);
        Assert.Equal("max_retries_exceeded", r.DeadLetterReason);
        Assert.Equal("boom", r.Error);

        await store.RecordRequeuedAsync(id, Ct);
        r = await store.GetAsync(id, Ct);
        Assert.Equal(ExecutionStatus.Queued, r!.Status);
        Assert.Null(r.DeadLetterReason);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Output_is_truncated_to_the_limit_on_a_character_boundary()
    {
        var store = await CreateStoreAsync(new ExecutionOptions { OutputLimitBytes = 10 });
        var id = Guid.NewGuid().ToString("N");
        // "aaaaaaaaa" (9 bytes) + "é" (2 bytes) would split the é at byte 10.
        await store.RecordSucceededAsync(id, "aaaaaaaaaé and more", DateTimeOffset.UtcNow, Ct);
        var r = await store.GetAsync(id, Ct);
        Assert.Equal("aaaaaaaaa", r!.Output);
        Assert.True(r.OutputTruncated);

        var id2 = Guid.NewGuid().ToString("N");
        await store.RecordSucceededAsync(id2, "0123456789", DateTimeOffset.UtcNow, Ct);
        r = await store.GetAsync(id2, Ct);
        Assert.Equal("0123456789", r!.Output);
        Assert.False(r.OutputTruncated);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task A_suspended_flow_keeps_its_checkpoint_and_is_not_marked_running_until_it_resumes()
    {
        var store = await CreateStoreAsync(new ExecutionOptions());
        var id = Guid.NewGuid().ToString("N");
        await store.RecordQueuedAsync([Queued(id)], Ct);
        await store.RecordRunningAsync(id, 1, "w1", DateTimeOffset.UtcNow, Ct);
        await store.RecordSuspendedAsync(id, ExecutionStatus.WaitingApproval, """{"node":"approve"}""", Ct);

        // The deferred message comes back to be checked: that is not a resume.
        await store.RecordRunningAsync(id, 1, "w2", DateTimeOffset.UtcNow, Ct);
        var entry = await store.GetCheckpointAsync(id, Ct);
        Assert.NotNull(entry);
        Assert.Equal(ExecutionStatus.WaitingApproval, entry.Status);
        Assert.Equal("""{"node":"approve"}""", entry.Checkpoint);
        Assert.Null(entry.Decision);
        Assert.Equal("w1", (await store.GetAsync(id, Ct))!.Worker);

        // Compare-and-set: a wrong "from" changes nothing; the right one sets status and decision once.
        Assert.False(await store.TryTransitionAsync(id, ExecutionStatus.Waiting, ExecutionStatus.Queued, "{\"approved\":true}", Ct));
        Assert.True(await store.TryTransitionAsync(id, ExecutionStatus.WaitingApproval, ExecutionStatus.Queued, "{\"approved\":true}", Ct));
        Assert.False(await store.TryTransitionAsync(id, ExecutionStatus.WaitingApproval, ExecutionStatus.Queued, "{\"approved\":false}", Ct));
        entry = await store.GetCheckpointAsync(id, Ct);
        Assert.Equal(ExecutionStatus.Queued, entry!.Status);
        Assert.Equal("{\"approved\":true}", entry.Decision);

        await store.RecordRunningAsync(id, 1, "w3", DateTimeOffset.UtcNow, Ct);
        Assert.Equal(ExecutionStatus.Running, (await store.GetAsync(id, Ct))!.Status);

        // A later suspension clears the earlier decision.
        await store.RecordSuspendedAsync(id, ExecutionStatus.Waiting, """{"node":"pause"}""", Ct);
        entry = await store.GetCheckpointAsync(id, Ct);
        Assert.Equal(ExecutionStatus.Waiting, entry!.Status);
        Assert.Null(entry.Decision);
        Assert.Null(await store.GetCheckpointAsync("missing-" + id, Ct));
        Assert.False(await store.TryTransitionAsync("missing-" + id, ExecutionStatus.WaitingApproval, ExecutionStatus.Queued, null, Ct));
        Assert.Null(await store.GetAsync("missing-" + id, Ct));
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task A_rejected_flow_is_recorded_with_its_reason()
    {
        var store = await CreateStoreAsync(new ExecutionOptions());
        var id = Guid.NewGuid().ToString("N");
        var started = DateTimeOffset.UtcNow;
        await store.RecordRunningAsync(id, 1, "w1", started, Ct);
        await store.RecordRejectedAsync(id, "{\"approved\":false}", "approval 'a' timed out after 60s", started.AddSeconds(3), Ct);
        var r = await store.GetAsync(id, Ct);
        Assert.Equal(ExecutionStatus.Rejected, r!.Status);
        Assert.Equal("approval 'a' timed out after 60s", r.Error);
        Assert.Equal("{\"approved\":false}", r.Output);
        Assert.Equal(3000, r.DurationMs);
    }
}

public class OutputTruncationTests
{
    [Theory]
    [InlineData("hello", 10, "hello", false)]
    [InlineData("hello", 5, "hello", false)]
    [InlineData("hello", 4, "hell", true)]
    [InlineData("ab€cd", 4, "ab", true)]   // € is 3 bytes: 2+3 > 4
    [InlineData("ab€cd", 5, "ab€", true)]
    [InlineData("😀😀", 5, "😀", true)]      // a surrogate pair is 4 bytes
    [InlineData("😀😀", 3, "", true)]
    public void Cuts_on_a_utf8_character_boundary(string input, int limit, string expected, bool truncated)
    {
        var cut = OutputTruncation.Truncate(input, limit, out var wasCut);
        Assert.Equal(expected, cut);
        Assert.Equal(truncated, wasCut);
        Assert.True(Encoding.UTF8.GetByteCount(cut!) <= limit);
    }

    [Fact]
    public void Null_stays_null()
    {
        Assert.Null(OutputTruncation.Truncate(null, 10, out var cut));
        Assert.False(cut);
    }
}
