using System.Text;
using Aof.Gateway.Platforms.Common;

namespace Aof.Gateway.Platforms.Slack;

/// <summary>
/// Slack's request signing: <c>X-Slack-Signature: v0=</c> hex HMAC-SHA256 of <c>v0:{timestamp}:{raw body}</c>
/// keyed with the signing secret; <c>X-Slack-Request-Timestamp</c> within five minutes of now.
/// </summary>
public static class SlackSignature
{
    public const string SignatureHeader = "X-Slack-Signature";
    public const string TimestampHeader = "X-Slack-Request-Timestamp";
    private const string Prefix = "v0=";

    public static bool Verify(string? signature, string? timestamp, ReadOnlySpan<byte> body, ReadOnlySpan<byte> secret, DateTimeOffset now)
    {
        if (signature is null || timestamp is null || !signature.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        if (!TimestampWindow.IsFresh(timestamp, now)) return false;
        return HmacHex.Verify(secret, BaseString(timestamp, body), signature.AsSpan(Prefix.Length));
    }

    public static string Compute(string timestamp, ReadOnlySpan<byte> body, string secret) =>
        Prefix + HmacHex.Compute(secret, BaseString(timestamp, body));

    private static byte[] BaseString(string timestamp, ReadOnlySpan<byte> body)
    {
        var head = Encoding.ASCII.GetBytes($"v0:{timestamp}:");
        var all = new byte[head.Length + body.Length];
        head.CopyTo(all, 0);
        body.CopyTo(all.AsSpan(head.Length));
        return all;
    }
}
