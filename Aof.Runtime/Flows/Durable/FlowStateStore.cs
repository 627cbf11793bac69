using Aof.Core.Configuration;
using Aof.Core.Executions;
using Microsoft.Extensions.Options;

namespace Aof.Runtime.Flows.Durable;

/// <summary>
/// Suspends and resumes flows through the execution store, so a flow's state lives there and not in a worker:
/// suspending saves a <see cref="FlowCheckpoint"/>; when the deferred message comes back (on any worker) the
/// checkpoint says where to go on, or that the wait is not over yet and the message goes back to sleep.
/// </summary>
public sealed class FlowStateStore
{
    private static readonly TimeSpan MinDefer = TimeSpan.FromMilliseconds(10);

    private readonly IExecutionStore _store;
    private readonly TimeSpan _approvalPoll;

    public FlowStateStore(IExecutionStore store, IOptions<AofOptions> options, TimeProvider? time = null)
    {
        _store = store;
        _approvalPoll = TimeSpan.FromMilliseconds(Math.Max(10, options.Value.Runtime.ApprovalPollMs));
        Time = time ?? TimeProvider.System;
    }

    public TimeProvider Time { get; }

    public Task SuspendAsync(string executionId, FlowWait wait, FlowCheckpoint checkpoint, CancellationToken ct) =>
        _store.RecordSuspendedAsync(executionId, wait.Status, checkpoint.Serialize(), ct);

    /// <summary>The checkpoint of <paramref name="executionId"/> when it belongs to <paramref name="flow"/>, with its record's status and decision.</summary>
    public async Task<(FlowCheckpoint Checkpoint, FlowCheckpointEntry Entry)?> LoadAsync(string executionId, string flow, CancellationToken ct)
    {
        var entry = await _store.GetCheckpointAsync(executionId, ct);
        var checkpoint = FlowCheckpoint.Parse(entry?.Checkpoint);
        if (entry is null || checkpoint is null || checkpoint.Flow != flow || checkpoint.Version != FlowCheckpoint.CurrentVersion) return null;
        return (checkpoint, entry);
    }

    /// <summary>How long the message sleeps before the wait is checked again: a Wait until it is over, an Approval at most one poll.</summary>
    public TimeSpan DeferFor(FlowCheckpoint checkpoint)
    {
        var left = DateTimeOffset.FromUnixTimeMilliseconds(checkpoint.Until) - Time.GetUtcNow();
        if (checkpoint.Kind == FlowCheckpoint.ApprovalKind && left > _approvalPoll) left = _approvalPoll;
        return left < MinDefer ? MinDefer : left;
    }

    /// <summary>
    /// The waiting node's result when its wait is over, or null when the message must sleep again (<see cref="DeferFor"/>).
    /// An approval past its deadline is decided by its fallback here, atomically against a concurrent approve/reject.
    /// </summary>
    public async Task<NodeResult?> TryResumeAsync(Execution.ExecutionRequest request, FlowCheckpoint checkpoint, FlowCheckpointEntry entry, CancellationToken ct)
    {
        var executionId = request.ExecutionId;
        var now = Time.GetUtcNow();
        var due = now.ToUnixTimeMilliseconds() >= checkpoint.Until;
        if (checkpoint.Kind == FlowCheckpoint.WaitKind)
        {
            if (!due) return null;
            // The record says "waiting" until here: the processor's running write does not override a waiting status.
            if (await _store.TryTransitionAsync(executionId, ExecutionStatus.Waiting, ExecutionStatus.Running, null, ct))
                await RecordResumedAsync(request, now, ct);
            return new NodeResult(new System.Text.Json.Nodes.JsonObject
            {
                ["waited_ms"] = Math.Max(0, now.ToUnixTimeMilliseconds() - checkpoint.Since),
            });
        }

        var decision = ApprovalDecision.Parse(entry.Decision);
        if (decision is null)
        {
            if (!due) return null;
            var timeout = new ApprovalDecision
            {
                Approved = string.Equals(checkpoint.Approval?.Fallback, "approve", StringComparison.OrdinalIgnoreCase),
                TimedOut = true,
                At = now.ToUnixTimeMilliseconds(),
            };
            if (await _store.TryTransitionAsync(executionId, ExecutionStatus.WaitingApproval, ExecutionStatus.Running, timeout.Serialize(), ct))
            {
                decision = timeout;
                await RecordResumedAsync(request, now, ct);
            }
            else
            {
                // Someone decided in the meantime: their decision wins.
                var again = await _store.GetCheckpointAsync(executionId, ct);
                decision = ApprovalDecision.Parse(again?.Decision) ?? timeout;
            }
        }
        return Nodes.ApprovalNode.Outcome(checkpoint, decision);
    }

    /// <summary>Which worker resumed it, and since when (the processor's running write was skipped while it waited).</summary>
    private Task RecordResumedAsync(Execution.ExecutionRequest request, DateTimeOffset now, CancellationToken ct) =>
        request.Worker is { } worker
            ? _store.RecordRunningAsync(request.ExecutionId, request.Attempt, worker, now, ct)
            : Task.CompletedTask;
}
