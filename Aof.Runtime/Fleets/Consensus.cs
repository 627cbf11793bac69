using System.Text.Json;
using Aof.Runtime.Execution;

namespace Aof.Runtime.Fleets;

/// <summary>One agent replica's answer in a fleet, with the weight of its vote.</summary>
public sealed record FleetVote(string Member, string Answer, double Weight);

/// <summary>The fleet's decision and how the votes fell.</summary>
public sealed record ConsensusResult(string Answer, string Key, IReadOnlyDictionary<string, double> Tally);

/// <summary>
/// Decides among peer answers. Answers are compared by their decision: the <c>decision</c> / <c>verdict</c> /
/// <c>answer</c> / <c>vote</c> field of a JSON answer, else the first line, case- and punctuation-insensitive, so
/// "APPROVE." and "approve - looks good" on a first line count as the same vote only when the line says the same.
/// </summary>
public static class Consensus
{
    private static readonly string[] DecisionFields = ["decision", "verdict", "answer", "vote", "result"];

    public static ConsensusResult Decide(string algorithm, IReadOnlyList<FleetVote> votes)
    {
        if (votes.Count == 0) throw new ExecutionFailedException("the fleet produced no answers");
        var keyed = votes.Select(v => (Vote: v, Key: KeyOf(v.Answer))).ToList();
        var tally = keyed.GroupBy(k => k.Key)
            .ToDictionary(g => g.Key, g => algorithm == ConsensusAlgorithms.Weighted ? g.Sum(x => x.Vote.Weight) : g.Count());
        string Describe() => string.Join(", ", tally.OrderByDescending(t => t.Value).Select(t => $"'{t.Key}': {t.Value:0.##}"));

        string winner;
        switch (algorithm)
        {
            case ConsensusAlgorithms.FirstWins:
                winner = keyed[0].Key;
                break;
            case ConsensusAlgorithms.Unanimous:
                if (tally.Count != 1) throw new ExecutionFailedException($"no unanimous consensus among {votes.Count} answers ({Describe()})");
                winner = keyed[0].Key;
                break;
            case ConsensusAlgorithms.Weighted:
                var ordered = tally.OrderByDescending(t => t.Value).ToList();
                if (ordered.Count > 1 && ordered[0].Value == ordered[1].Value)
                    throw new ExecutionFailedException($"weighted consensus is tied ({Describe()})");
                winner = ordered[0].Key;
                break;
            default: // majority
                var top = tally.OrderByDescending(t => t.Value).First();
                if (top.Value * 2 <= votes.Count)
                    throw new ExecutionFailedException($"no majority among {votes.Count} answers ({Describe()})");
                winner = top.Key;
                break;
        }

        return new ConsensusResult(keyed.First(k => k.Key == winner).Vote.Answer, winner, tally);
    }

    public static string KeyOf(string answer)
    {
        var text = answer.Trim();
        var json = Agents.OutputSchemaValidator.StripFence(text);
        if (json.StartsWith('{'))
        {
            try
            {
                using var doc = JsonDocument.Parse(json);
                foreach (var f in DecisionFields)
                    if (doc.RootElement.TryGetProperty(f, out var v) && v.ValueKind is JsonValueKind.String or JsonValueKind.True or JsonValueKind.False or JsonValueKind.Number)
                        return Normalize(v.ToString());
            }
            catch (JsonException)
            {
                // not JSON after all: compare the text
            }
        }
        var firstLine = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "";
        return Normalize(firstLine);
    }

    private static string Normalize(string s) =>
        new string(s.Trim().ToLowerInvariant().Where(c => !char.IsPunctuation(c) || c is '-' or '_').ToArray()).Trim();
}
