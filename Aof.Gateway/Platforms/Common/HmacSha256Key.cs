using System.Security.Cryptography;

namespace Aof.Gateway.Platforms.Common;

/// <summary>
/// An HMAC-SHA256 key that signs on the hot path: each thread keeps its own keyed hash object and resets it after every
/// use, instead of keying a new one per request (the one-shot <c>HMACSHA256.HashData</c> sets up an OpenSSL context
/// each call: ~3.4 against ~2.1 us for a 2 KB body here).
/// </summary>
public sealed class HmacSha256Key : IDisposable
{
    public const int DigestBytes = 32;

    private readonly ThreadLocal<IncrementalHash> _perThread;

    public HmacSha256Key(byte[] key)
    {
        var copy = key.ToArray();
        _perThread = new ThreadLocal<IncrementalHash>(() => IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, copy), trackAllValues: true);
    }

    /// <summary>True when <paramref name="expectedDigest"/> is the HMAC of <paramref name="message"/>; compared in constant time.</summary>
    public bool Matches(ReadOnlySpan<byte> message, ReadOnlySpan<byte> expectedDigest)
    {
        Span<byte> actual = stackalloc byte[DigestBytes];
        var hmac = _perThread.Value!;
        hmac.AppendData(message);
        hmac.GetHashAndReset(actual);
        return expectedDigest.Length == DigestBytes && CryptographicOperations.FixedTimeEquals(actual, expectedDigest);
    }

    public void Dispose()
    {
        foreach (var hmac in _perThread.Values) hmac.Dispose();
        _perThread.Dispose();
    }
}
