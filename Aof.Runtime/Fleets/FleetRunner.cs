using System.ComponentModel;
using System.Text;
using Aof.Runtime.Agents;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Aof.Runtime.Fleets;

/// <summary>What a fleet run produced: the final answer and, for peer and tiered modes, how the votes fell.</summary>
public sealed record FleetRunResult(string Fleet, string Answer, IReadOnlyList<FleetVote> Votes, ConsensusResult? Consensus);

/// <summary>
/// Runs an AgentFleet in its coordination mode: <c>pipeline</c> (each agent's answer is the next one's input),
/// <c>peer</c> (all in parallel, then consensus), <c>hierarchical</c> (the manager delegates to the others through
/// tools) or <c>tiered</c> (tiers in order, each tier in parallel on the previous tier's results, consensus on the last).
/// A member with <c>replicas: n</c> runs n times; its replicas vote with the fleet's consensus algorithm.
/// </summary>
public sealed partial class FleetRunner(AgentCatalog catalog, AgentRunner runner, ILogger<FleetRunner>? logger = null)
{
    private readonly ILogger _logger = logger ?? NullLogger<FleetRunner>.Instance;

    public Task<FleetRunResult> RunAsync(FleetDefinition fleet, string input, CancellationToken ct) => fleet.Mode switch
    {
        FleetModes.Pipeline => PipelineAsync(fleet, input, ct),
        FleetModes.Hierarchical => HierarchicalAsync(fleet, input, ct),
        FleetModes.Tiered => TieredAsync(fleet, input, ct),
        _ => PeerAsync(fleet, fleet.Members, input, ct),
    };

    private async Task<FleetRunResult> PipelineAsync(FleetDefinition fleet, string input, CancellationToken ct)
    {
        var current = input;
        var votes = new List<FleetVote>();
        foreach (var member in fleet.Members)
        {
            current = await RunMemberAsync(fleet, member, current, ct);
            votes.Add(new FleetVote(member.Name, current, member.Weight));
            LogStage(fleet.Name, member.Name);
        }
        return new FleetRunResult(fleet.Name, current, votes, null);
    }

    private async Task<FleetRunResult> PeerAsync(FleetDefinition fleet, IReadOnlyList<FleetMember> members, string input, CancellationToken ct)
    {
        var votes = await VoteAsync(fleet, members, input, ct);
        var decision = Consensus.Decide(fleet.Consensus, votes);
        LogConsensus(fleet.Name, fleet.Consensus, decision.Key, votes.Count);
        return new FleetRunResult(fleet.Name, decision.Answer, votes, decision);
    }

    private async Task<FleetRunResult> TieredAsync(FleetDefinition fleet, string input, CancellationToken ct)
    {
        var tiers = fleet.Members.GroupBy(m => m.Tier).OrderBy(g => g.Key).ToList();
        var current = input;
        var all = new List<FleetVote>();
        for (var i = 0; i < tiers.Count; i++)
        {
            var members = tiers[i].ToList();
            if (i == tiers.Count - 1)
            {
                var last = await PeerAsync(fleet, members, current, ct);
                all.AddRange(last.Votes);
                return last with { Votes = all };
            }

            var votes = await VoteAsync(fleet, members, current, ct);
            all.AddRange(votes);
            var next = new StringBuilder();
            next.AppendLine(input).AppendLine().AppendLine($"Findings of tier {tiers[i].Key}:");
            foreach (var v in votes) next.AppendLine().AppendLine($"### {v.Member}").AppendLine(v.Answer);
            current = next.ToString();
        }
        throw new InvalidOperationException("a fleet has at least one tier");
    }

    private async Task<FleetRunResult> HierarchicalAsync(FleetDefinition fleet, string input, CancellationToken ct)
    {
        var manager = fleet.Members.First(m => m.Name == fleet.Manager);
        var delegates = fleet.Members.Where(m => m != manager)
            .Select(m => AIFunctionFactory.Create(
                async ([Description("The task for this agent, with all the context it needs")] string task, CancellationToken c) =>
                    await RunMemberAsync(fleet, m, task, c),
                DelegateName(m.Name),
                $"Delegate a task to the '{m.Name}' agent{(m.Role is null ? "" : $" ({m.Role})")} and get its answer."))
            .ToList();
        var answer = (await runner.RunAsync(catalog.Agents[manager.Agent], input, ct, delegates)).Text;
        return new FleetRunResult(fleet.Name, answer, [new FleetVote(manager.Name, answer, manager.Weight)], null);
    }

    /// <summary>Every replica of every member on the same input, in parallel; first_wins stops at the first answer.</summary>
    private async Task<List<FleetVote>> VoteAsync(FleetDefinition fleet, IReadOnlyList<FleetMember> members, string input, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var runs = members.SelectMany(m => Enumerable.Range(0, m.Replicas).Select(_ => RunOneAsync(m, input, cts.Token))).ToList();
        if (fleet.Consensus == ConsensusAlgorithms.FirstWins)
        {
            var pending = runs.ToList();
            var failures = new List<Exception>();
            while (pending.Count > 0)
            {
                var done = await Task.WhenAny(pending);
                pending.Remove(done);
                if (done.IsCompletedSuccessfully)
                {
                    await cts.CancelAsync();
                    await Task.WhenAll(pending.Select(p => p.ContinueWith(_ => { }, TaskScheduler.Default)));
                    return [done.Result];
                }
                failures.Add(done.Exception?.InnerException ?? new OperationCanceledException());
            }
            throw new AggregateException($"every agent of fleet '{fleet.Name}' failed", failures);
        }

        try
        {
            return [.. await Task.WhenAll(runs)];
        }
        catch
        {
            await cts.CancelAsync();
            throw;
        }
    }

    private async Task<FleetVote> RunOneAsync(FleetMember member, string input, CancellationToken ct)
    {
        var result = await runner.RunAsync(catalog.Agents[member.Agent], input, ct);
        return new FleetVote(member.Name, result.Text, member.Weight);
    }

    /// <summary>A member's answer; with replicas, their consensus.</summary>
    private async Task<string> RunMemberAsync(FleetDefinition fleet, FleetMember member, string input, CancellationToken ct)
    {
        if (member.Replicas == 1) return (await RunOneAsync(member, input, ct)).Answer;
        var votes = await VoteAsync(fleet, [member], input, ct);
        return Consensus.Decide(fleet.Consensus, votes).Answer;
    }

    private static string DelegateName(string member) =>
        "delegate_to_" + new string(member.Select(c => char.IsLetterOrDigit(c) ? c : '_').ToArray());

    [LoggerMessage(LogLevel.Debug, "Fleet {Fleet}: stage {Member} done")]
    private partial void LogStage(string fleet, string member);

    [LoggerMessage(LogLevel.Information, "Fleet {Fleet}: {Algorithm} consensus on '{Decision}' among {Votes} answers")]
    private partial void LogConsensus(string fleet, string algorithm, string decision, int votes);
}
