using Aof.Core.Queue;
using Aof.Runtime.Processing;

namespace Aof.Tests.Runtime;

public class RetryPolicyTests
{
    [Theory]
    [InlineData(1, 100)]
    [InlineData(2, 200)]
    [InlineData(3, 400)]
    [InlineData(5, 1000)] // 1600 capped
    [InlineData(500, 1000)]
    public void The_ceiling_grows_exponentially_up_to_the_cap(int attempt, int expectedMs)
    {
        var policy = new RetryPolicy(new QueueOptions { RetryDelayMs = 100, MaxRetryDelayMs = 1000 });
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), policy.Ceiling(attempt));
    }

    [Fact]
    public void Delays_are_jittered_between_zero_and_the_ceiling()
    {
        var policy = new RetryPolicy(new QueueOptions { RetryDelayMs = 100, MaxRetryDelayMs = 1000 }, new Random(42));
        var delays = Enumerable.Range(0, 200).Select(_ => policy.NextDelay(3)).ToList();
        Assert.All(delays, d => Assert.InRange(d.TotalMilliseconds, 0, 400));
        Assert.True(delays.Distinct().Count() > 100, "full jitter spreads the delays");
        Assert.Contains(delays, d => d.TotalMilliseconds < 200);
        Assert.Contains(delays, d => d.TotalMilliseconds > 200);
    }
}
