using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Web;
using Aof.Core.Events;
using Aof.Core.Executions;
using Aof.Core.Queue;
using Microsoft.Extensions.DependencyInjection;

namespace Aof.Tests.Gateway;

public class WebhookEndpointTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private static async Task<(HttpStatusCode Status, JsonElement Json, HttpResponseMessage Response)> SendAsync(HttpClient client, HttpRequestMessage request)
    {
        using var cts = new CancellationTokenSource(Bound);
        var response = await client.SendAsync(request, cts.Token);
        var text = await response.Content.ReadAsStringAsync(cts.Token);
        var json = text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
        return (response.StatusCode, json, response);
    }

    private static async Task<long> ReadyAsync(GatewayApp app) => (await app.Queue.GetStatsAsync(CancellationToken.None)).Ready;

    private static async Task<IReadOnlyList<EventEnvelope>> TakeAllAsync(GatewayApp app)
    {
        var deliveries = await app.Queue.FetchAsync(100, TimeSpan.FromMilliseconds(200), CancellationToken.None);
        return deliveries.Select(d => EnvelopeCodec.Parse(d.Body)).ToList();
    }

    [Fact]
    public async Task Matching_delivery_is_published_answered_202_with_ids_and_recorded_as_queued()
    {
        using var app = new GatewayApp();
        var client = app.CreateClient();

        var (status, json, _) = await SendAsync(client, GatewayApp.Delivery("pull_request", GatewayApp.PullRequestOpened, "delivery-1"));

        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal(1, json.GetProperty("accepted").GetInt32());
        var id = Assert.Single(json.GetProperty("ids").EnumerateArray()).GetString()!;
        Assert.Equal(26, id.Length);
        Assert.False(json.TryGetProperty("duplicate", out _));

        var envelope = Assert.Single(await TakeAllAsync(app));
        Assert.Equal(id, envelope.Id);
        Assert.Equal("github", envelope.Platform);
        Assert.Equal("pull_request", envelope.EventType);
        Assert.Equal("opened", envelope.Action);
        Assert.Equal("acme/api", envelope.Repo);
        Assert.Equal("acme", envelope.Org);
        Assert.Equal("pr-bot", envelope.TriggerName);
        Assert.Equal(new EventTarget(TargetKind.Agent, "reviewer"), envelope.Target);
        Assert.Equal("delivery-1", envelope.Metadata.DeliveryId);
        Assert.Equal("alice", envelope.Metadata.Sender);
        Assert.Equal(4, envelope.Metadata.MaxRetries);
        Assert.Equal(1, envelope.Metadata.Attempt);
        Assert.Equal(GatewayApp.PullRequestOpened, Encoding.UTF8.GetString(envelope.Payload.Span));

        var record = await app.Services.GetRequiredService<IExecutionStore>().GetAsync(id, CancellationToken.None);
        Assert.NotNull(record);
        Assert.Equal(ExecutionStatus.Queued, record.Status);
        Assert.Equal("pr-bot", record.TriggerName);
        Assert.Equal("delivery-1", record.DeliveryId);
    }

    [Fact]
    public async Task Only_triggers_whose_secret_verified_are_matched()
    {
        using var app = new GatewayApp();
        var client = app.CreateClient();

        var (status, _, _) = await SendAsync(client, GatewayApp.Delivery("pull_request", GatewayApp.PullRequestOpened, secret: GatewayApp.OtherSecret));

        Assert.Equal(HttpStatusCode.Accepted, status);
        var envelope = Assert.Single(await TakeAllAsync(app));
        Assert.Equal("other-bot", envelope.TriggerName);
    }

    [Fact]
    public async Task Slash_command_in_comment_carries_command_and_args()
    {
        using var app = new GatewayApp();
        var (status, _, _) = await SendAsync(app.CreateClient(), GatewayApp.Delivery("issue_comment", GatewayApp.ReviewComment));

        Assert.Equal(HttpStatusCode.Accepted, status);
        var envelope = Assert.Single(await TakeAllAsync(app));
        Assert.Equal("/review", envelope.Metadata.Command);
        Assert.Equal("carol", envelope.Metadata.Sender);
    }

    [Fact]
    public async Task Form_encoded_delivery_is_verified_over_the_form_and_carries_the_decoded_json()
    {
        using var app = new GatewayApp();
        var form = Encoding.UTF8.GetBytes("payload=" + HttpUtility.UrlEncode(GatewayApp.PullRequestOpened, Encoding.UTF8));
        var request = GatewayApp.SignedRequest("/webhook/github", form, "application/x-www-form-urlencoded", "pull_request", "form-1", GatewayApp.Secret);

        var (status, _, _) = await SendAsync(app.CreateClient(), request);

        Assert.Equal(HttpStatusCode.Accepted, status);
        var envelope = Assert.Single(await TakeAllAsync(app));
        Assert.Equal(GatewayApp.PullRequestOpened, Encoding.UTF8.GetString(envelope.Payload.Span));
    }

    [Fact]
    public async Task Envelope_traceparent_is_the_publish_producer_span()
    {
        var spans = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == "Aof",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => { lock (spans) spans.Add(a); },
        };
        ActivitySource.AddActivityListener(listener);
        using var app = new GatewayApp();
        var deliveryId = "trace-" + Guid.NewGuid();

        var (status, _, _) = await SendAsync(app.CreateClient(), GatewayApp.Delivery("pull_request", GatewayApp.PullRequestOpened, deliveryId));

        Assert.Equal(HttpStatusCode.Accepted, status);
        Activity publish;
        lock (spans) publish = Assert.Single(spans, a => a.OperationName == "publish" && (string?)a.GetTagItem("aof.delivery_id") == deliveryId);
        Assert.Equal(ActivityKind.Producer, publish.Kind);
        Assert.Equal("memory", publish.GetTagItem("messaging.system"));
        Assert.Equal("publish", publish.GetTagItem("messaging.operation"));
        Assert.NotNull(publish.GetTagItem("messaging.destination.name"));
        var envelope = Assert.Single(await TakeAllAsync(app));
        Assert.Equal(publish.Id, envelope.Metadata.Traceparent);
    }

    [Fact]
    public async Task Ping_is_answered_200_after_the_signature_check()
    {
        using var app = new GatewayApp();
        var client = app.CreateClient();

        var (status, json, _) = await SendAsync(client, GatewayApp.Delivery("ping", """{"zen":"Design for failure.","hook_id":1}"""));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(json.GetProperty("ok").GetBoolean());
        Assert.Equal("Design for failure.", json.GetProperty("zen").GetString());

        var (unsigned, _, _) = await SendAsync(client, GatewayApp.Delivery("ping", """{"zen":"x"}""", secret: null));
        Assert.Equal(HttpStatusCode.Unauthorized, unsigned);
        Assert.Equal(0, await ReadyAsync(app));
    }

    [Fact]
    public async Task Verified_but_unmatched_is_200_matched_0()
    {
        using var app = new GatewayApp();
        var (status, json, _) = await SendAsync(app.CreateClient(), GatewayApp.Delivery("pull_request", GatewayApp.PullRequestClosed));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(0, json.GetProperty("matched").GetInt32());
        Assert.Equal(0, await ReadyAsync(app));
    }

    [Theory]
    [InlineData("wrong-secret")]
    [InlineData(null)]
    public async Task Bad_or_missing_signature_is_401_and_nothing_is_enqueued(string? secret)
    {
        using var app = new GatewayApp();
        var (status, json, _) = await SendAsync(app.CreateClient(), GatewayApp.Delivery("pull_request", GatewayApp.PullRequestOpened, secret: secret));

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Contains("X-Hub-Signature-256", json.GetProperty("error").GetString());
        Assert.Equal(0, await ReadyAsync(app));
    }

    [Fact]
    public async Task Signature_over_a_different_body_is_401()
    {
        using var app = new GatewayApp();
        var request = GatewayApp.Delivery("pull_request", GatewayApp.PullRequestOpened);
        request.Content = new StringContent(GatewayApp.PullRequestOpened.Replace("alice", "mallory"), Encoding.UTF8, "application/json");

        var (status, _, _) = await SendAsync(app.CreateClient(), request);

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal(0, await ReadyAsync(app));
    }

    [Fact]
    public async Task Not_json_is_400()
    {
        using var app = new GatewayApp();
        var (status, json, _) = await SendAsync(app.CreateClient(), GatewayApp.Delivery("pull_request", "this is not json"));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("JSON", json.GetProperty("error").GetString());
        Assert.Equal(0, await ReadyAsync(app));
    }

    [Fact]
    public async Task Missing_event_header_is_400()
    {
        using var app = new GatewayApp();
        var request = GatewayApp.SignedRequest("/webhook/github", Encoding.UTF8.GetBytes(GatewayApp.PullRequestOpened),
            "application/json", eventType: null, deliveryId: "d", GatewayApp.Secret);

        var (status, json, _) = await SendAsync(app.CreateClient(), request);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("X-GitHub-Event", json.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Missing_delivery_header_is_400()
    {
        using var app = new GatewayApp();
        var request = GatewayApp.SignedRequest("/webhook/github", Encoding.UTF8.GetBytes(GatewayApp.PullRequestOpened),
            "application/json", "pull_request", deliveryId: null, GatewayApp.Secret);

        var (status, json, _) = await SendAsync(app.CreateClient(), request);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("X-GitHub-Delivery", json.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Unknown_platform_is_404()
    {
        using var app = new GatewayApp();
        var request = GatewayApp.SignedRequest("/webhook/gitlab", Encoding.UTF8.GetBytes("{}"), "application/json", "push", "d", GatewayApp.Secret);

        var (status, json, _) = await SendAsync(app.CreateClient(), request);

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Contains("gitlab", json.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Platform_without_enabled_triggers_is_404()
    {
        const string disabled = """
            apiVersion: aof.dev/v1
            kind: Trigger
            metadata:
              name: off-bot
            spec:
              type: GitHub
              enabled: false
              config:
                webhook_secret: test-secret
              commands:
                pull_request.opened:
                  agent: reviewer
            """;
        using var app = new GatewayApp(triggers: disabled);

        var (status, _, _) = await SendAsync(app.CreateClient(), GatewayApp.Delivery("pull_request", GatewayApp.PullRequestOpened));

        Assert.Equal(HttpStatusCode.NotFound, status);
    }

    [Fact]
    public async Task Declared_content_length_over_the_limit_is_413()
    {
        using var app = new GatewayApp();
        var body = new byte[GatewayApp.MaxBodyBytes + 1];
        var request = GatewayApp.SignedRequest("/webhook/github", body, "application/json", "pull_request", "big", GatewayApp.Secret);

        var (status, _, _) = await SendAsync(app.CreateClient(), request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Equal(0, await ReadyAsync(app));
    }

    [Fact]
    public async Task Body_at_the_limit_is_read()
    {
        using var app = new GatewayApp();
        // Valid JSON padded with whitespace to exactly the limit: size is fine, the event just matches nothing.
        var json = GatewayApp.PullRequestClosed;
        var body = Encoding.UTF8.GetBytes(json + new string(' ', (int)GatewayApp.MaxBodyBytes - Encoding.UTF8.GetByteCount(json)));
        var request = GatewayApp.SignedRequest("/webhook/github", body, "application/json", "pull_request", "edge", GatewayApp.Secret);

        var (status, _, _) = await SendAsync(app.CreateClient(), request);

        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Fact]
    public async Task Chunked_body_over_the_limit_is_413_without_reading_it_all()
    {
        using var app = new GatewayApp();
        // An endless body: if the gateway read to the end it would never answer.
        var request = new HttpRequestMessage(HttpMethod.Post, "/webhook/github") { Content = new StreamContent(new EndlessStream()) };
        request.Headers.TransferEncodingChunked = true;
        request.Headers.Add("X-GitHub-Event", "pull_request");
        request.Headers.Add("X-GitHub-Delivery", "endless");
        request.Headers.Add("X-Hub-Signature-256", "sha256=" + new string('0', 64));

        // The TestServer's own client streams the body (the factory's default client buffers it for redirects).
        var (status, _, _) = await SendAsync(app.Server.CreateClient(), request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
    }

    [Fact]
    public async Task Duplicate_delivery_gets_the_original_ids_and_enqueues_nothing()
    {
        using var app = new GatewayApp();
        var client = app.CreateClient();

        var (first, firstJson, _) = await SendAsync(client, GatewayApp.Delivery("pull_request", GatewayApp.PullRequestOpened, "same-delivery"));
        var (second, secondJson, _) = await SendAsync(client, GatewayApp.Delivery("pull_request", GatewayApp.PullRequestOpened, "same-delivery"));

        Assert.Equal(HttpStatusCode.Accepted, first);
        Assert.Equal(HttpStatusCode.Accepted, second);
        Assert.True(secondJson.GetProperty("duplicate").GetBoolean());
        Assert.Equal(
            firstJson.GetProperty("ids").EnumerateArray().Select(e => e.GetString()),
            secondJson.GetProperty("ids").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(1, await ReadyAsync(app));
    }

    [Theory]
    [InlineData(StubQueue.Mode.Throws)]
    [InlineData(StubQueue.Mode.NeverCompletes)]
    public async Task Unavailable_queue_is_503_with_retry_after_and_nothing_recorded(StubQueue.Mode mode)
    {
        var queue = new StubQueue(mode);
        var store = new CountingExecutionStore();
        using var app = new GatewayApp(services: s =>
        {
            s.AddSingleton<IMessageQueue>(queue);
            s.AddSingleton<IExecutionStore>(store);
        });

        var (status, json, response) = await SendAsync(app.CreateClient(), GatewayApp.Delivery("pull_request", GatewayApp.PullRequestOpened));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal(TimeSpan.FromSeconds(7), response.Headers.RetryAfter?.Delta);
        Assert.Contains("unavailable", json.GetProperty("error").GetString());
        Assert.Equal(1, queue.PublishCalls);
        Assert.Equal(0, store.QueuedWrites);
    }

    /// <summary>Never ends; counts what was read.</summary>
    private sealed class EndlessStream : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) { buffer.AsSpan(offset, count).Fill((byte)' '); return count; }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
