using System.Text;
using System.Text.Json;
using Aof.Core.Resources;
using Aof.Core.Triggers;
using Aof.Gateway.Platforms.Common;
using Aof.Gateway.Webhooks;

namespace Aof.Gateway.Platforms.Slack;

/// <summary>
/// Slack: Events API (JSON), slash commands and interactivity (form posts). The signature and timestamp are
/// checked first, for every kind of request, so the url_verification challenge is only echoed to Slack.
/// Dedup: the event id (a Slack retry, <c>X-Slack-Retry-Num</c>, carries the same id and is answered as a
/// duplicate), the trigger id for commands and interactions.
/// </summary>
public sealed class SlackWebhookPlatform(PlatformServices services) : SignedWebhookPlatform<byte[]>(services)
{
    public const string PlatformName = "slack";
    public const string RetryHeader = "X-Slack-Retry-Num";
    public const string SlashCommandEvent = "slash_command";

    public override string Name => PlatformName;
    protected override string TriggerType => "Slack";
    protected override string SecretKey => "signing_secret";
    protected override string SignatureDescription => $"{SlackSignature.SignatureHeader} or stale {SlackSignature.TimestampHeader}";

    protected override byte[] ParseKey(string secret, TriggerResource trigger) => Encoding.UTF8.GetBytes(secret);

    protected override bool Verify(HttpRequest request, ReadOnlySpan<byte> body, byte[] key, DateTimeOffset now) =>
        SlackSignature.Verify(DeliveryHeaders.Optional(request, SlackSignature.SignatureHeader),
            DeliveryHeaders.Optional(request, SlackSignature.TimestampHeader), body, key, now);

    protected override PlatformDelivery Read(HttpRequest request, ReadOnlyMemory<byte> body)
    {
        if (!FormFields.IsForm(request.ContentType)) return ReadEvent(body);

        var fields = FormFields.Parse(body.Span);
        if (fields.TryGetValue("payload", out var interaction)) return ReadInteraction(Encoding.UTF8.GetBytes(interaction));
        if (fields.TryGetValue("command", out var command)) return ReadCommand(fields, command);
        throw new WebhookFormatException("Slack form post has neither 'command' nor 'payload'");
    }

    private static PlatformDelivery ReadEvent(ReadOnlyMemory<byte> body)
    {
        using var doc = JsonFields.ParseObject(body);
        var root = doc.RootElement;
        var type = JsonFields.Text(root, "type") ?? throw new WebhookFormatException("body has no type");
        if (type == "url_verification")
        {
            var challenge = JsonFields.Text(root, "challenge") ?? throw new WebhookFormatException("url_verification has no challenge");
            return PlatformDelivery.Answer(new WebhookResult(WebhookResult.Outcomes.Ping, StatusCodes.Status200OK, new SlackChallenge(challenge)));
        }
        if (type != "event_callback") throw new WebhookFormatException($"unsupported Slack request type '{type}'");

        // Messages posted by bots (ours included: an agent replying in the thread) are not events to act on: taking
        // them would let an agent trigger itself in a loop. Slack marks them with event.bot_id or subtype bot_message.
        if (JsonFields.Text(root, "event", "bot_id") is not null || JsonFields.Text(root, "event", "subtype") == "bot_message")
            return PlatformDelivery.Answer(new WebhookResult(WebhookResult.Outcomes.Ignored, StatusCodes.Status200OK, new WebhookIgnored("bot message")));

        var ev = new PlatformEvent
        {
            Platform = PlatformName,
            EventType = JsonFields.Text(root, "event", "type") ?? throw new WebhookFormatException("event_callback has no event.type"),
            Action = JsonFields.Text(root, "event", "subtype"),
            Org = JsonFields.Text(root, "team_id"),
            Channel = JsonFields.FirstText(root, ["event", "channel"], ["event", "item", "channel"]),
            User = JsonFields.Text(root, "event", "user"),
            Text = JsonFields.Text(root, "event", "text"),
            DeliveryId = DeliveryHeaders.RequiredField(JsonFields.Text(root, "event_id"), "event_id"),
        };
        return PlatformDelivery.Of(ev, body);
    }

    private static PlatformDelivery ReadCommand(Dictionary<string, string> fields, string command)
    {
        fields.TryGetValue("text", out var args);
        var ev = new PlatformEvent
        {
            Platform = PlatformName,
            EventType = SlashCommandEvent,
            Org = fields.GetValueOrDefault("team_id"),
            Channel = fields.GetValueOrDefault("channel_id"),
            User = fields.GetValueOrDefault("user_id"),
            // "/deploy" + " prod": the command binding and its args are read from this like a chat message.
            Text = string.IsNullOrWhiteSpace(args) ? command : $"{command} {args}",
            DeliveryId = DeliveryHeaders.RequiredField(fields.GetValueOrDefault("trigger_id"), "trigger_id"),
        };
        return PlatformDelivery.Of(ev, FormFields.ToJson(fields));
    }

    private static PlatformDelivery ReadInteraction(byte[] json)
    {
        using var doc = JsonFields.ParseObject(json);
        var root = doc.RootElement;
        var ev = new PlatformEvent
        {
            Platform = PlatformName,
            EventType = JsonFields.Text(root, "type") ?? throw new WebhookFormatException("interaction payload has no type"),
            Action = JsonFields.Text(root, "actions", "0", "action_id"),
            Org = JsonFields.Text(root, "team", "id"),
            Channel = JsonFields.Text(root, "channel", "id"),
            User = JsonFields.Text(root, "user", "id"),
            Text = JsonFields.Text(root, "actions", "0", "value"),
            DeliveryId = DeliveryHeaders.RequiredField(JsonFields.FirstText(root, ["trigger_id"], ["actions", "0", "action_ts"]), "trigger_id"),
        };
        return PlatformDelivery.Of(ev, json);
    }

    // A slash command must be answered with 200 within 3 s; the text is shown only to the user who typed it.
    protected override WebhookResult Accepted(PublishOutcome published, PlatformEvent ev) => ev.EventType == SlashCommandEvent
        ? new WebhookResult(published.Duplicate ? WebhookResult.Outcomes.Duplicate : WebhookResult.Outcomes.Accepted, StatusCodes.Status200OK,
            new SlackCommandReply("ephemeral", $"Accepted: {published.Ids.Count} run(s) queued."))
        : base.Accepted(published, ev);

    protected override WebhookResult Unmatched(PlatformEvent ev) => ev.EventType == SlashCommandEvent
        ? new WebhookResult(WebhookResult.Outcomes.Unmatched, StatusCodes.Status200OK,
            new SlackCommandReply("ephemeral", $"No AOF trigger handles {SlashCommand.Parse(ev.Text)?.Command ?? "this command"}."))
        : base.Unmatched(ev);
}
