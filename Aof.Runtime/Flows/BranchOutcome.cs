using System.Text.Json.Nodes;

namespace Aof.Runtime.Flows;

/// <summary>How one Parallel branch ended: its last output, or its error; <see cref="FinishedOrder"/> counts completions.</summary>
public sealed record BranchOutcome(string Branch, JsonNode? Output, Exception? Error, int FinishedOrder);
