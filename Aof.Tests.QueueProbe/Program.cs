// Leases one message from a queue and holds it without ever acking, until it is killed.
// Usage: Aof.Tests.QueueProbe <redis|nats> <address> <prefix> <visibility ms> <dedup window s>
// Prints "LEASED <message id> <attempt>" once it holds a message, "EMPTY" when none came within 30 s.
using System.Globalization;
using Aof.Core.Queue;
using Aof.Core.Queue.Nats;
using Aof.Core.Queue.Redis;
using NATS.Client.Core;
using StackExchange.Redis;

if (args.Length != 5)
{
    Console.Error.WriteLine("usage: Aof.Tests.QueueProbe <redis|nats> <address> <prefix> <visibility ms> <dedup window s>");
    return 2;
}

var options = new QueueOptions
{
    Type = args[0],
    Prefix = args[2],
    VisibilityTimeoutMs = int.Parse(args[3], CultureInfo.InvariantCulture),
    DedupWindowSecs = int.Parse(args[4], CultureInfo.InvariantCulture),
};

IMessageQueue queue = args[0] switch
{
    "redis" => new RedisMessageQueue(
        await ConnectionMultiplexer.ConnectAsync(RedisConnectionSettings.Parse(args[1])), options, $"probe-{Environment.ProcessId}"),
    "nats" => new NatsMessageQueue(new NatsConnection(NatsConnectionSettings.Parse(args[1], "aof-queue-probe")), options),
    _ => throw new ArgumentException($"unknown backend '{args[0]}'"),
};

using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
await queue.InitializeAsync(timeout.Token);
while (!timeout.IsCancellationRequested)
{
    var got = await queue.FetchAsync(1, TimeSpan.FromSeconds(1), timeout.Token);
    if (got.Count == 0) continue;
    Console.WriteLine($"LEASED {got[0].MessageId} {got[0].Attempt}");
    Console.Out.Flush();
    // Hold the lease without acking, renewing or releasing until the test kills this process.
    await Task.Delay(Timeout.Infinite);
}
Console.WriteLine("EMPTY");
return 1;
