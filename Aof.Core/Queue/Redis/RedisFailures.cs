using StackExchange.Redis;

namespace Aof.Core.Queue.Redis;

/// <summary>Which Redis errors mean "the broker cannot take this now" (the gateway answers 503) rather than a bug.</summary>
internal static class RedisFailures
{
    public static bool IsUnavailable(Exception ex) => ex switch
    {
        RedisConnectionException or RedisTimeoutException => true,
        RedisServerException s => s.Kind is RedisErrorKind.Loading or RedisErrorKind.MasterDown
            or RedisErrorKind.ClusterDown or RedisErrorKind.TryAgain or RedisErrorKind.Busy
            or RedisErrorKind.OutOfMemory or RedisErrorKind.ReadOnly
            || s.Message.StartsWith("LOADING", StringComparison.Ordinal),
        _ => false,
    };

    /// <summary>The stream or its consumer group is gone (a Redis restart without persistence, a FLUSHALL).</summary>
    public static bool IsNoGroup(Exception ex) =>
        ex is RedisServerException s && s.Message.StartsWith("NOGROUP", StringComparison.Ordinal);

    public static QueueUnavailableException Unavailable(string operation, Exception ex) =>
        new($"redis queue unavailable during {operation}: {ex.Message}", ex);
}
