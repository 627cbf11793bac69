using Aof.Core.Queue;

namespace Aof.Runtime.Processing;

/// <summary>
/// Backoff before a failed delivery is tried again: exponential from <see cref="QueueOptions.RetryDelayMs"/>,
/// capped at <see cref="QueueOptions.MaxRetryDelayMs"/>, with full jitter (uniform between zero and the
/// ceiling) so a burst of failures does not come back as a burst.
/// </summary>
public sealed class RetryPolicy(QueueOptions options, Random? random = null)
{
    private readonly Random _random = random ?? Random.Shared;

    /// <summary>The largest delay after failed attempt <paramref name="attempt"/> (1-based): base * 2^(attempt-1), capped.</summary>
    public TimeSpan Ceiling(int attempt)
    {
        var baseMs = Math.Max(0, options.RetryDelayMs);
        var capMs = Math.Max(baseMs, options.MaxRetryDelayMs);
        var exponent = Math.Clamp(attempt - 1, 0, 40);
        return TimeSpan.FromMilliseconds(Math.Min(capMs, baseMs * Math.Pow(2, exponent)));
    }

    public TimeSpan NextDelay(int attempt) =>
        TimeSpan.FromMilliseconds(_random.NextDouble() * Ceiling(attempt).TotalMilliseconds);
}
