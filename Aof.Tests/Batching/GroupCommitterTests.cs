using Aof.Core.Batching;

namespace Aof.Tests.Batching;

public sealed class GroupCommitterTests
{
    private const int TestTimeoutMs = 10_000;

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Items_submitted_while_a_batch_is_in_flight_leave_together()
    {
        var batches = new List<int[]>();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var committer = new GroupCommitter<int, int>(async items =>
        {
            lock (batches) batches.Add([.. items]);
            await release.Task;
            return [.. items.Select(i => i * 10)];
        }, maxInFlight: 1);

        var first = committer.SubmitAsync(1);          // leaves at once, alone
        var waiting = Enumerable.Range(2, 5).Select(committer.SubmitAsync).ToList();
        release.SetResult();

        Assert.Equal(10, await first);
        var rest = await Task.WhenAll(waiting);
        Assert.Equal([20, 30, 40, 50, 60], rest);
        Assert.Equal(2, batches.Count);
        Assert.Equal([1], batches[0]);
        Assert.Equal([2, 3, 4, 5, 6], batches[1]);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task A_batch_never_exceeds_its_limit()
    {
        var sizes = new List<int>();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var committer = new GroupCommitter<int, int>(async items =>
        {
            lock (sizes) sizes.Add(items.Count);
            await release.Task;
            return [.. items];
        }, maxInFlight: 1, maxBatch: 3);

        var all = Enumerable.Range(0, 10).Select(committer.SubmitAsync).ToList();
        release.SetResult();
        var results = await Task.WhenAll(all);
        Assert.Equal(Enumerable.Range(0, 10), results);
        Assert.All(sizes, s => Assert.InRange(s, 1, 3));
        Assert.Equal(10, sizes.Sum());
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task A_failed_batch_fails_every_item_of_it_and_the_next_batch_still_runs()
    {
        var calls = 0;
        var committer = new GroupCommitter<int, int>(items =>
        {
            if (Interlocked.Increment(ref calls) == 1) throw new InvalidOperationException("broker said no");
            return Task.FromResult(items.ToArray());
        });

        var failed = await Assert.ThrowsAsync<InvalidOperationException>(() => committer.SubmitAsync(1));
        Assert.Equal("broker said no", failed.Message);
        Assert.Equal(2, await committer.SubmitAsync(2));
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task A_commit_that_answers_the_wrong_number_of_results_is_an_error_not_a_silent_mismatch()
    {
        var committer = new GroupCommitter<int, int>(_ => Task.FromResult(Array.Empty<int>()));
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => committer.SubmitAsync(1));
        Assert.Contains("0 results for 1 items", ex.Message);
    }
}
