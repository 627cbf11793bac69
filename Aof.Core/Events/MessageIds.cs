using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Aof.Core.Events;

/// <summary>
/// The ids of the messages a delivery becomes. A delivery the platform names (X-GitHub-Delivery, a Slack event id...)
/// gets name-based ids: the first 128 bits of SHA-256 over its dedup key, the match's position and the dedup epoch,
/// written like a ULID (26 Crockford base32 characters). A redelivery within the window therefore carries the same
/// ids as the original without anyone storing or looking them up: a broker that deduplicates on its own (JetStream's
/// Nats-Msg-Id) can answer a redelivery with the first ids. The epoch (time / dedup window) makes a delivery that comes
/// back after the window a new execution with new ids. A redelivery that crosses an epoch boundary was named in the
/// previous epoch: <see cref="ForDelivery(string, int, long)"/> with <see cref="EpochOf"/> - 1 gives those ids.
/// Messages without a delivery name get ULIDs (<see cref="Ulid"/>), sortable by creation time.
/// </summary>
public static class MessageIds
{
    public static long EpochOf(DateTimeOffset at, TimeSpan window) =>
        at.ToUnixTimeMilliseconds() / Math.Max(1L, (long)window.TotalMilliseconds);

    public static string ForDelivery(string dedupKey, int index, DateTimeOffset at, TimeSpan window) =>
        ForDelivery(dedupKey, index, EpochOf(at, window));

    public static string ForDelivery(string dedupKey, int index, long epoch)
    {
        ArgumentException.ThrowIfNullOrEmpty(dedupKey);
        var keyBytes = Encoding.UTF8.GetMaxByteCount(dedupKey.Length);
        var buffer = keyBytes <= 512 ? stackalloc byte[keyBytes + 13] : new byte[keyBytes + 13];
        var length = Encoding.UTF8.GetBytes(dedupKey, buffer);
        // A separator that UTF-8 text never contains keeps "key" + index from colliding with a longer key.
        buffer[length++] = 0xFF;
        BinaryPrimitives.WriteInt32BigEndian(buffer[length..], index);
        length += 4;
        BinaryPrimitives.WriteInt64BigEndian(buffer[length..], epoch);
        length += 8;
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(buffer[..length], hash);
        return Ulid.Encode(hash[..16]);
    }
}
