using System.Text;
using Aof.Gateway.Platforms.Common;
using Aof.Gateway.Platforms.Discord;
using Aof.Gateway.Platforms.Generic;
using Aof.Gateway.Platforms.Slack;

namespace Aof.Tests.Platforms;

/// <summary>The verifiers against the test vectors the platforms and standards publish.</summary>
public sealed class SignatureVectorTests
{
    // RFC 8032, section 7.1: TEST 1 (empty message), TEST 2 (one byte), TEST 3 (two bytes).
    [Theory]
    [InlineData("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")]
    [InlineData("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00")]
    [InlineData("c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a")]
    public void Ed25519_matches_the_RFC_8032_vectors(string seedHex, string publicHex, string messageHex, string signatureHex)
    {
        var seed = Convert.FromHexString(seedHex);
        var message = Convert.FromHexString(messageHex);
        var signature = Convert.FromHexString(signatureHex);
        var publicKey = Convert.FromHexString(publicHex);

        Assert.Equal(publicKey, Ed25519.PublicKeyFromSeed(seed));
        Assert.Equal(signature, Ed25519.Sign(message, seed));
        Assert.True(Ed25519.Verify(signature, message, publicKey));

        var tampered = (byte[])signature.Clone();
        tampered[0] ^= 1;
        Assert.False(Ed25519.Verify(tampered, message, publicKey));
        Assert.False(Ed25519.Verify(signature, [.. message, 0], publicKey));
        Assert.False(Ed25519.Verify(signature[..63], message, publicKey));
    }

    // Slack's "Verifying requests from Slack" walkthrough: its signing secret, timestamp, body and signature.
    [Fact]
    public void Slack_signature_matches_the_documented_example()
    {
        const string secret = "8f742231b10e8888abcd99yyyzzz85a5";
        const string timestamp = "1531420618";
        var body = Encoding.UTF8.GetBytes("token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c");
        const string signature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
        var then = DateTimeOffset.FromUnixTimeSeconds(1531420618);

        Assert.Equal(signature, SlackSignature.Compute(timestamp, body, secret));
        Assert.True(SlackSignature.Verify(signature, timestamp, body, Encoding.UTF8.GetBytes(secret), then.AddSeconds(30)));
        // The same request replayed six minutes later is stale.
        Assert.False(SlackSignature.Verify(signature, timestamp, body, Encoding.UTF8.GetBytes(secret), then.AddMinutes(6)));
    }

    // The Standard Webhooks reference libraries' test vector.
    [Fact]
    public void Standard_webhooks_signature_matches_the_reference_vector()
    {
        var key = StandardWebhookSignature.ParseSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")!;
        const string id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        const string timestamp = "1614265330";
        var body = Encoding.UTF8.GetBytes("""{"test": 2432232314}""");
        const string expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
        var then = DateTimeOffset.FromUnixTimeSeconds(1614265330);

        Assert.Equal(expected, StandardWebhookSignature.Sign(id, timestamp, body, key));
        Assert.True(StandardWebhookSignature.Verify(id, timestamp, $"v1,bm9wZQ== {expected}", body, key, then));
        Assert.False(StandardWebhookSignature.Verify(id, timestamp, expected, body, key, then.AddMinutes(6)));
        Assert.False(StandardWebhookSignature.Verify("msg_other", timestamp, expected, body, key, then));
    }

    // GitHub's "Validating webhook deliveries" example, through the shared sha256= helper Bitbucket, Jira and WhatsApp use.
    [Fact]
    public void Hub_signature_matches_GitHubs_documented_example()
    {
        var body = Encoding.UTF8.GetBytes("Hello, World!");
        const string header = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

        Assert.Equal(header, HubSignature.Compute(body, "It's a Secret to Everybody"));
        Assert.True(HubSignature.Verify(header, Encoding.UTF8.GetBytes("It's a Secret to Everybody"), body));
        Assert.True(HubSignature.Verify(header.ToUpperInvariant().Replace("SHA256=", "sha256="), Encoding.UTF8.GetBytes("It's a Secret to Everybody"), body));
        Assert.False(HubSignature.Verify(header[..^1] + "0", Encoding.UTF8.GetBytes("It's a Secret to Everybody"), body));
        Assert.False(HubSignature.Verify(header[7..], Encoding.UTF8.GetBytes("It's a Secret to Everybody"), body));
    }

    [Theory]
    [InlineData("/deploy@aof_bot prod", "/deploy prod")]
    [InlineData("/deploy@aof_bot", "/deploy")]
    [InlineData("/deploy prod@x", "/deploy prod@x")]
    [InlineData("hello @aof_bot", "hello @aof_bot")]
    public void Telegram_commands_lose_the_bot_name(string text, string expected) =>
        Assert.Equal(expected, Aof.Gateway.Platforms.Telegram.TelegramWebhookPlatform.WithoutBotName(text));
}
