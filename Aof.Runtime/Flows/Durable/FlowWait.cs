using Aof.Core.Executions;

namespace Aof.Runtime.Flows.Durable;

/// <summary>A node's request to suspend the flow (Wait, Approval): the record's status while waiting and the wait's terms.</summary>
public sealed record FlowWait(string Kind, DateTimeOffset Until, ApprovalRequest? Approval = null)
{
    public string Status => Kind == FlowCheckpoint.ApprovalKind ? ExecutionStatus.WaitingApproval : ExecutionStatus.Waiting;
}
