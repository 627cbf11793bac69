using Aof.Core.Events;
using StackExchange.Redis;

namespace Aof.Core.Queue.Redis;

/// <summary>
/// Every key the Redis backend touches. All of them share the hash tag <c>{prefix}</c> (e.g.
/// <c>{aof}:events:normal</c>, <c>{aof}:exec:{id}</c>) so the Lua scripts, which touch several at once, also run on
/// a Redis Cluster. Execution records are in the tag too: the publish script stores a message's queued record with
/// the message (<see cref="Queued"/>) and the store's scripts move it into the record's hash, so a stored message
/// always has one and a webhook costs one script run. On a cluster, records therefore live on the queue's node (the
/// queue's streams are in one slot anyway).
/// </summary>
public sealed class RedisKeys
{
    private readonly string _tag;

    public RedisKeys(string prefix)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(prefix);
        // A prefix that already carries a hash tag is used as given.
        _tag = prefix.Contains('{') ? prefix : "{" + prefix + "}";
        Lanes = [Lane(Priority.High), Lane(Priority.Normal), Lane(Priority.Low)];
        Delayed = _tag + ":delayed";
        DelayedMessages = _tag + ":delayed:msg";
        DeadLetters = _tag + ":dlq";
        DeadLetterIndex = _tag + ":dlq:index";
        Queued = _tag + ":queued";
        ExecutionPrefix = _tag + ":exec:";
    }

    /// <summary>The lane streams, indexed by <see cref="Priority"/>.</summary>
    public RedisKey[] Lanes { get; }

    /// <summary>ZSET: message id scored by the unix ms at which a nacked message is due again.</summary>
    public RedisKey Delayed { get; }

    /// <summary>HASH: <c>{id}:l|a|mr|t|b</c> (lane, attempt, max retries, enqueued ms, body) of delayed messages.</summary>
    public RedisKey DelayedMessages { get; }

    /// <summary>STREAM of dead letters (fields id, body, lane, reason, error, attempts, at, mr).</summary>
    public RedisKey DeadLetters { get; }

    /// <summary>HASH: message id -> entry id in <see cref="DeadLetters"/>.</summary>
    public RedisKey DeadLetterIndex { get; }

    /// <summary>
    /// HASH: record key (<see cref="Execution"/>) -> the queued record of a message no worker has written to yet, as
    /// JSON. The publish script writes it beside the message; the first write of the execution store moves it into
    /// the record's own hash (see RedisExecutionStore), and the ack removes what is left.
    /// </summary>
    public RedisKey Queued { get; }

    public RedisKey Lane(Priority p) => $"{_tag}:events:{p.ToWire()}";

    public RedisKey Dedup(string key) => $"{_tag}:dedup:{key}";

    public RedisKey Execution(string id) => ExecutionPrefix + id;

    /// <summary>What <see cref="Execution"/> puts before the id (the publish script builds record keys from it).</summary>
    public string ExecutionPrefix { get; }
}
