// Queue drain benchmark: publishes N messages to the Redis queue, then one worker (one process, one fetch
// loop, acks of a batch in flight together) drains them. Prints publish and drain rates.
// Usage: dotnet run -c Release -- <redis host:port> [messages=50000] [fetch batch=64] [body bytes=1500]
using System.Diagnostics;
using Aof.Core.Events;
using Aof.Core.Queue;
using Aof.Core.Queue.Redis;
using StackExchange.Redis;

var address = args.Length > 0 ? args[0] : "127.0.0.1:6379";
var count = args.Length > 1 ? int.Parse(args[1]) : 50_000;
var batch = args.Length > 2 ? int.Parse(args[2]) : 64;
var bodySize = args.Length > 3 ? int.Parse(args[3]) : 1500;

await using var redis = await ConnectionMultiplexer.ConnectAsync(RedisConnectionSettings.Parse(address));
var options = new QueueOptions { Prefix = "bench-" + Guid.NewGuid().ToString("N")[..8] };
var queue = new RedisMessageQueue(redis, options, "bench-worker");
await queue.InitializeAsync(CancellationToken.None);
var body = new byte[bodySize];

var clock = Stopwatch.StartNew();
var inFlight = new List<Task>();
for (var i = 0; i < count; i += 100)
{
    var messages = Enumerable.Range(0, Math.Min(100, count - i))
        .Select(_ => new OutgoingMessage(Ulid.NewUlid(), Priority.Normal, body, 3)).ToList();
    inFlight.Add(queue.PublishAsync(messages, null, CancellationToken.None));
    if (inFlight.Count >= 32)
    {
        await Task.WhenAll(inFlight);
        inFlight.Clear();
    }
}
await Task.WhenAll(inFlight);
var publishSeconds = clock.Elapsed.TotalSeconds;

clock.Restart();
var drained = 0;
while (drained < count)
{
    var deliveries = await queue.FetchAsync(batch, TimeSpan.FromSeconds(2), CancellationToken.None);
    if (deliveries.Count == 0) break;
    await Task.WhenAll(deliveries.Select(d => queue.AckAsync(d, CancellationToken.None)));
    drained += deliveries.Count;
}
var drainSeconds = clock.Elapsed.TotalSeconds;
var stats = await queue.GetStatsAsync(CancellationToken.None);

Console.WriteLine($"messages={count} body={bodySize}B fetch_batch={batch}");
Console.WriteLine($"publish: {count / publishSeconds:F0} msg/s (batches of 100, 32 in flight)");
Console.WriteLine($"drain:   {drained / drainSeconds:F0} msg/s by one worker ({drained} in {drainSeconds:F2}s)");
Console.WriteLine($"left:    ready={stats.Ready} in_flight={stats.InFlight}");
foreach (var lane in queue.Keys.Lanes) await redis.GetDatabase().KeyDeleteAsync(lane);
