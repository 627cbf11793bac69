using Aof.Core.Events;

namespace Aof.Runtime.Execution;

/// <summary>
/// One execution: the parsed envelope, the broker's attempt number (authoritative over the envelope's), and
/// the delivery body as received, so executors can hand the event on without re-serializing it.
/// </summary>
public sealed record ExecutionRequest(EventEnvelope Envelope, int Attempt, ReadOnlyMemory<byte> Body)
{
    /// <summary>
    /// Input for an Agent or Fleet target instead of the prompt built from the event (a flow's Agent node
    /// passes its rendered input here); null: the prompt is built from the envelope.
    /// </summary>
    public string? Input { get; init; }

    /// <summary>Whether an Agent or Fleet target replies where the event came from; a flow node sets false and replies itself.</summary>
    public bool PostReply { get; init; } = true;

    public static ExecutionRequest For(EventEnvelope envelope, int attempt = 1) =>
        new(envelope, attempt, EnvelopeCodec.Serialize(envelope));

    /// <summary>The execution record's id (the queue message id); durable flows keep their state under it.</summary>
    public string ExecutionId { get; init; } = Envelope.Id;

    /// <summary>The worker running it (recorded on the execution when a suspended flow resumes).</summary>
    public string? Worker { get; init; }
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
