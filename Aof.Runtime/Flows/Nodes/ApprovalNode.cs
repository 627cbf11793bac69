using System.Text.Json.Nodes;
using Aof.Core.Resources;
using Aof.Runtime.Flows.Durable;
using Aof.Runtime.Flows.Expressions;

namespace Aof.Runtime.Flows.Nodes;

/// <summary>
/// <c>type: Approval</c> (AOF also writes <c>HumanApproval</c>): suspends the flow with status <c>waiting_approval</c>
/// until an allowed user calls <c>POST /api/executions/{id}/approve</c> or <c>/reject</c>, or the timeout passes.
/// Config: <c>message</c> (template), <c>approvers</c> (or <c>allowed_users</c>; empty: any admin API caller),
/// <c>timeout_seconds</c> (default 86400), <c>fallback</c> on timeout (<c>reject</c>, default, or <c>approve</c>).
/// Output: <c>{approved, user, comment, timed_out, decided_at}</c>; branch <c>approved</c> or <c>rejected</c>.
/// A rejection follows only connections written for it (<c>when: rejected</c>); with none, the flow ends as rejected.
/// </summary>
public sealed class ApprovalNode(TimeProvider? time = null) : INodeHandler
{
    public const int DefaultTimeoutSecs = 86400;
    public const string Approved = "approved";
    public const string RejectedBranch = "rejected";
    private static readonly string[] Labels = [Approved, RejectedBranch];

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public string Type => "Approval";

    public bool CanSuspend => true;

    public Task<NodeResult> ExecuteAsync(FlowNode node, FlowContext context, CancellationToken ct)
    {
        var config = node.Config;
        var timeout = NodeConfig.GetInt(config, "timeout_seconds", DefaultTimeoutSecs);
        if (timeout <= 0) throw NodeConfig.Invalid("timeout_seconds", "a positive number of seconds");
        var fallback = (NodeConfig.GetString(config, "fallback") ?? "reject").Trim().ToLowerInvariant();
        if (fallback is not ("reject" or "approve")) throw NodeConfig.Invalid("fallback", "reject or approve");

        var request = new ApprovalRequest
        {
            Message = NodeConfig.GetString(config, "message") is { } m ? context.RenderText(m) : null,
            Approvers = Users(config),
            Fallback = fallback,
        };
        var wait = new FlowWait(FlowCheckpoint.ApprovalKind, _time.GetUtcNow().AddSeconds(timeout), request);
        return Task.FromResult(new NodeResult(null) { Suspend = wait });
    }

    /// <summary>The node's result once decided: its output, its branch, and for a rejection why.</summary>
    public static NodeResult Outcome(FlowCheckpoint checkpoint, ApprovalDecision decision)
    {
        var rejectedReason = decision.Approved
            ? null
            : decision.TimedOut
                ? $"approval '{checkpoint.Node}' timed out after {Math.Round((checkpoint.Until - checkpoint.Since) / 1000.0):0}s"
                : $"approval '{checkpoint.Node}' rejected by {decision.User}" + (string.IsNullOrEmpty(decision.Comment) ? "" : $": {decision.Comment}");
        return new NodeResult(decision.ToOutput())
        {
            Branch = decision.Approved ? Approved : RejectedBranch,
            BranchLabels = Labels,
            ExplicitBranchOnly = !decision.Approved,
            Rejected = rejectedReason,
        };
    }

    private static List<string> Users(JsonObject config)
    {
        var node = config["approvers"] ?? config["allowed_users"];
        return node switch
        {
            null => [],
            JsonArray a => [.. a.Select(JsonValues.ToText).Where(u => u.Length > 0)],
            JsonValue v => [.. JsonValues.ToText(v).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)],
            _ => throw NodeConfig.Invalid("approvers", "a list of user names"),
        };
    }
}

/// <summary>AOF's other spelling of <see cref="ApprovalNode"/>.</summary>
public sealed class HumanApprovalNode(TimeProvider? time = null) : INodeHandler
{
    private readonly ApprovalNode _inner = new(time);

    public string Type => "HumanApproval";

    public bool CanSuspend => true;

    public Task<NodeResult> ExecuteAsync(FlowNode node, FlowContext context, CancellationToken ct) => _inner.ExecuteAsync(node, context, ct);
}
