using NATS.Client.Core;
using NATS.Client.JetStream;

namespace Aof.Core.Queue.Nats;

/// <summary>Which NATS errors mean "the broker cannot take this now" (the gateway answers 503) rather than a bug.</summary>
internal static class NatsFailures
{
    /// <summary>JetStream API error code for "no message found" (get / delete of a missing sequence or subject).</summary>
    public const int NoMessageFound = 10037;

    public static bool IsUnavailable(Exception ex) => ex switch
    {
        NatsJSApiException api => api.Error.Code is 503 or 408,
        NATS.Client.KeyValueStore.NatsKVException => false,
        NatsNoRespondersException => true,
        NatsJSPublishNoResponseException => true,
        NatsException => true, // connection lost, request timed out, no connection
        TimeoutException => true,
        _ => false,
    };

    /// <summary>
    /// <see cref="IsUnavailable(Exception)"/>, and also a cancellation that the caller did not ask for: the client
    /// reports its own timeouts (a publish while reconnecting past CommandTimeout) as <see cref="OperationCanceledException"/>.
    /// </summary>
    public static bool IsUnavailable(Exception ex, CancellationToken ct) =>
        ex is OperationCanceledException ? !ct.IsCancellationRequested : IsUnavailable(ex);

    public static bool IsNotFound(Exception ex) =>
        ex is NatsJSApiException { Error: { Code: 404 } or { ErrCode: NoMessageFound } };

    public static QueueUnavailableException Unavailable(string operation, Exception ex) =>
        new($"nats queue unavailable during {operation}: {ex.Message}", ex);
}
