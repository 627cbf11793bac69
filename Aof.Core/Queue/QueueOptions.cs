namespace Aof.Core.Queue;

/// <summary>Settings every backend honours (DaemonConfig <c>spec.queue</c>).</summary>
public sealed class QueueOptions
{
    /// <summary>memory | redis | nats.</summary>
    public string Type { get; set; } = "memory";

    /// <summary>Broker URL when no connection string is injected (redis: host:port or redis://; nats: nats://...).</summary>
    public string? Url { get; set; }

    /// <summary>Prefix of every key / stream name, so several pipelines can share one broker.</summary>
    public string Prefix { get; set; } = "aof";

    /// <summary>The one consumer group every worker joins.</summary>
    public string ConsumerGroup { get; set; } = "aof-workers";

    public int MaxRetries { get; set; } = 3;

    /// <summary>Base of the exponential backoff.</summary>
    public int RetryDelayMs { get; set; } = 1000;

    /// <summary>Cap of the exponential backoff.</summary>
    public int MaxRetryDelayMs { get; set; } = 60_000;

    /// <summary>A leased message not acked, nacked or renewed within this time is redelivered.</summary>
    public int VisibilityTimeoutMs { get; set; } = 30_000;

    /// <summary>How long a delivery id is remembered for dedup (GitHub redelivers within hours; 24 h default).</summary>
    public int DedupWindowSecs { get; set; } = 86_400;

    public TimeSpan VisibilityTimeout => TimeSpan.FromMilliseconds(VisibilityTimeoutMs);
    public TimeSpan DedupWindow => TimeSpan.FromSeconds(DedupWindowSecs);
}
