using System.Net.Http.Headers;
using System.Text;
using Aof.Gateway.Platforms.Bitbucket;
using Aof.Gateway.Platforms.Common;
using Aof.Gateway.Platforms.Discord;
using Aof.Gateway.Platforms.Generic;
using Aof.Gateway.Platforms.GitLab;
using Aof.Gateway.Platforms.Jira;
using Aof.Gateway.Platforms.Opsgenie;
using Aof.Gateway.Platforms.PagerDuty;
using Aof.Gateway.Platforms.Slack;
using Aof.Gateway.Platforms.Telegram;
using Aof.Gateway.Platforms.WhatsApp;

namespace Aof.Tests.Platforms;

/// <summary>How a test request departs from a correctly signed one.</summary>
public enum Signing { Right, WrongSecret, MissingHeader, StaleTimestamp }

/// <summary>
/// Builds requests the way each platform signs them, from the platform's documented algorithm (independent
/// of the adapters: the HMACs are computed here with the BCL, the Ed25519 signature with libsodium's signer).
/// </summary>
public static class PlatformSenders
{
    public const string Secret = "s3cret-for-tests";
    public const string WrongSecret = "not-the-secret";
    public const string WhatsAppVerifyToken = "verify-me";
    public const string OpsgenieToken = "ops-token";

    // Standard Webhooks secrets are base64 key bytes.
    public static readonly byte[] GenericKey = Encoding.UTF8.GetBytes("generic-key-bytes-for-tests-0123");
    public static readonly string GenericSecret = "whsec_" + Convert.ToBase64String(GenericKey);

    public static readonly byte[] DiscordSeed = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
    public static readonly string DiscordPublicKeyHex = Convert.ToHexStringLower(Ed25519.PublicKeyFromSeed(DiscordSeed));

    public static readonly string[] Platforms = ["gitlab", "bitbucket", "slack", "discord", "telegram", "whatsapp", "jira", "pagerduty", "opsgenie", "generic"];
    /// <summary>
    /// Platforms whose signature covers the body. GitLab, Telegram and Opsgenie send a shared token instead (that
    /// is all they offer), so an altered body with the right token cannot be told from an original there.
    /// </summary>
    public static readonly string[] BodySigningPlatforms = ["bitbucket", "slack", "discord", "whatsapp", "jira", "pagerduty", "generic"];

    public static readonly string[] TimestampedPlatforms = ["slack", "discord", "generic"];

    /// <summary>One trigger per platform, each with its secret in config and the reviewer agent as target.</summary>
    public static string Triggers => $"""
        {Trigger("gitlab-bot", "GitLab", "webhook_secret: " + Secret)}
        ---
        {Trigger("bitbucket-bot", "Bitbucket", "webhook_secret: " + Secret)}
        ---
        {Trigger("slack-bot", "Slack", "signing_secret: " + Secret)}
        ---
        {Trigger("discord-bot", "Discord", "public_key: " + DiscordPublicKeyHex, "/deploy")}
        ---
        {Trigger("telegram-bot", "Telegram", "secret_token: " + Secret, "/deploy")}
        ---
        {Trigger("whatsapp-bot", "WhatsApp", $"app_secret: {Secret}\n    verify_token: {WhatsAppVerifyToken}")}
        ---
        {Trigger("jira-bot", "Jira", "webhook_secret: " + Secret)}
        ---
        {Trigger("pagerduty-bot", "PagerDuty", "webhook_secret: " + Secret)}
        ---
        {Trigger("opsgenie-bot", "Opsgenie", "webhook_token: " + OpsgenieToken)}
        ---
        {Trigger("generic-bot", "Generic", "webhook_secret: " + GenericSecret)}
        """;

    public static string Trigger(string name, string type, string config, string? command = null, string? priority = null)
    {
        var commands = command is null ? "" : $"""

              commands:
                {command}:
                  agent: reviewer
                  priority: low
            """;
        return $"""
            apiVersion: aof.dev/v1
            kind: Trigger
            metadata:
              name: {name}
            spec:
              type: {type}
              priority: {priority ?? "normal"}
              default_agent: reviewer
              config:
                {config}{commands}
            """;
    }

    /// <summary>A typical event of the platform: (body, event type and delivery id the envelope must carry).</summary>
    public static (string Body, string EventType, string DeliveryId) Sample(string platform, string id) => platform switch
    {
        "gitlab" => ("""{"object_kind":"merge_request","user":{"username":"alice"},"project":{"path_with_namespace":"acme/api"},"object_attributes":{"action":"open","target_branch":"main"}}""".Replace("@ID@", id), "merge_request", id),
        "bitbucket" => ("""{"repository":{"full_name":"acme/api","workspace":{"slug":"acme"}},"actor":{"nickname":"alice"},"pullrequest":{"destination":{"branch":{"name":"main"}}}}""".Replace("@ID@", id), "pullrequest:created", id),
        "slack" => ("""{"type":"event_callback","team_id":"T1","event_id":"@ID@","event":{"type":"app_mention","user":"U1","channel":"C1","text":"<@B1> hello"}}""".Replace("@ID@", id), "app_mention", id),
        "discord" => ("""{"type":2,"id":"@ID@","guild_id":"G1","channel_id":"C1","member":{"user":{"username":"alice"}},"data":{"name":"deploy","options":[{"name":"env","value":"prod"}]}}""".Replace("@ID@", id), "application_command", id),
        "telegram" => ("""{"update_id":@ID@,"message":{"message_id":5,"from":{"id":7,"username":"alice"},"chat":{"id":-100123,"type":"group"},"text":"/deploy@aof_bot prod"}}""".Replace("@ID@", id), "message", id),
        "whatsapp" => ("""{"object":"whatsapp_business_account","entry":[{"id":"WABA1","changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"PN1"},"messages":[{"id":"@ID@","from":"15550001","type":"text","text":{"body":"hello"}}]}}]}]}""".Replace("@ID@", id), "message", id),
        "jira" => ("""{"webhookEvent":"jira:issue_created","issue_event_type_name":"issue_created","user":{"accountId":"acc-1"},"issue":{"fields":{"summary":"Broken","project":{"key":"OPS"}}}}""".Replace("@ID@", id), "jira:issue_created", id),
        "pagerduty" => ("""{"event":{"id":"@ID@","event_type":"incident.triggered","agent":{"summary":"alice"},"data":{"title":"DB down","service":{"id":"PSVC1","summary":"db"}}}}""".Replace("@ID@", id), "incident", id),
        "opsgenie" => ("""{"action":"Create","alert":{"alertId":"@ID@","message":"CPU high","username":"alice","updatedAt":1700000000}}""".Replace("@ID@", id), "alert", $"{id}:Create:1700000000"),
        "generic" => ("""{"type":"invoice.paid","data":{"id":"inv_1"}}""".Replace("@ID@", id), "invoice", id),
        _ => throw new ArgumentOutOfRangeException(nameof(platform)),
    };

