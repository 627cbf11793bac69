namespace Aof.Core.Batching;

/// <summary>
/// Group commit: concurrent callers' items go to the broker together. While <see cref="MaxInFlight"/> batches
/// are on the wire, new items wait and leave as one batch when a slot frees, so under load one round trip
/// (and one script run on the broker) serves many callers, and at low load an item leaves at once, alone.
/// </summary>
/// <remarks>
/// The commit function returns one result per item, in order. When it throws, every item of that batch gets the
/// exception: the caller cannot tell which of them the broker stored, exactly as with a single failed command.
/// </remarks>
public sealed class GroupCommitter<TItem, TResult>
{
    private readonly Func<IReadOnlyList<TItem>, Task<TResult[]>> _commit;
    private readonly object _gate = new();
    private List<Pending> _pending = [];
    private int _inFlight;

    public GroupCommitter(Func<IReadOnlyList<TItem>, Task<TResult[]>> commit, int maxInFlight = 2, int maxBatch = 128)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxInFlight, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        _commit = commit;
        MaxInFlight = maxInFlight;
        MaxBatch = maxBatch;
    }

    /// <summary>Batches on the wire at once; fewer means larger batches under load.</summary>
    public int MaxInFlight { get; }

    /// <summary>Most items in one batch (bounds the size of one broker command).</summary>
    public int MaxBatch { get; }

    public Task<TResult> SubmitAsync(TItem item)
    {
        // Continuations run on the thread pool, not on the loop that completes the batch, so the next batch
        // leaves without waiting for every caller's continuation.
        var done = new TaskCompletionSource<TResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        bool startLoop;
        lock (_gate)
        {
            _pending.Add(new Pending(item, done));
            startLoop = _inFlight < MaxInFlight;
            if (startLoop) _inFlight++;
        }
        if (startLoop) _ = CommitLoopAsync();
        return done.Task;
    }

    // One loop per slot: commits what is pending, then whatever gathered meanwhile, until nothing is left.
    private async Task CommitLoopAsync()
    {
        while (true)
        {
            List<Pending> batch;
            lock (_gate)
            {
                if (_pending.Count == 0)
                {
                    _inFlight--;
                    return;
                }
                if (_pending.Count <= MaxBatch)
                {
                    batch = _pending;
                    _pending = [];
                }
                else
                {
                    batch = _pending.GetRange(0, MaxBatch);
                    _pending.RemoveRange(0, MaxBatch);
                }
            }
            await CommitAsync(batch).ConfigureAwait(false);
        }
    }

    private async Task CommitAsync(List<Pending> batch)
    {
        try
        {
            var items = new TItem[batch.Count];
            for (var i = 0; i < items.Length; i++) items[i] = batch[i].Item;
            var results = await _commit(items).ConfigureAwait(false);
            if (results.Length != batch.Count)
                throw new InvalidOperationException($"group commit returned {results.Length} results for {batch.Count} items");
            for (var i = 0; i < batch.Count; i++) batch[i].Done.TrySetResult(results[i]);
        }
        catch (Exception ex)
        {
            foreach (var p in batch) p.Done.TrySetException(ex);
        }
    }

    private readonly record struct Pending(TItem Item, TaskCompletionSource<TResult> Done);
}
