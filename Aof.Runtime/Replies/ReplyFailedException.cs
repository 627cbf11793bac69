namespace Aof.Runtime.Replies;

/// <summary>A reply could not be posted. <see cref="Retryable"/>: a later try may succeed (429, 5xx, network).</summary>
public sealed class ReplyFailedException(string message, bool retryable, TimeSpan? retryAfter = null, Exception? inner = null)
    : Exception(message, inner)
{
    public bool Retryable { get; } = retryable;
    public TimeSpan? RetryAfter { get; } = retryAfter;
}
