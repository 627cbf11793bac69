using System.Security.Cryptography;
using System.Text;
using Aof.Gateway.Platforms.Common;

namespace Aof.Gateway.Platforms.Generic;

/// <summary>
/// Standard Webhooks (standardwebhooks.com): <c>webhook-signature</c> is a space-separated list of
/// <c>v1,</c>base64 HMAC-SHA256 signatures of <c>{webhook-id}.{webhook-timestamp}.{raw body}</c>, keyed with the
/// base64 secret (optionally prefixed <c>whsec_</c>); any one verifying is enough; the timestamp must be fresh.
/// </summary>
public static class StandardWebhookSignature
{
    public const string IdHeader = "webhook-id";
    public const string TimestampHeader = "webhook-timestamp";
    public const string SignatureHeader = "webhook-signature";
    private const string SecretPrefix = "whsec_";
    private const string Version = "v1,";

    /// <summary>The key bytes of a secret, or null when it is not base64.</summary>
    public static byte[]? ParseSecret(string secret)
    {
        var text = secret.StartsWith(SecretPrefix, StringComparison.Ordinal) ? secret[SecretPrefix.Length..] : secret;
        try
        {
            var key = Convert.FromBase64String(text);
            return key.Length == 0 ? null : key;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    public static bool Verify(string? id, string? timestamp, string? signatures, ReadOnlySpan<byte> body, ReadOnlySpan<byte> key, DateTimeOffset now)
    {
        if (id is null || timestamp is null || signatures is null || !TimestampWindow.IsFresh(timestamp, now)) return false;
        Span<byte> actual = stackalloc byte[32];
        HMACSHA256.HashData(key, SignedContent(id, timestamp, body), actual);
        Span<byte> presented = stackalloc byte[32];
        var any = false;
        foreach (var part in signatures.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!part.StartsWith(Version, StringComparison.Ordinal)) continue;
            if (Convert.TryFromBase64String(part[Version.Length..], presented, out var written) && written == 32)
                any |= CryptographicOperations.FixedTimeEquals(actual, presented);
        }
        return any;
    }

    public static string Sign(string id, string timestamp, ReadOnlySpan<byte> body, byte[] key) =>
        Version + Convert.ToBase64String(HMACSHA256.HashData(key, SignedContent(id, timestamp, body)));

    private static byte[] SignedContent(string id, string timestamp, ReadOnlySpan<byte> body)
    {
        var head = Encoding.UTF8.GetBytes($"{id}.{timestamp}.");
        var all = new byte[head.Length + body.Length];
        head.CopyTo(all, 0);
        body.CopyTo(all.AsSpan(head.Length));
        return all;
    }
}
