namespace Aof.Core.Queue;

/// <summary>
/// The message is larger than the broker accepts (NATS: the server's <c>max_payload</c>). Nothing was stored;
/// retrying the same message cannot succeed. The gateway answers 413.
/// </summary>
public sealed class MessageTooLargeException(long size, long limit, string message)
    : Exception(message)
{
    /// <summary>Bytes the message would take on the wire (body and headers).</summary>
    public long Size { get; } = size;

    /// <summary>The broker's limit in bytes.</summary>
    public long Limit { get; } = limit;
}
