using System.Security.Cryptography;
using System.Text;

namespace Aof.Gateway.Platforms.Common;

/// <summary>HMAC-SHA256 over raw bytes, as hex; compared in constant time.</summary>
public static class HmacHex
{
    private const int DigestBytes = 32;

    /// <summary>True when <paramref name="hex"/> (64 hex digits, either case) is the HMAC of the message under the key.</summary>
    public static bool Verify(ReadOnlySpan<byte> key, ReadOnlySpan<byte> message, ReadOnlySpan<char> hex)
    {
        if (hex.Length != 2 * DigestBytes) return false;
        Span<byte> expected = stackalloc byte[DigestBytes];
        if (Convert.FromHexString(hex, expected, out _, out var written) != System.Buffers.OperationStatus.Done || written != DigestBytes)
            return false;
        Span<byte> actual = stackalloc byte[DigestBytes];
        HMACSHA256.HashData(key, message, actual);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    public static string Compute(string key, ReadOnlySpan<byte> message) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), message.ToArray()));

    /// <summary>Constant-time equality of two strings' UTF-8 bytes (shared tokens: GitLab, Telegram, Opsgenie).</summary>
    public static bool TokenEquals(string? presented, ReadOnlySpan<byte> expected)
    {
        if (presented is null) return false;
        var bytes = Encoding.UTF8.GetBytes(presented);
        // FixedTimeEquals returns early on a length difference only, which reveals the length, not the content.
        return CryptographicOperations.FixedTimeEquals(bytes, expected);
    }
}