    public static string NewId(string platform) => platform == "telegram"
        ? Random.Shared.NextInt64(1, long.MaxValue / 2).ToString()
        : Guid.NewGuid().ToString("N");

    /// <summary>
    /// A POST to /webhook/{platform} with <paramref name="body"/>, signed over <paramref name="signedBody"/>
    /// (the same bytes unless a test alters the body after signing).
    /// </summary>
    public static HttpRequestMessage Request(string platform, byte[] body, string id, Signing signing = Signing.Right,
        byte[]? signedBody = null, string contentType = "application/json", DateTimeOffset? now = null)
    {
        signedBody ??= body;
        var request = new HttpRequestMessage(HttpMethod.Post, $"/webhook/{platform}") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        var secret = signing == Signing.WrongSecret ? WrongSecret : Secret;
        var missing = signing == Signing.MissingHeader;
        var time = (now ?? DateTimeOffset.UtcNow) - (signing == Signing.StaleTimestamp ? TimeSpan.FromMinutes(6) : TimeSpan.Zero);
        var ts = time.ToUnixTimeSeconds().ToString();
        void Add(string name, string value) => request.Headers.TryAddWithoutValidation(name, value);

        switch (platform)
        {
            case "gitlab":
                Add(GitLabWebhookPlatform.UuidHeader, id);
                Add("X-Gitlab-Event", "Merge Request Hook");
                if (!missing) Add(GitLabWebhookPlatform.TokenHeader, secret);
                break;
            case "bitbucket":
                Add(BitbucketWebhookPlatform.UuidHeader, id);
                Add(BitbucketWebhookPlatform.EventHeader, "pullrequest:created");
                if (!missing) Add(BitbucketWebhookPlatform.SignatureHeader, "sha256=" + Hmac(secret, signedBody));
                break;
            case "slack":
                Add(SlackSignature.TimestampHeader, ts);
                if (!missing) Add(SlackSignature.SignatureHeader, "v0=" + Hmac(secret, Concat($"v0:{ts}:", signedBody)));
                break;
            case "discord":
                Add(DiscordWebhookPlatform.TimestampHeader, ts);
                var seed = signing == Signing.WrongSecret ? DiscordSeed.Select(b => (byte)(b ^ 0xff)).ToArray() : DiscordSeed;
                if (!missing) Add(DiscordWebhookPlatform.SignatureHeader, Convert.ToHexStringLower(Ed25519.Sign(Concat(ts, signedBody), seed)));
                break;
            case "telegram":
                if (!missing) Add(TelegramWebhookPlatform.TokenHeader, secret);
                break;
            case "whatsapp":
                if (!missing) Add(WhatsAppWebhookPlatform.SignatureHeader, "sha256=" + Hmac(secret, signedBody));
                break;
            case "jira":
                Add(JiraWebhookPlatform.IdentifierHeader, id);
                if (!missing) Add(JiraWebhookPlatform.SignatureHeader, "sha256=" + Hmac(secret, signedBody));
                break;
            case "pagerduty":
                // Two signatures, as during a secret rotation: the old one first.
                if (!missing) Add(PagerDutyWebhookPlatform.SignatureHeader, $"v1={Hmac("retired-secret", signedBody)},v1={Hmac(secret, signedBody)}");
                break;
            case "opsgenie":
                if (!missing) Add(OpsgenieWebhookPlatform.DefaultTokenHeader, signing == Signing.WrongSecret ? WrongSecret : OpsgenieToken);
                break;
            case "generic":
                Add(StandardWebhookSignature.IdHeader, id);
                Add(StandardWebhookSignature.TimestampHeader, ts);
                var key = signing == Signing.WrongSecret ? Encoding.UTF8.GetBytes(WrongSecret) : GenericKey;
                if (!missing)
                    Add(StandardWebhookSignature.SignatureHeader,
                        $"v1,{Convert.ToBase64String(new byte[32])} v1,{Convert.ToBase64String(System.Security.Cryptography.HMACSHA256.HashData(key, Concat($"{id}.{ts}.", signedBody)))}");
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(platform));
        }
        return request;
    }

    public static string Hmac(string secret, byte[] message) =>
        Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), message));

    public static byte[] Concat(string head, byte[] body) => [.. Encoding.UTF8.GetBytes(head), .. body];
}
