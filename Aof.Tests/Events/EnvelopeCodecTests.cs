using System.Text;
using System.Text.Json;
using Aof.Core.Events;

namespace Aof.Tests.Events;

public class EnvelopeCodecTests
{
    private static EventEnvelope Sample(string payload) => new()
    {
        Id = Ulid.NewUlid(),
        Timestamp = DateTimeOffset.Parse("2026-01-15T10:30:00Z"),
        Platform = "github",
        Org = "myorg",
        Repo = "myorg/myrepo",
        EventType = "pull_request",
        Action = "opened",
        TriggerName = "github-pr-automation",
        Target = new EventTarget(TargetKind.Flow, "github-pr-review"),
        Priority = Priority.High,
        Payload = Encoding.UTF8.GetBytes(payload),
        Metadata = new EnvelopeMetadata { DeliveryId = "d-1", MaxRetries = 5, Traceparent = "00-abc-def-01", Command = "/review", Args = "x y" },
    };

    [Fact]
    public void Round_trip_keeps_every_field_and_the_payload_bytes_exactly()
    {
        // Odd spacing and key order in the payload must survive: it is carried, not re-serialized.
        const string payload = "{ \"b\":1,  \"a\" : [1,2,{\"x\":\"\\u00e9\"}] }";
        var original = Sample(payload);

        var bytes = EnvelopeCodec.Serialize(original);
        var parsed = EnvelopeCodec.Parse(bytes);

        Assert.Equal(original.Id, parsed.Id);
        Assert.Equal(original.Timestamp, parsed.Timestamp);
        Assert.Equal("myorg/myrepo", parsed.Repo);
        Assert.Equal("opened", parsed.Action);
        Assert.Equal(new EventTarget(TargetKind.Flow, "github-pr-review"), parsed.Target);
        Assert.Equal(Priority.High, parsed.Priority);
        Assert.Equal(payload, Encoding.UTF8.GetString(parsed.Payload.Span));
        Assert.Equal(5, parsed.Metadata.MaxRetries);
        Assert.Equal("/review", parsed.Metadata.Command);
        Assert.Equal("x y", parsed.Metadata.Args);
        Assert.Equal("00-abc-def-01", parsed.Metadata.Traceparent);

        // And the whole envelope is ordinary JSON with the DESIGN.md field names.
        using var doc = JsonDocument.Parse(bytes);
        Assert.Equal("flow", doc.RootElement.GetProperty("target").GetProperty("kind").GetString());
        Assert.Equal("d-1", doc.RootElement.GetProperty("metadata").GetProperty("delivery_id").GetString());
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("{\"id\":\"x\"}")]
    [InlineData("{\"id\":\"x\",\"timestamp\":\"2026-01-15T10:30:00Z\",\"platform\":\"github\",\"event_type\":\"push\",\"trigger_name\":\"t\",\"target\":{\"kind\":\"robot\",\"name\":\"n\"}}")]
    public void Bad_envelopes_fail_with_a_format_error(string text)
    {
        Assert.Throws<EnvelopeFormatException>(() => EnvelopeCodec.Parse(Encoding.UTF8.GetBytes(text)));
    }

    [Fact]
    public void Ulids_are_26_chars_and_sort_by_time()
    {
        var a = Ulid.NewUlid(DateTimeOffset.FromUnixTimeMilliseconds(1_000));
        var b = Ulid.NewUlid(DateTimeOffset.FromUnixTimeMilliseconds(2_000));
        Assert.Equal(26, a.Length);
        Assert.True(string.CompareOrdinal(a, b) < 0);
    }
}
