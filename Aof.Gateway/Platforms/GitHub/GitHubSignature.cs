using System.Security.Cryptography;
using System.Text;

namespace Aof.Gateway.Platforms.GitHub;

/// <summary>
/// GitHub's <c>X-Hub-Signature-256</c>: "sha256=" + hex HMAC-SHA256 of the raw body bytes, keyed with the
/// webhook secret. The header is parsed here; the digest is checked by the secret's <see cref="Common.HmacSha256Key"/>,
/// in constant time so the answer time does not reveal how many bytes matched.
/// </summary>
public static class GitHubSignature
{
    public const string HeaderName = "X-Hub-Signature-256";
    private const string Prefix = "sha256=";
    private const int DigestBytes = Common.HmacSha256Key.DigestBytes;

    /// <summary>
    /// Reads the header into its 32 digest bytes. False when it is missing, lacks the prefix, or is not
    /// exactly 64 hex digits (either case is accepted).
    /// </summary>
    public static bool TryParseHeader(string? header, Span<byte> digest)
    {
        if (digest.Length < DigestBytes || header is null || header.Length != Prefix.Length + 2 * DigestBytes) return false;
        if (!header.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase)) return false;
        var status = Convert.FromHexString(header.AsSpan(Prefix.Length), digest, out _, out var written);
        return status == System.Buffers.OperationStatus.Done && written == DigestBytes;
    }

    /// <summary>The header value GitHub would send for <paramref name="body"/> (lowercase hex); for tests and senders.</summary>
    public static string Compute(ReadOnlySpan<byte> body, string secret)
    {
        Span<byte> digest = stackalloc byte[DigestBytes];
        HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body, digest);
        return Prefix + Convert.ToHexStringLower(digest);
    }
}
