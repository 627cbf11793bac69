using Aof.Core.Events;
using Aof.Core.Queue;
using Aof.Runtime.Execution;
using Aof.Runtime.Replies;
using Aof.Runtime.Safety;
using Microsoft.Extensions.Logging;

namespace Aof.Runtime.Agents;

/// <summary>
/// Runs <c>target.kind: agent</c>: the prompt is built from the event (or taken from <see cref="ExecutionRequest.Input"/>),
/// the agent runs, the answer is redacted, replied where the event came from (unless the request says not to),
/// and recorded as the execution's output.
/// </summary>
public sealed partial class AgentTargetExecutor(AgentCatalog agents, AgentRunner runner, ReplySender replies, SecretRedactor redactor, ILogger<AgentTargetExecutor> logger)
    : ITargetExecutor
{
    public TargetKind Kind => TargetKind.Agent;

    public async Task<ExecutionResult> ExecuteAsync(ExecutionRequest request, CancellationToken ct)
    {
        var name = request.Envelope.Target.Name;
        if (!agents.Agents.TryGetValue(name, out var agent))
            throw new PermanentExecutionException(DeadLetterReasons.UnknownTarget, $"no Agent named '{name}' is loaded");

        var input = request.Input ?? PromptBuilder.Build(request.Envelope);
        AgentRunResult result;
        try
        {
            result = await runner.RunAsync(agent, input, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            throw AgentFailureMapper.Map(ex, redactor);
        }

        var output = redactor.Redact(result.Text);
        LogAnswered(name, result.ModelCalls, result.ToolCalls.Count, result.RefusedToolCalls.Count);
        if (request.PostReply)
            await ReplyStep.PostAsync(replies, request.Envelope, output, $"agent '{name}'", redactor, ct);
        return new ExecutionResult(output);
    }

    [LoggerMessage(LogLevel.Information, "Agent {Agent} answered after {ModelCalls} model call(s), {ToolCalls} tool call(s), {Refused} refused")]
    private partial void LogAnswered(string agent, int modelCalls, int toolCalls, int refused);
}

/// <summary>The reply as a step of the execution: failures become retryable step failures that keep the answer in the record.</summary>
public static class ReplyStep
{
    private const int AnswerInErrorChars = 4000;

    public static async Task<ReplyOutcome> PostAsync(ReplySender replies, EventEnvelope envelope, string output, string who, SecretRedactor redactor, CancellationToken ct)
    {
        try
        {
            return await replies.ReplyAsync(envelope, output, ct);
        }
        catch (ReplyFailedException ex)
        {
            // The message is retried like any failed step; the error keeps the answer so the record does not lose it.
            var answer = output.Length > AnswerInErrorChars ? output[..AnswerInErrorChars] + " [truncated]" : output;
            throw new ExecutionFailedException(redactor.Redact($"{who} answered, but the reply failed: {ex.Message}. Answer: {answer}"), ex);
        }
    }
}
