using System.Net;
using System.Text;
using Aof.Core.Events;
using static Aof.Tests.Platforms.PlatformGateway;

namespace Aof.Tests.Platforms;

/// <summary>
/// Every platform: a request signed the way the platform signs is accepted and normalized; altered body,
/// wrong secret, missing header and (where the platform signs a time) a stale timestamp get 401 and
/// enqueue nothing; a redelivery is answered as a duplicate.
/// </summary>
public sealed class PlatformVerificationTests(PlatformAppFixture fixture) : IClassFixture<PlatformAppFixture>
{
    public static TheoryData<string> Platforms => new(PlatformSenders.Platforms);
    public static TheoryData<string> BodySigning => new(PlatformSenders.BodySigningPlatforms);
    public static TheoryData<string> Timestamped => new(PlatformSenders.TimestampedPlatforms);

    // Discord answers interactions itself (type 5: deferred), with 200.
    private static HttpStatusCode AcceptedStatus(string platform) => platform == "discord" ? HttpStatusCode.OK : HttpStatusCode.Accepted;

    [Theory]
    [MemberData(nameof(Platforms))]
    public async Task Signed_request_is_accepted_and_normalized(string platform)
    {
        await TakeAllAsync(fixture.App);
        var id = PlatformSenders.NewId(platform);
        var (body, eventType, deliveryId) = PlatformSenders.Sample(platform, id);

        var (status, text, _) = await SendAsync(fixture.Client, PlatformSenders.Request(platform, Encoding.UTF8.GetBytes(body), id));

        Assert.True(AcceptedStatus(platform) == status, $"{platform}: {(int)status} {text}");
        var envelope = Assert.Single(await TakeAllAsync(fixture.App));
        Assert.Equal(platform, envelope.Platform);
        Assert.Equal($"{platform}-bot", envelope.TriggerName);
        Assert.Equal(eventType, envelope.EventType);
        Assert.Equal(deliveryId, envelope.Metadata.DeliveryId);
        Assert.Equal(body, Encoding.UTF8.GetString(envelope.Payload.Span));
        Assert.Equal(new EventTarget(TargetKind.Agent, "reviewer"), envelope.Target);
    }

    [Theory]
    [MemberData(nameof(Platforms))]
    public async Task Redelivery_is_answered_as_duplicate_and_stored_once(string platform)
    {
        await TakeAllAsync(fixture.App);
        var id = PlatformSenders.NewId(platform);
        var body = Encoding.UTF8.GetBytes(PlatformSenders.Sample(platform, id).Body);

        var first = await SendAsync(fixture.Client, PlatformSenders.Request(platform, body, id));
        var second = await SendAsync(fixture.Client, PlatformSenders.Request(platform, body, id));

        Assert.Equal(AcceptedStatus(platform), first.Status);
        Assert.Equal(AcceptedStatus(platform), second.Status);
        if (platform != "discord") Assert.True(Json(second.Text).GetProperty("duplicate").GetBoolean());
        Assert.Single(await TakeAllAsync(fixture.App));
    }

    [Theory]
    [MemberData(nameof(BodySigning))]
    public async Task Altered_body_is_refused_with_401_and_nothing_enqueued(string platform)
    {
        await TakeAllAsync(fixture.App);
        var id = PlatformSenders.NewId(platform);
        var signed = Encoding.UTF8.GetBytes(PlatformSenders.Sample(platform, id).Body);
        var altered = Encoding.UTF8.GetBytes(PlatformSenders.Sample(platform, id).Body.Replace("}}", "} }"));
        Assert.NotEqual(signed, altered);

        var (status, _, _) = await SendAsync(fixture.Client, PlatformSenders.Request(platform, altered, id, signedBody: signed));

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Empty(await TakeAllAsync(fixture.App));
    }

    [Theory]
    [MemberData(nameof(Platforms))]
    public async Task Wrong_secret_is_refused_with_401_and_nothing_enqueued(string platform) =>
        await AssertRefusedAsync(platform, Signing.WrongSecret);

    [Theory]
    [MemberData(nameof(Platforms))]
    public async Task Missing_signature_header_is_refused_with_401_and_nothing_enqueued(string platform) =>
        await AssertRefusedAsync(platform, Signing.MissingHeader);

    [Theory]
    [MemberData(nameof(Timestamped))]
    public async Task Stale_timestamp_is_refused_with_401_and_nothing_enqueued(string platform) =>
        await AssertRefusedAsync(platform, Signing.StaleTimestamp);

    [Theory]
    [MemberData(nameof(Timestamped))]
    public async Task Timestamp_from_the_future_is_refused_with_401(string platform)
    {
        await TakeAllAsync(fixture.App);
        var id = PlatformSenders.NewId(platform);
        var body = Encoding.UTF8.GetBytes(PlatformSenders.Sample(platform, id).Body);

        var (status, _, _) = await SendAsync(fixture.Client, PlatformSenders.Request(platform, body, id, now: DateTimeOffset.UtcNow.AddMinutes(10)));

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Empty(await TakeAllAsync(fixture.App));
    }

    private async Task AssertRefusedAsync(string platform, Signing signing)
    {
        await TakeAllAsync(fixture.App);
        var id = PlatformSenders.NewId(platform);
        var body = Encoding.UTF8.GetBytes(PlatformSenders.Sample(platform, id).Body);

        var (status, text, _) = await SendAsync(fixture.Client, PlatformSenders.Request(platform, body, id, signing));

        Assert.True(status == HttpStatusCode.Unauthorized, $"{platform} {signing}: {(int)status} {text}");
        Assert.Empty(await TakeAllAsync(fixture.App));
    }
}
