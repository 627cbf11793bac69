using Aof.Core.Events;

namespace Aof.Tests.Events;

public sealed class MessageIdsTests
{
    private static readonly TimeSpan Day = TimeSpan.FromDays(1);
    private static readonly DateTimeOffset Noon = DateTimeOffset.Parse("2026-01-15T12:00:00Z");

    [Fact]
    public void A_delivery_names_its_messages_the_same_way_every_time_within_an_epoch()
    {
        var id = MessageIds.ForDelivery("github:abc", 0, Noon, Day);
        Assert.Equal(id, MessageIds.ForDelivery("github:abc", 0, Noon.AddHours(11), Day));
        Assert.Equal(26, id.Length);
        Assert.Matches("^[0-7][0-9A-HJKMNP-TV-Z]{25}$", id); // Crockford base32, 128 bits, as a ULID
    }

    [Fact]
    public void Key_position_and_epoch_each_change_the_id()
    {
        var ids = new[]
        {
            MessageIds.ForDelivery("github:abc", 0, Noon, Day),
            MessageIds.ForDelivery("github:abd", 0, Noon, Day),
            MessageIds.ForDelivery("github:abc", 1, Noon, Day),
            MessageIds.ForDelivery("github:abc", 0, Noon.AddDays(1), Day),
            MessageIds.ForDelivery("slack:abc", 0, Noon, Day),
        };
        Assert.Equal(ids.Length, ids.Distinct().Count());
    }

    [Fact]
    public void The_previous_epoch_is_one_less_and_gives_the_ids_named_then()
    {
        var yesterday = MessageIds.ForDelivery("github:abc", 2, Noon.AddDays(-1), Day);
        Assert.Equal(yesterday, MessageIds.ForDelivery("github:abc", 2, MessageIds.EpochOf(Noon, Day) - 1));
    }

    [Fact]
    public void A_key_of_any_length_and_alphabet_is_accepted()
    {
        var longKey = "x:" + new string('é', 5000);
        Assert.Equal(26, MessageIds.ForDelivery(longKey, 0, Noon, Day).Length);
        Assert.Throws<ArgumentException>(() => MessageIds.ForDelivery("", 0, Noon, Day));
    }
}
