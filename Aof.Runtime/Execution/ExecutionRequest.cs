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
}

/// <summary>What a successful execution produced; <see cref="Output"/> goes to the execution record.</summary>
public sealed record ExecutionResult(string? Output);
