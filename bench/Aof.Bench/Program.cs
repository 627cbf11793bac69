// Benchmark helper driven by bench/run.sh. Talks to the same Redis the gateway and worker use.
//   publish <redis> <count> <payload.json>   pre-publish <count> envelopes bound to the bench flow, with queued records
//   drain   <redis> <expected> <timeout s>   wait until the queue is empty; print drained/s from the first drop
//   verify  <redis> <expected> [slack]       every execution record must be 'succeeded'; there must be <expected> of them,
//                                            or up to [slack] more (requests in flight when the load generator stopped)
using System.Diagnostics;
using Aof.Core.Events;
using Aof.Core.Executions;
using Aof.Core.Executions.Redis;
using Aof.Core.Queue;
using Aof.Core.Queue.Redis;
using StackExchange.Redis;

if (args.Length < 3)
{
    Console.Error.WriteLine("usage: publish <redis> <count> <payload> | drain <redis> <expected> <timeout-secs> | verify <redis> <expected>");
    return 2;
}

await using var redis = await ConnectionMultiplexer.ConnectAsync(RedisConnectionSettings.Parse(args[1]));
var options = new QueueOptions { Prefix = "aof" };
var queue = new RedisMessageQueue(redis, options, "bench-driver");
var store = new RedisExecutionStore(redis, new ExecutionOptions(), options.Prefix);

return args[0] switch
{
    "publish" => await Publish(int.Parse(args[2]), await File.ReadAllBytesAsync(args[3])),
    "drain" => await Drain(long.Parse(args[2]), TimeSpan.FromSeconds(double.Parse(args[3]))),
    "verify" => await Verify(long.Parse(args[2]), args.Length > 3 ? long.Parse(args[3]) : 0),
    _ => 2,
};

async Task<int> Publish(int count, byte[] payload)
{
    var clock = Stopwatch.StartNew();
    var pending = new List<Task>();
    for (var i = 0; i < count; i += 100)
    {
        var envelopes = Enumerable.Range(i, Math.Min(100, count - i)).Select(n => new EventEnvelope
        {
            Id = Ulid.NewUlid(),
            Timestamp = DateTimeOffset.UtcNow,
            Platform = "github",
            Org = "acme",
            Repo = "acme/payments",
            EventType = "pull_request",
            Action = "opened",
            TriggerName = "bench-github",
            Target = new EventTarget(TargetKind.Flow, "bench-transform"),
            Payload = payload,
            Metadata = new EnvelopeMetadata { DeliveryId = $"bench-drain-{n}" },
        }).ToList();
        var messages = envelopes.Select(e => new OutgoingMessage(e.Id, e.Priority, EnvelopeCodec.Serialize(e), 3)).ToList();
        var records = envelopes.Select(e => new ExecutionRecord
        {
            Id = e.Id, TriggerName = e.TriggerName, Target = e.Target.ToString(), Platform = e.Platform,
            EventType = e.EventType, Action = e.Action, Repo = e.Repo, DeliveryId = e.Metadata.DeliveryId,
        }).ToList();
        pending.Add(PublishBatch(messages, records));
        if (pending.Count >= 32)
        {
            await Task.WhenAll(pending);
            pending.Clear();
        }
    }
    await Task.WhenAll(pending);
    Console.WriteLine($"PUBLISHED count={count} seconds={clock.Elapsed.TotalSeconds:F2}");
    return 0;
}

async Task PublishBatch(IReadOnlyList<OutgoingMessage> messages, IReadOnlyList<ExecutionRecord> records)
{
    await queue.PublishAsync(messages, null, CancellationToken.None);
    await store.RecordQueuedAsync(records, CancellationToken.None);
}

async Task<int> Drain(long expected, TimeSpan timeout)
{
    // The clock starts at the first observed drop, so worker start-up time is not counted.
    var deadline = Stopwatch.StartNew();
    Stopwatch? clock = null;
    long startBacklog = 0;
    while (deadline.Elapsed < timeout)
    {
        var s = await queue.GetStatsAsync(CancellationToken.None);
        var backlog = s.Ready + s.InFlight + s.Delayed;
        if (clock is null && backlog < expected)
        {
            clock = Stopwatch.StartNew();
            startBacklog = backlog;
        }
        if (backlog == 0 && clock is not null)
        {
            var seconds = clock.Elapsed.TotalSeconds;
            Console.WriteLine($"DRAINED count={startBacklog} seconds={seconds:F2} rate={startBacklog / seconds:F0} dead={s.DeadLettered}");
            return 0;
        }
        await Task.Delay(20);
    }
    Console.WriteLine($"DRAIN_TIMEOUT after {timeout.TotalSeconds}s");
    return 1;
}

async Task<int> Verify(long expected, long slack)
{
    var server = redis.GetServers()[0];
    var db = redis.GetDatabase();
    var byStatus = new Dictionary<string, long>();
    var batch = new List<Task<RedisValue>>();
    long total = 0;
    await foreach (var key in server.KeysAsync(pattern: $"{options.Prefix}:exec:*", pageSize: 1000))
    {
        batch.Add(db.HashGetAsync(key, "status"));
        if (batch.Count >= 1000) await Flush();
    }
    await Flush();
    var succeeded = byStatus.GetValueOrDefault(ExecutionStatus.Succeeded);
    Console.WriteLine($"VERIFY records={total} expected={expected} " + string.Join(' ', byStatus.Select(p => $"{p.Key}={p.Value}")));
    return total >= expected && total <= expected + slack && succeeded == total ? 0 : 1;

    async Task Flush()
    {
        foreach (var status in await Task.WhenAll(batch))
        {
            var s = status.IsNull ? "missing" : status.ToString();
            byStatus[s] = byStatus.GetValueOrDefault(s) + 1;
            total++;
        }
        batch.Clear();
    }
}
