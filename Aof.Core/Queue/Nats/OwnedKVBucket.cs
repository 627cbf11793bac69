using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using NATS.Client.KeyValueStore;

namespace Aof.Core.Queue.Nats;

/// <summary>
/// A JetStream KV bucket AOF owns (execution records, rate limits), set up on first use, once per process: created with
/// <see cref="NatsKVConfig"/> when missing, opened as it is when it has our settings, else updated to them keeping what an
/// operator set on it (see <see cref="WithOperatorSettings"/>). Calls that fail because NATS cannot be reached become
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
            if (_bucket is { } created) return created;
            var js = new NatsJSContext(connection);
            var kv = new NatsKVContext(js);
            var existing = await Guard(ExistingConfigAsync(js, ct), ct).ConfigureAwait(false);
            // A bucket that already has our settings is opened as it is: updating a stream that other processes are
            // using (every process start did) can leave their requests of that moment without a reply.
            if (existing is not null && HasOurSettings(existing))
                return _bucket = await Guard(kv.GetStoreAsync(config.Bucket, ct), ct).ConfigureAwait(false);
            // A new bucket is created, not "created or updated": a process starting beside this one may create it at
            // the same moment, and JetStream answers a create with the same settings with the stream as it is.
            return _bucket = existing is null
                ? await Guard(kv.CreateStoreAsync(config, ct), ct).ConfigureAwait(false)
                : await Guard(kv.CreateOrUpdateStoreAsync(WithOperatorSettings(existing), ct), ct).ConfigureAwait(false);
        }
        finally
        {
            _createLock.Release();
        }
    }

    /// <summary>The configuration of the bucket's stream, or null when there is none yet.</summary>
    private async ValueTask<StreamConfig?> ExistingConfigAsync(NatsJSContext js, CancellationToken ct)
    {
        try
        {
            return (await js.GetStreamAsync("KV_" + config.Bucket, cancellationToken: ct).ConfigureAwait(false)).Info.Config;
        }
        catch (NatsJSApiException ex) when (ex.Error.Code == 404)
        {
            return null;
        }
    }

    /// <summary>
    /// Ours are the settings the store depends on (max age = retention, history, storage); replicas, placement, a size
    /// cap and compression are the operator's: on an existing bucket they are carried over, so a bucket scaled to three
    /// replicas on a cluster is not scaled back to one by the next process that starts. A new bucket gets ours alone.
    /// </summary>
    private NatsKVConfig WithOperatorSettings(StreamConfig existing) => config with
    {
        NumberOfReplicas = existing.NumReplicas,
        Placement = existing.Placement,
        MaxBytes = existing.MaxBytes,
        Compression = existing.Compression == StreamConfigCompression.S2,
    };

    private bool HasOurSettings(StreamConfig existing) =>
        existing.MaxAge == config.MaxAge &&
        existing.MaxMsgsPerSubject == config.History &&
        existing.Storage == (config.Storage == NatsKVStorageType.Memory ? StreamConfigStorage.Memory : StreamConfigStorage.File);

    /// <summary>
    /// Creates <paramref name="key"/> when it does not exist yet, without waiting for JetStream's answer: a core NATS
    /// publish to the bucket's subject carrying what a KV create carries (<c>Nats-Expected-Last-Subject-Sequence: 0</c>),
    /// so JetStream drops it when the key is already there. It costs the caller one buffered write instead of a request
    /// and its reply, and tells it nothing: for writes that may be lost or refused (see NatsExecutionStore).
    /// </summary>
    public async Task CreateUnconfirmedAsync(string key, byte[] value, CancellationToken ct)
    {
        await GetAsync(ct).ConfigureAwait(false);   // the bucket (its stream) must exist, or the message goes nowhere
        var headers = new NatsHeaders { [ExpectedLastSubjectSequence] = "0" };
        try
        {
            await connection.PublishAsync($"$KV.{config.Bucket}.{key}", value, headers, cancellationToken: ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (NatsFailures.IsUnavailable(ex, ct))
        {
            throw new QueueUnavailableException($"nats {storeName} unavailable: {ex.Message}", ex);
        }
    }

    private const string ExpectedLastSubjectSequence = "Nats-Expected-Last-Subject-Sequence";

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
