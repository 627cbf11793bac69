using System.Buffers.Text;
using System.Runtime.CompilerServices;
using System.Text;
using Aof.Core.Queue;
using Aof.Core.Queue.Nats;
using Aof.Core.Queue.Redis;
using Microsoft.Extensions.DependencyInjection;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using StackExchange.Redis;

namespace Aof.Bench;

/// <summary>
/// What the bench needs from a broker beyond <see cref="Aof.Core.Executions.IExecutionStore"/>, which has no listing:
/// the id of every execution record (for verify), and a way to empty the broker between phases.
/// The connection is the one <c>AddAofBackends</c> registered, so the bench talks to the broker as the services do.
/// </summary>
internal interface IBenchBroker
{
    IAsyncEnumerable<string> ExecutionIdsAsync(CancellationToken ct);

    /// <summary>Deletes every message, dead letter, dedup claim and execution record; streams and groups stay.</summary>
    Task ResetAsync(CancellationToken ct);

    static IBenchBroker For(string backend, IServiceProvider services, string prefix) => backend switch
    {
        "redis" => new RedisBenchBroker(services.GetRequiredService<IConnectionMultiplexer>(), prefix),
        "nats" => new NatsBenchBroker(services.GetRequiredService<INatsConnection>(), new NatsNames(prefix)),
        _ => throw new ArgumentException($"backend '{backend}' is not redis or nats"),
    };
}

/// <summary>Records are hashes <c>{{prefix}}:exec:{id}</c> (see RedisKeys): SCAN for them.</summary>
internal sealed class RedisBenchBroker(IConnectionMultiplexer redis, string prefix) : IBenchBroker
{
    public async IAsyncEnumerable<string> ExecutionIdsAsync([EnumeratorCancellation] CancellationToken ct)
    {
        var head = new RedisKeys(prefix).Execution("").ToString();
        await foreach (var key in redis.GetServers()[0].KeysAsync(pattern: head + "*", pageSize: 1000).WithCancellation(ct))
            yield return key.ToString()[head.Length..];
    }

    // FLUSHALL is an admin command the multiplexer refuses without allowAdmin, so the bench deletes the keys itself:
    // every key of the backend, records included, shares the hash tag {prefix} (see RedisKeys).
    public async Task ResetAsync(CancellationToken ct)
    {
        var db = redis.GetDatabase();
        var batch = new List<RedisKey>();
        await foreach (var key in redis.GetServers()[0].KeysAsync(pattern: $"{{{prefix}}}:*", pageSize: 1000).WithCancellation(ct))
        {
            batch.Add(key);
            if (batch.Count < 1000) continue;
            await db.KeyDeleteAsync([.. batch]);
            batch.Clear();
        }
        if (batch.Count > 0) await db.KeyDeleteAsync([.. batch]);
    }
}

/// <summary>Records are keys of the KV bucket <c>{prefix}-executions</c> (see NatsExecutionStore).</summary>
internal sealed class NatsBenchBroker(INatsConnection nats, NatsNames names) : IBenchBroker
{
    private readonly NatsJSContext _js = new(nats);

    public async IAsyncEnumerable<string> ExecutionIdsAsync([EnumeratorCancellation] CancellationToken ct)
    {
        var bucket = await new NATS.Client.KeyValueStore.NatsKVContext(_js).GetStoreAsync(names.ExecutionsBucket, ct);
        await foreach (var key in bucket.GetKeysAsync(cancellationToken: ct))
            yield return Id(key);
    }

    /// <summary>Purges the streams: consumers and buckets keep their configuration, so running services are unaffected.</summary>
    public async Task ResetAsync(CancellationToken ct)
    {
        foreach (var stream in new[] { names.EventsStream, names.DeadLetterStream, "KV_" + names.ExecutionsBucket })
        {
            try
            {
                await _js.PurgeStreamAsync(stream, new StreamPurgeRequest(), ct);
            }
            catch (NatsJSApiException ex) when (ex.Error.Code == 404)
            {
                // Not created yet: nothing to purge.
            }
        }
    }

    /// <summary>The inverse of <see cref="NatsNames.Token"/>: plain ids are kept, "=" + base64url is decoded.</summary>
    private static string Id(string key) =>
        key.StartsWith('=') ? Encoding.UTF8.GetString(Base64Url.DecodeFromChars(key.AsSpan(1))) : key;
}
