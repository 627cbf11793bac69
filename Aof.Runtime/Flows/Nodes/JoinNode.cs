using System.Text.Json.Nodes;
using Aof.Core.Queue;
using Aof.Core.Resources;
using Aof.Runtime.Execution;

namespace Aof.Runtime.Flows.Nodes;

/// <summary>
/// <c>type: Join</c>: where the branches of a <c>Parallel</c> meet. Config <c>mode</c> (or <c>strategy</c>):
/// <c>all</c> (default: every branch must succeed), <c>any</c> (one is enough), <c>majority</c> (more than half).
/// When the mode is not met the node fails with the branches' errors (retried unless every error was permanent).
/// Output: <c>{mode, succeeded: [...], failed: {branch: error}, results: {branch: output}, first}</c>, branches named
/// by their first node; <c>first</c> is the branch that finished first with success. Every branch runs to its end in
/// every mode (a branch may have side effects that must not be cut half-way).
/// </summary>
public sealed class JoinNode : INodeHandler
{
    public string Type => "Join";

    public Task<NodeResult> ExecuteAsync(FlowNode node, FlowContext context, CancellationToken ct)
    {
        var mode = (NodeConfig.GetString(node.Config, "mode") ?? NodeConfig.GetString(node.Config, "strategy") ?? "all").Trim().ToLowerInvariant();
        if (mode is not ("all" or "any" or "majority")) throw NodeConfig.Invalid("mode", "all, any or majority");
        var inputs = context.JoinInputs
            ?? throw new PermanentExecutionException(DeadLetterReasons.PermanentFailure, "a Join node must follow the branches of a Parallel node");

        var succeeded = inputs.Where(b => b.Error is null).OrderBy(b => b.FinishedOrder).ToList();
        var failed = inputs.Where(b => b.Error is not null).ToList();
        var met = mode switch
        {
            "all" => failed.Count == 0,
            "any" => succeeded.Count > 0,
            _ => succeeded.Count * 2 > inputs.Count,
        };
        if (!met)
        {
            var errors = string.Join("; ", failed.Select(b => $"{b.Branch}: {b.Error!.Message}"));
            var message = $"join mode '{mode}' not met: {succeeded.Count} of {inputs.Count} branches succeeded ({errors})";
            if (failed.All(b => b.Error is PermanentExecutionException))
                throw new PermanentExecutionException(DeadLetterReasons.PermanentFailure, message);
            throw new ExecutionFailedException(message);
        }

        var results = new JsonObject();
        foreach (var b in succeeded) results[b.Branch] = b.Output?.DeepClone();
        var failures = new JsonObject();
        foreach (var b in failed) failures[b.Branch] = b.Error!.Message;
        var output = new JsonObject
        {
            ["mode"] = mode,
            ["succeeded"] = new JsonArray([.. succeeded.Select(b => (JsonNode?)JsonValue.Create(b.Branch))]),
            ["failed"] = failures,
            ["results"] = results,
            ["first"] = succeeded.Count > 0 ? succeeded[0].Branch : null,
        };
        return Task.FromResult(new NodeResult(output));
    }
}

