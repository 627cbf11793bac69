using System.Collections.Concurrent;
using Aof.Core.Events;

namespace Aof.Tests.Events;

public sealed class UlidTests
{
    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    [Fact]
    public void Ids_start_with_their_time_and_sort_by_it()
    {
        var earlier = Ulid.NewUlid(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000));
        var later = Ulid.NewUlid(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_001));

        Assert.Equal(26, earlier.Length);
        Assert.All(earlier, c => Assert.Contains(c, Alphabet));
        Assert.True(string.CompareOrdinal(earlier, later) < 0);
        // 48-bit time in the first 10 characters.
        Assert.Equal(Ulid.NewUlid(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000))[..10], earlier[..10]);
    }

    [Fact]
    public void Ids_made_at_once_on_many_threads_are_all_different()
    {
        // Past the size of a thread's block of random bytes, so refills are exercised too.
        var now = DateTimeOffset.UtcNow;
        var ids = new ConcurrentBag<string>();
        Parallel.For(0, 8, _ =>
        {
            for (var i = 0; i < 5_000; i++) ids.Add(Ulid.NewUlid(now));
        });

        Assert.Equal(40_000, ids.Distinct().Count());
        // Same millisecond: the random part alone tells them apart.
        Assert.Single(ids.Select(id => id[..10]).Distinct());
    }
}
