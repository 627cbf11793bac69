using Aof.Core.Events;

namespace Aof.Runtime.Execution;

/// <summary>
/// One execution: the parsed envelope, the broker's attempt number (authoritative over the envelope's), and
/// the delivery body as received, so executors can hand the event on without re-serializing it.
/// </summary>
public sealed record ExecutionRequest(EventEnvelope Envelope, int Attempt, ReadOnlyMemory<byte> Body)
{
    public static ExecutionRequest For(EventEnvelope envelope, int attempt = 1) =>
        new(envelope, attempt, EnvelopeCodec.Serialize(envelope));

    /// <summary>The execution record's id (the queue message id); durable flows keep their state under it.</summary>
    public string ExecutionId { get; init; } = Envelope.Id;

    /// <summary>The worker running it (recorded on the execution when a suspended flow resumes).</summary>
    public string? Worker { get; init; }

    /// <summary>
    /// Set when a flow's Agent or Fleet node runs the target: the node's rendered <c>input</c>, which the agent works
    /// on instead of the prompt it would build from the event. Null for executions straight from a trigger.
    /// </summary>
    public string? Input { get; init; }
}

/// <summary>
/// What an execution produced; <see cref="Output"/> goes to the execution record. A flow that stopped to wait sets
/// <see cref="DeferFor"/>: its state is saved, and the processor defers the delivery by that long instead of acking.
/// A flow that ended on a rejected approval sets <see cref="Rejected"/> (the reason); it is recorded as rejected.
/// </summary>
public sealed record ExecutionResult(string? Output)
{
    public TimeSpan? DeferFor { get; init; }

    public string? Rejected { get; init; }
}
