using System.Text;
using Aof.Gateway.Platforms.Common;
using Aof.Gateway.Platforms.GitHub;

namespace Aof.Tests.Gateway;

public class GitHubSignatureTests
{
    // GitHub's documented example (docs: "Validating webhook deliveries").
    private const string DocSecret = "It's a Secret to Everybody";
    private static readonly byte[] DocPayload = Encoding.UTF8.GetBytes("Hello, World!");
    private const string DocSignature = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    // As the gateway checks a delivery: the header parsed, then the digest checked by the secret's key.
    private static bool Verify(byte[] body, string? header, string secret)
    {
        using var key = new HmacSha256Key(Encoding.UTF8.GetBytes(secret));
        Span<byte> expected = stackalloc byte[HmacSha256Key.DigestBytes];
        return GitHubSignature.TryParseHeader(header, expected) && key.Matches(body, expected);
    }

    [Fact]
    public void Documented_example_verifies()
    {
        Assert.True(Verify(DocPayload, DocSignature, DocSecret));
        Assert.Equal(DocSignature, GitHubSignature.Compute(DocPayload, DocSecret));
    }

    [Fact]
    public void Uppercase_hex_is_tolerated()
    {
        var upper = "sha256=" + DocSignature["sha256=".Length..].ToUpperInvariant();
        Assert.True(Verify(DocPayload, upper, DocSecret));
    }

    [Fact]
    public void Wrong_secret_does_not_verify()
    {
        Assert.False(Verify(DocPayload, DocSignature, "It's a Secret to Nobody"));
    }

    [Fact]
    public void A_changed_body_does_not_verify()
    {
        Assert.False(Verify(Encoding.UTF8.GetBytes("Hello, World?"), DocSignature, DocSecret));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("sha256=")]
    [InlineData("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1")] // truncated by one digit
    [InlineData("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e")]  // truncated by one byte
    [InlineData("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1700")] // too long
    [InlineData("sha1=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")]
    [InlineData("757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")]          // no prefix
    [InlineData("sha256=zz7107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")]   // not hex
    public void Missing_or_malformed_headers_never_verify(string? header)
    {
        Assert.False(Verify(DocPayload, header, DocSecret));
    }

    [Fact]
    public async Task A_reused_key_verifies_the_documented_example_on_every_thread_and_after_a_mismatch()
    {
        using var key = new HmacSha256Key(Encoding.UTF8.GetBytes(DocSecret));
        var expected = Convert.FromHexString(DocSignature["sha256=".Length..]);
        var changed = Encoding.UTF8.GetBytes("Hello, World?");

        // Each thread's keyed hash is reset after every use: a mismatch leaves nothing behind for the next request.
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            var ok = true;
            for (var i = 0; i < 200; i++)
            {
                ok &= key.Matches(DocPayload, expected);
                ok &= !key.Matches(changed, expected);
                ok &= !key.Matches(DocPayload, expected.AsSpan(0, 31));
            }
            return ok;
        })));
        Assert.All(results, Assert.True);
    }
}
