using Aof.Core.Events;
using Aof.Core.Queue;

namespace Aof.Tests.Queue;

public class PrioritySchedulerTests
{
    [Fact]
    public void A_fetch_of_ten_with_every_lane_busy_splits_6_3_1()
    {
        var s = new PriorityScheduler();
        Assert.Equal([6, 3, 1], s.Plan(10));
    }

    [Fact]
    public void Single_slot_fetches_follow_the_weights_and_start_with_high()
    {
        var s = new PriorityScheduler();
        var picks = Enumerable.Range(0, 100).Select(_ => Array.IndexOf(s.Plan(1), 1)).ToList();
        Assert.Equal((int)Priority.High, picks[0]);
        Assert.Equal(60, picks.Count(p => p == (int)Priority.High));
        Assert.Equal(30, picks.Count(p => p == (int)Priority.Normal));
        Assert.Equal(10, picks.Count(p => p == (int)Priority.Low));
        // Low is served in every window of ten slots.
        for (var i = 0; i + 10 <= picks.Count; i++) Assert.Contains((int)Priority.Low, picks.Skip(i).Take(10));
    }

    [Fact]
    public void Quota_of_empty_or_short_lanes_flows_to_lanes_with_messages()
    {
        var s = new PriorityScheduler();
        Assert.Equal([0, 10, 0], s.Plan(10, [0, 50, 0]));
        Assert.Equal([2, 6, 2], s.Plan(10, [2, 50, 2]));
        Assert.Equal([1, 2, 3], s.Plan(10, [1, 2, 3]));
        Assert.Equal([0, 0, 0], s.Plan(10, [0, 0, 0]));
        Assert.Equal([0, 0, 0], s.Plan(0));
    }
}
