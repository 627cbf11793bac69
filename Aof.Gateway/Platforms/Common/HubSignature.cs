using System.Text;

namespace Aof.Gateway.Platforms.Common;

/// <summary>"sha256=" + hex HMAC-SHA256 of the raw body: Bitbucket's and Jira's X-Hub-Signature, WhatsApp's X-Hub-Signature-256.</summary>
public static class HubSignature
{
    private const string Prefix = "sha256=";

    public static bool Verify(string? header, ReadOnlySpan<byte> key, ReadOnlySpan<byte> body) =>
        header is not null && header.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) &&
        HmacHex.Verify(key, body, header.AsSpan(Prefix.Length));

    public static string Compute(ReadOnlySpan<byte> body, string secret) => Prefix + HmacHex.Compute(secret, body);
}
