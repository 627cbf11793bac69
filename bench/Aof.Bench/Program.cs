// Benchmark helper driven by bench/run.sh. Talks to the same broker the gateway and worker use, through the same
// AddAofBackends wiring (Aof:Queue:Type, ConnectionStrings:<backend>, prefix "aof"). <backend> is redis or nats;
// <connection> is what the services get as ConnectionStrings__<backend> (127.0.0.1:6379, nats://127.0.0.1:4222).
//   publish <backend> <connection> <count> <payload.json>  pre-publish <count> envelopes bound to the bench flow, with queued records
//   drain   <backend> <connection> <expected> <timeout s> [warm-up]
//                                                          wait until the queue is empty. With a warm-up of W, the backlog
//                                                          holds W + <expected> messages: prints drained/s of the last
//                                                          <expected> (rate, the worker warm) and of the first <expected>
//                                                          from the first drop (cold_rate, the worker's JIT still at work)
//   verify  <backend> <connection> <expected> [slack]      every execution record must be 'succeeded'; there must be <expected>
//                                                          of them, or up to [slack] more (requests in flight when the load
//                                                          generator stopped)
//   reset   <backend> <connection>                         delete every message, dead letter, dedup claim and record (streams,
//                                                          groups and consumers stay, so running services are unaffected)
using System.Diagnostics;
using Aof.Bench;
using Aof.Core.Events;
using Aof.Core.Executions;
using Aof.Core.Hosting;
using Aof.Core.Queue;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

const string Prefix = "aof";
// Arguments each verb needs at least, counting the verb.
var arity = new Dictionary<string, int> { ["publish"] = 5, ["drain"] = 5, ["verify"] = 4, ["reset"] = 3 };
if (args.Length < 3 || !arity.TryGetValue(args[0], out var needed) || args.Length < needed || args[1] is not ("redis" or "nats"))
{
    Console.Error.WriteLine("usage: publish <redis|nats> <connection> <count> <payload> | drain <redis|nats> <connection> <expected> <timeout-secs> [warm-up]");
    Console.Error.WriteLine("     | verify <redis|nats> <connection> <expected> [slack] | reset <redis|nats> <connection>");
    return 2;
}

var backend = args[1];
var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
{
    ["Aof:Queue:Type"] = backend,
    [$"ConnectionStrings:{backend}"] = args[2],
    ["Aof:Queue:Prefix"] = Prefix,
    ["Aof:Worker:Name"] = "bench-driver",
}).Build();
await using var services = new ServiceCollection().AddAofBackends(configuration).BuildServiceProvider();
var queue = services.GetRequiredService<IMessageQueue>();
var store = services.GetRequiredService<IExecutionStore>();
var broker = IBenchBroker.For(backend, services, Prefix);
await queue.InitializeAsync(CancellationToken.None);

return args[0] switch
{
    "publish" => await Publish(int.Parse(args[3]), await File.ReadAllBytesAsync(args[4])),
    "drain" => await Drain(long.Parse(args[3]), TimeSpan.FromSeconds(double.Parse(args[4])), args.Length > 5 ? long.Parse(args[5]) : 0),
    "verify" => await Verify(long.Parse(args[3]), args.Length > 4 ? long.Parse(args[4]) : 0),
    "reset" => await Reset(),
    _ => 2,
};

async Task<int> Reset()
{
    await broker.ResetAsync(CancellationToken.None);
    Console.WriteLine($"RESET backend={backend}");
    return 0;
}
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
        var records = envelopes.Select(ExecutionRecord.QueuedFor).ToList();
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

async Task<int> Drain(long expected, TimeSpan timeout, long warmup)
{
    // Clocks start at an observed drop, so worker start-up time is not counted. The cold clock covers the first
    // <expected> messages from the first drop; the warm clock the last <expected>, once the warm-up has drained
    // (without a warm-up both cover the same messages).
    var deadline = Stopwatch.StartNew();
    Stopwatch? cold = null, warm = null;
    long coldBacklog = 0, warmBacklog = 0;
    double coldSeconds = 0;
    while (deadline.Elapsed < timeout)
    {
        var s = await queue.GetStatsAsync(CancellationToken.None);
        var backlog = s.Ready + s.InFlight + s.Delayed;
        if (cold is null && backlog < expected + warmup)
        {
            cold = Stopwatch.StartNew();
            coldBacklog = backlog;
        }
        if (warm is null && backlog <= expected && cold is not null)
        {
            warm = warmup == 0 ? cold : Stopwatch.StartNew();
            warmBacklog = warmup == 0 ? coldBacklog : backlog;
        }
        if (coldSeconds == 0 && cold is not null && backlog <= coldBacklog - Math.Min(expected, coldBacklog))
            coldSeconds = cold.Elapsed.TotalSeconds;
        if (backlog == 0 && warm is not null)
        {
            var seconds = warm.Elapsed.TotalSeconds;
            var coldCount = Math.Min(expected, coldBacklog);
            Console.WriteLine($"DRAINED count={warmBacklog} seconds={seconds:F2} rate={warmBacklog / seconds:F0} " +
                $"cold_count={coldCount} cold_seconds={coldSeconds:F2} cold_rate={coldCount / coldSeconds:F0} warmup={warmup} dead={s.DeadLettered}");
            return 0;
        }
        await Task.Delay(20);
    }
    Console.WriteLine($"DRAIN_TIMEOUT after {timeout.TotalSeconds}s");
    return 1;
}

async Task<int> Verify(long expected, long slack)
{
    var byStatus = new Dictionary<string, long>();
    var batch = new List<Task<ExecutionRecord?>>();
    long total = 0;
    await foreach (var id in broker.ExecutionIdsAsync(CancellationToken.None))
    {
        batch.Add(store.GetAsync(id, CancellationToken.None));
        if (batch.Count >= 1000) await Flush();
    }
    await Flush();
    var succeeded = byStatus.GetValueOrDefault(ExecutionStatus.Succeeded);
    Console.WriteLine($"VERIFY records={total} expected={expected} " + string.Join(' ', byStatus.Select(p => $"{p.Key}={p.Value}")));
    return total >= expected && total <= expected + slack && succeeded == total ? 0 : 1;

    async Task Flush()
    {
        foreach (var record in await Task.WhenAll(batch))
        {
            var s = record?.Status ?? "missing";
            byStatus[s] = byStatus.GetValueOrDefault(s) + 1;
            total++;
        }
        batch.Clear();
    }
}
