using Aof.Core.Queue;

namespace Aof.Runtime.Execution;

/// <summary>
/// A failure that retrying cannot fix (unknown target, bad flow definition...): the processor dead-letters
/// the message at once with <see cref="Reason"/>, one of <see cref="DeadLetterReasons"/>.
/// Every other exception an executor throws is treated as retryable.
/// </summary>
public sealed class PermanentExecutionException(string reason, string message, Exception? inner = null)
    : Exception(message, inner)
{
    public string Reason { get; } = reason;
}
