using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace Aof.Core.Queue.Nats;

/// <summary>
/// A JetStream KV bucket AOF owns (execution records, rate limits): created or updated to <see cref="NatsKVConfig"/>
/// on first use, once per process. Calls that fail because NATS cannot be reached become
/// <see cref="QueueUnavailableException"/> naming the store, so callers answer "unavailable", not "error".
/// </summary>
internal sealed class OwnedKVBucket(INatsConnection connection, NatsKVConfig config, string storeName)
{
    private readonly SemaphoreSlim _createLock = new(1, 1);
    private volatile INatsKVStore? _bucket;

    public string Name => config.Bucket;

    public async Task<INatsKVStore> GetAsync(CancellationToken ct)
    {
        if (connection.ConnectionState != NatsConnectionState.Open)
            throw new QueueUnavailableException($"nats is not connected ({connection.Opts.Url})");
        if (_bucket is { } bucket) return bucket;
        await _createLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            return _bucket ??= await Guard(new NatsKVContext(new NatsJSContext(connection)).CreateOrUpdateStoreAsync(config, ct), ct).ConfigureAwait(false);
        }
        finally
        {
            _createLock.Release();
        }
    }

    /// <summary>The error of a failed KV result: "unavailable" when NATS could not be reached, else as it is.</summary>
    public Exception Failure(Exception error) =>
        NatsFailures.IsUnavailable(error) ? new QueueUnavailableException($"nats {storeName} unavailable: {error.Message}", error) : error;

    /// <summary>Awaits a KV call, turning "NATS cannot be reached" into <see cref="QueueUnavailableException"/>.</summary>
    public async Task<T> Guard<T>(ValueTask<T> call, CancellationToken ct)
    {
        try
        {
            return await call.ConfigureAwait(false);
        }
        catch (Exception ex) when (NatsFailures.IsUnavailable(ex, ct))
        {
            throw new QueueUnavailableException($"nats {storeName} unavailable: {ex.Message}", ex);
        }
    }
}
