using Aof.Core.Events;
using Aof.Core.Queue;
using Aof.Runtime.Agents;
using Aof.Runtime.Execution;
using Aof.Runtime.Replies;
using Aof.Runtime.Safety;

namespace Aof.Runtime.Fleets;

/// <summary>Runs <c>target.kind: fleet</c>: the fleet works on the event's prompt (or the request's input), the answer is redacted, replied and recorded.</summary>
public sealed class FleetTargetExecutor(AgentCatalog agents, FleetRunner fleets, ReplySender replies, SecretRedactor redactor) : ITargetExecutor
{
    public TargetKind Kind => TargetKind.Fleet;

    public async Task<ExecutionResult> ExecuteAsync(ExecutionRequest request, CancellationToken ct)
    {
        var name = request.Envelope.Target.Name;
        if (!agents.Fleets.TryGetValue(name, out var fleet))
            throw new PermanentExecutionException(DeadLetterReasons.UnknownTarget, $"no AgentFleet named '{name}' is loaded");

        var input = request.Input ?? PromptBuilder.Build(request.Envelope);
        FleetRunResult result;
        try
        {
            result = await fleets.RunAsync(fleet, input, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            throw AgentFailureMapper.Map(ex, redactor);
        }

        var output = redactor.Redact(result.Answer);
        if (request.PostReply)
            await ReplyStep.PostAsync(replies, request.Envelope, output, $"fleet '{name}'", redactor, ct);
        return new ExecutionResult(output);
    }
}
