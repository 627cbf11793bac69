using System.Text.Json;
using Aof.Core.Executions;
using Aof.Gateway.Webhooks;
using Aof.Runtime.Flows.Durable;

namespace Aof.Gateway.Admin;

/// <summary>
/// Deciding a flow that waits at an Approval node: <c>POST /api/executions/{id}/approve</c> and <c>/reject</c> with
/// <c>{"user": "...", "comment": "..."}</c>, and <c>GET /api/executions/{id}/approval</c> to see what waits.
/// The decision is written to the execution record atomically (only while the status is <c>waiting_approval</c>);
/// the flow's deferred message then brings it back on a worker, which resumes it. Nothing else changes here.
/// </summary>
public static class ApprovalEndpoints
{
    public const int MaxCommentLength = 4000;

    public static RouteGroupBuilder MapAofApprovals(this RouteGroupBuilder api)
    {
        api.MapGet("/executions/{id}/approval", GetApprovalAsync);
        api.MapPost("/executions/{id}/approve", (string id, HttpRequest request, IExecutionStore store, CancellationToken ct) =>
            DecideAsync(id, approved: true, request, store, ct));
        api.MapPost("/executions/{id}/reject", (string id, HttpRequest request, IExecutionStore store, CancellationToken ct) =>
            DecideAsync(id, approved: false, request, store, ct));
        return api;
    }

    private static async Task<IResult> GetApprovalAsync(string id, IExecutionStore store, CancellationToken ct)
    {
        var entry = await store.GetCheckpointAsync(id, ct);
        var checkpoint = FlowCheckpoint.Parse(entry?.Checkpoint);
        if (entry is null || checkpoint is not { Kind: FlowCheckpoint.ApprovalKind, Approval: { } approval })
            return Error(StatusCodes.Status404NotFound, $"execution '{id}' has no approval");
        var decision = ApprovalDecision.Parse(entry.Decision);
        return Results.Json(new ApprovalView(id, entry.Status, checkpoint.Flow, checkpoint.Node, approval.Message, approval.Approvers,
            approval.Fallback, DateTimeOffset.FromUnixTimeMilliseconds(checkpoint.Until),
            decision is null ? null : new DecisionView(decision.Approved, decision.User, decision.Comment, decision.TimedOut,
                DateTimeOffset.FromUnixTimeMilliseconds(decision.At))), AdminJsonContext.Default.ApprovalView);
    }

    private static async Task<IResult> DecideAsync(string id, bool approved, HttpRequest request, IExecutionStore store, CancellationToken ct)
    {
        DecisionRequest? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync(request.Body, AdminJsonContext.Default.DecisionRequest, ct);
        }
        catch (JsonException)
        {
            return Error(StatusCodes.Status400BadRequest, "the body must be JSON: {\"user\": \"<who decides>\", \"comment\": \"<optional>\"}");
        }
        var user = body?.User?.Trim();
        if (string.IsNullOrEmpty(user))
            return Error(StatusCodes.Status400BadRequest, "user is required: {\"user\": \"<who decides>\"}");
        if (body!.Comment is { Length: > MaxCommentLength })
            return Error(StatusCodes.Status400BadRequest, $"comment is longer than {MaxCommentLength} characters");

        var entry = await store.GetCheckpointAsync(id, ct);
        if (entry is null) return Error(StatusCodes.Status404NotFound, $"no execution '{id}'");
        var checkpoint = FlowCheckpoint.Parse(entry.Checkpoint);
        if (entry.Status != ExecutionStatus.WaitingApproval || checkpoint is not { Kind: FlowCheckpoint.ApprovalKind, Approval: { } approval })
            return Error(StatusCodes.Status409Conflict, $"execution '{id}' is not waiting for approval (status {entry.Status})");
        if (!approval.Allows(user))
            return Error(StatusCodes.Status403Forbidden, $"user '{user}' may not decide approval '{checkpoint.Node}' of execution '{id}'");

        var decision = new ApprovalDecision
        {
            Approved = approved,
            User = user,
            Comment = string.IsNullOrWhiteSpace(body.Comment) ? null : body.Comment,
            At = (request.HttpContext.RequestServices.GetService<TimeProvider>() ?? TimeProvider.System).GetUtcNow().ToUnixTimeMilliseconds(),
        };
        // Compare-and-set: of two concurrent deciders (or a decider and the timeout) exactly one wins.
        if (!await store.TryTransitionAsync(id, ExecutionStatus.WaitingApproval, ExecutionStatus.Queued, decision.Serialize(), ct))
            return Error(StatusCodes.Status409Conflict, $"execution '{id}' is no longer waiting for approval");
        return Results.Json(new DecisionResult(id, approved, user, ExecutionStatus.Queued), AdminJsonContext.Default.DecisionResult);
    }

    private static IResult Error(int status, string message) =>
        Results.Json(new ErrorResponse(message), AdminJsonContext.Default.ErrorResponse, statusCode: status);
}

public sealed record DecisionRequest(string? User, string? Comment);

public sealed record DecisionResult(string Id, bool Approved, string User, string Status);

public sealed record DecisionView(bool Approved, string? User, string? Comment, bool TimedOut, DateTimeOffset DecidedAt);

public sealed record ApprovalView(string Id, string Status, string Flow, string Node, string? Message, IReadOnlyList<string> Approvers,
    string Fallback, DateTimeOffset Deadline, DecisionView? Decision);
