using System.Net;
using System.Text;
using Aof.Core.Events;
using Aof.Gateway.Platforms.Slack;
using Aof.Tests.Gateway;
using static Aof.Tests.Platforms.PlatformGateway;

namespace Aof.Tests.Platforms;

/// <summary>The requests platforms answer themselves: Slack's url_verification and slash commands, Discord's PING, WhatsApp's handshake.</summary>
public sealed class SpecialRequestTests
{
    private const string Secret = PlatformSenders.Secret;

    private static string SlackTriggers => PlatformSenders.Trigger("slack-commands", "Slack", "signing_secret: " + Secret, "/deploy", priority: "high");

    [Fact]
    public async Task Slack_url_verification_echoes_the_challenge_only_when_signed()
    {
        using var app = new GatewayApp(SlackTriggers);
        var client = app.CreateClient();
        var body = Encoding.UTF8.GetBytes("""{"type":"url_verification","token":"x","challenge":"c-123"}""");

        var signed = await SendAsync(client, PlatformSenders.Request("slack", body, "unused"));
        var unsigned = await SendAsync(client, PlatformSenders.Request("slack", body, "unused", Signing.MissingHeader));
        var wrong = await SendAsync(client, PlatformSenders.Request("slack", body, "unused", Signing.WrongSecret));

        Assert.Equal(HttpStatusCode.OK, signed.Status);
        Assert.Equal("c-123", Json(signed.Text).GetProperty("challenge").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, unsigned.Status);
        Assert.DoesNotContain("c-123", unsigned.Text);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.Status);
        Assert.DoesNotContain("c-123", wrong.Text);
        Assert.Empty(await TakeAllAsync(app));
    }

    [Fact]
    public async Task Slack_slash_command_form_post_is_answered_200_and_published_with_command_args_and_priority()
    {
        using var app = new GatewayApp(SlackTriggers);
        var client = app.CreateClient();
        var form = "token=x&team_id=T1&channel_id=C9&user_id=U7&user_name=alice&command=%2Fdeploy&text=prod+now&trigger_id=trig-1";

        var (status, text, _) = await SendAsync(client,
            PlatformSenders.Request("slack", Encoding.UTF8.GetBytes(form), "unused", contentType: "application/x-www-form-urlencoded"));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("ephemeral", Json(text).GetProperty("response_type").GetString());
        var envelope = Assert.Single(await TakeAllAsync(app));
        Assert.Equal(SlackWebhookPlatform.SlashCommandEvent, envelope.EventType);
        Assert.Equal("/deploy", envelope.Metadata.Command);
        Assert.Equal("prod now", envelope.Metadata.Args);
        Assert.Equal("trig-1", envelope.Metadata.DeliveryId);
        Assert.Equal("C9", envelope.Repo);
        Assert.Equal("C9", envelope.Metadata.Channel);
        Assert.Equal("/deploy prod now", envelope.Metadata.Text);
        Assert.Equal("U7", envelope.Metadata.Sender);
        Assert.Equal("T1", envelope.Org);
        // The command's own priority (low) wins over the trigger's (high).
        Assert.Equal(Priority.Low, envelope.Priority);
        var payload = Json(Encoding.UTF8.GetString(envelope.Payload.Span));
        Assert.Equal("prod now", payload.GetProperty("text").GetString());
    }

    [Fact]
    public async Task Slack_unknown_slash_command_is_answered_200_with_a_message_and_nothing_published()
    {
        using var app = new GatewayApp(SlackTriggers);
        var client = app.CreateClient();
        var form = "team_id=T1&channel_id=C9&user_id=U7&command=%2Frollback&text=&trigger_id=trig-2";

        var (status, text, _) = await SendAsync(client,
            PlatformSenders.Request("slack", Encoding.UTF8.GetBytes(form), "unused", contentType: "application/x-www-form-urlencoded"));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("/rollback", Json(text).GetProperty("text").GetString());
        Assert.Empty(await TakeAllAsync(app));
    }

    [Fact]
    public async Task Slack_retry_of_an_event_is_a_duplicate()
    {
        using var app = new GatewayApp(PlatformSenders.Trigger("slack-events", "Slack", "signing_secret: " + Secret, priority: "high"));
        var client = app.CreateClient();
        var body = Encoding.UTF8.GetBytes(PlatformSenders.Sample("slack", "Ev-retry").Body);

        var first = await SendAsync(client, PlatformSenders.Request("slack", body, "Ev-retry"));
        var retry = PlatformSenders.Request("slack", body, "Ev-retry");
        retry.Headers.Add(SlackWebhookPlatform.RetryHeader, "1");
        retry.Headers.Add("X-Slack-Retry-Reason", "http_timeout");
        var second = await SendAsync(client, retry);

        Assert.Equal(HttpStatusCode.Accepted, first.Status);
        Assert.Equal(HttpStatusCode.Accepted, second.Status);
        Assert.True(Json(second.Text).GetProperty("duplicate").GetBoolean());
        var envelope = Assert.Single(await TakeAllAsync(app));
        Assert.Equal(Priority.High, envelope.Priority); // the trigger's priority becomes the lane
        Assert.Equal("C1", envelope.Repo);
    }

    [Fact]
    public async Task Discord_ping_is_answered_with_type_1_only_when_signed()
    {
        using var app = new GatewayApp(PlatformSenders.Triggers);
        var client = app.CreateClient();
        var body = Encoding.UTF8.GetBytes("""{"type":1,"id":"ping-1","application_id":"A1"}""");

        var signed = await SendAsync(client, PlatformSenders.Request("discord", body, "ping-1"));
        var unsigned = await SendAsync(client, PlatformSenders.Request("discord", body, "ping-1", Signing.WrongSecret));

        Assert.Equal(HttpStatusCode.OK, signed.Status);
        Assert.Equal(1, Json(signed.Text).GetProperty("type").GetInt32());
        Assert.Equal(HttpStatusCode.Unauthorized, unsigned.Status);
        Assert.Empty(await TakeAllAsync(app));
    }

    [Fact]
    public async Task Discord_command_is_deferred_with_type_5_and_carries_command_args_and_guild()
    {
        using var app = new GatewayApp(PlatformSenders.Triggers);
        var client = app.CreateClient();
        var (body, _, _) = PlatformSenders.Sample("discord", "int-7");

        var (status, text, _) = await SendAsync(client, PlatformSenders.Request("discord", Encoding.UTF8.GetBytes(body), "int-7"));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(5, Json(text).GetProperty("type").GetInt32());
        var envelope = Assert.Single(await TakeAllAsync(app));
        Assert.Equal("/deploy", envelope.Metadata.Command);
        Assert.Equal("prod", envelope.Metadata.Args);
        Assert.Equal("G1", envelope.Org);
        Assert.Equal("alice", envelope.Metadata.Sender);
    }

    [Fact]
    public async Task Telegram_command_addressed_to_the_bot_selects_the_binding()
    {
        using var app = new GatewayApp(PlatformSenders.Triggers);
        var client = app.CreateClient();
        var (body, _, _) = PlatformSenders.Sample("telegram", "42");

        var (status, _, _) = await SendAsync(client, PlatformSenders.Request("telegram", Encoding.UTF8.GetBytes(body), "42"));

        Assert.Equal(HttpStatusCode.Accepted, status);
        var envelope = Assert.Single(await TakeAllAsync(app));
        Assert.Equal("/deploy", envelope.Metadata.Command);
        Assert.Equal("prod", envelope.Metadata.Args);
        Assert.Equal("-100123", envelope.Repo);
        Assert.Equal("/deploy prod", envelope.Metadata.Text);

        // The normalized fields survive the envelope's wire format.
        var again = EnvelopeCodec.Parse(EnvelopeCodec.Serialize(envelope));
        Assert.Equal(("-100123", "/deploy prod"), (again.Metadata.Channel, again.Metadata.Text));
        Assert.Equal("42", envelope.Metadata.DeliveryId);
    }

    [Fact]
    public async Task WhatsApp_subscription_handshake_echoes_the_challenge_for_the_verify_token_only()
    {
        using var app = new GatewayApp(PlatformSenders.Triggers);
        var client = app.CreateClient();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var ok = await client.GetAsync($"/webhook/whatsapp?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token={PlatformSenders.WhatsAppVerifyToken}", cts.Token);
        var wrong = await client.GetAsync("/webhook/whatsapp?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=guess", cts.Token);
        var noMode = await client.GetAsync($"/webhook/whatsapp?hub.challenge=1158201444&hub.verify_token={PlatformSenders.WhatsAppVerifyToken}", cts.Token);
        var other = await client.GetAsync("/webhook/slack?hub.mode=subscribe", cts.Token);

        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal("1158201444", await ok.Content.ReadAsStringAsync(cts.Token));
        Assert.StartsWith("text/plain", ok.Content.Headers.ContentType?.ToString());
        Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        Assert.DoesNotContain("1158201444", await wrong.Content.ReadAsStringAsync(cts.Token));
        Assert.Equal(HttpStatusCode.Forbidden, noMode.StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, other.StatusCode);
    }

    [Fact]
    public async Task Platform_without_enabled_triggers_answers_404()
    {
        using var app = new GatewayApp(PlatformSenders.Trigger("slack-only", "Slack", "signing_secret: " + Secret));
        var client = app.CreateClient();
        var (body, _, _) = PlatformSenders.Sample("jira", "j-1");

        var (status, _, _) = await SendAsync(client, PlatformSenders.Request("jira", Encoding.UTF8.GetBytes(body), "j-1"));

        Assert.Equal(HttpStatusCode.NotFound, status);
    }

    [Theory]
    [InlineData("""{"type":"message","bot_id":"B9","user":"U9","channel":"C1","text":"the agent's own answer"}""")]
    [InlineData("""{"type":"message","subtype":"bot_message","channel":"C1","text":"another bot"}""")]
    public async Task Slack_messages_posted_by_bots_are_ignored_so_an_agent_cannot_trigger_itself(string evt)
    {
        using var app = new GatewayApp(PlatformSenders.Triggers);
        var client = app.CreateClient();
        await TakeAllAsync(app);
        var body = Encoding.UTF8.GetBytes($$"""{"type":"event_callback","team_id":"T1","event_id":"Ev-bot","event":{{evt}}}""");

        var (status, text, _) = await SendAsync(client, PlatformSenders.Request("slack", body, "Ev-bot"));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("bot message", text);
        Assert.Empty(await TakeAllAsync(app));
        // The same message from a person is taken.
        var human = Encoding.UTF8.GetBytes("""{"type":"event_callback","team_id":"T1","event_id":"Ev-human","event":{"type":"message","user":"U1","channel":"C1","text":"hello"}}""");
        var (humanStatus, _, _) = await SendAsync(client, PlatformSenders.Request("slack", human, "Ev-human"));
        Assert.Equal(HttpStatusCode.Accepted, humanStatus);
        Assert.Single(await TakeAllAsync(app));
    }

    [Fact]
    public async Task Missing_delivery_id_after_a_valid_signature_is_a_400()
    {
        using var app = new GatewayApp(PlatformSenders.Triggers);
        var client = app.CreateClient();
        var body = Encoding.UTF8.GetBytes("""{"type":"event_callback","team_id":"T1","event":{"type":"app_mention","text":"hi"}}""");

        var (status, text, _) = await SendAsync(client, PlatformSenders.Request("slack", body, "x"));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("event_id", text);
        Assert.Empty(await TakeAllAsync(app));
    }

    [Fact]
    public async Task Slack_interaction_payload_is_verified_on_the_form_and_published_as_its_json()
    {
        using var app = new GatewayApp(PlatformSenders.Trigger("slack-buttons", "Slack", "signing_secret: " + Secret + "\n    events: [block_actions]"));
        var client = app.CreateClient();
        var json = """{"type":"block_actions","trigger_id":"trig-b1","team":{"id":"T1"},"user":{"id":"U3"},"channel":{"id":"C4"},"actions":[{"action_id":"approve","value":"deploy-42"}]}""";
        var form = Encoding.UTF8.GetBytes("payload=" + Uri.EscapeDataString(json));

        var (status, _, _) = await SendAsync(client, PlatformSenders.Request("slack", form, "unused", contentType: "application/x-www-form-urlencoded"));
        var tampered = await SendAsync(client, PlatformSenders.Request("slack", [.. form, (byte)'x'], "unused",
            signedBody: form, contentType: "application/x-www-form-urlencoded"));

        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal(HttpStatusCode.Unauthorized, tampered.Status);
        var envelope = Assert.Single(await TakeAllAsync(app));
        Assert.Equal(("block_actions", "approve", "trig-b1"), (envelope.EventType, envelope.Action, envelope.Metadata.DeliveryId));
        Assert.Equal(json, Encoding.UTF8.GetString(envelope.Payload.Span));
    }

    [Fact]
    public async Task Opsgenie_basic_auth_and_custom_token_header_are_each_accepted_only_with_their_token()
    {
        var triggers = PlatformSenders.Trigger("ops-basic", "Opsgenie", "webhook_token: basic-token\n    basic_auth_user: aof") + "\n---\n" +
                       PlatformSenders.Trigger("ops-header", "Opsgenie", "webhook_token: header-token\n    token_header: X-Custom-Token");
        using var app = new GatewayApp(triggers);
        var client = app.CreateClient();

        async Task<(HttpStatusCode Status, string Triggers)> Send(string header, string value)
        {
            var body = Encoding.UTF8.GetBytes(PlatformSenders.Sample("opsgenie", Guid.NewGuid().ToString()).Body);
            var request = PlatformSenders.Request("opsgenie", body, "x", Signing.MissingHeader);
            request.Headers.TryAddWithoutValidation(header, value);
            var status = (await SendAsync(client, request)).Status;
            return (status, string.Join(",", (await TakeAllAsync(app)).Select(e => e.TriggerName)));
        }

        var basic = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("aof:basic-token"));
        var wrongBasic = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("aof:header-token"));
        Assert.Equal((HttpStatusCode.Accepted, "ops-basic"), await Send("Authorization", basic));
        Assert.Equal((HttpStatusCode.Accepted, "ops-header"), await Send("X-Custom-Token", "header-token"));
        Assert.Equal(HttpStatusCode.Unauthorized, (await Send("Authorization", wrongBasic)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Send("X-Custom-Token", "basic-token")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Send("X-Opsgenie-Token", "header-token")).Status);
    }
}
