using System.Text;
using Aof.Core.Events;
using Aof.Core.Queue;
using Aof.Core.Queue.Nats;
using Aof.Core.Queue.Redis;
using Aof.Tests.Infrastructure;
using NATS.Client.Core;
using StackExchange.Redis;

namespace Aof.Tests.Queue;

/// <summary>
/// Broker restart, for the backends that have a broker (the in-memory queue lives and dies with its process):
/// every message whose publish was confirmed is still there afterwards, with the dead letters, and on Redis the dedup
/// keys (JetStream's duplicate table does not reliably survive a restart of nats-server 2.9: see docs/operations.md).
/// Redis runs with appendonly + appendfsync always, NATS with JetStream file storage. Each test owns its broker.
/// </summary>
public abstract class BrokerRestartContractTests : IAsyncLifetime
{
    private static readonly TimeSpan Visibility = TimeSpan.FromSeconds(1);
    private readonly CancellationTokenSource _cts = new(TimeSpan.FromSeconds(80));

    protected CancellationToken Ct => _cts.Token;

    /// <summary>Starts this test's broker with persistence.</summary>
    protected abstract Task StartBrokerAsync();

    /// <summary>A queue on this test's broker whose connection rides out restarts.</summary>
    protected abstract Task<IMessageQueue> CreateQueueAsync(QueueOptions options);

    /// <summary>Takes the broker down (a clean stop, or SIGKILL when <paramref name="crash"/>) and starts it again on the same data.</summary>
    protected abstract Task RestartBrokerAsync(bool crash);

    protected abstract Task StopBrokerAsync();

    /// <summary>Whether the broker still recognizes deliveries published before its restart (see docs/operations.md).</summary>
    protected virtual bool DedupSurvivesRestart => true;

    public Task InitializeAsync() => StartBrokerAsync();

    public async Task DisposeAsync()
    {
        await StopBrokerAsync();
        _cts.Dispose();
    }

    private static OutgoingMessage Msg(Priority p) =>
        new(Ulid.NewUlid(), p, Encoding.UTF8.GetBytes($"{{\"lane\":\"{p.ToWire()}\"}}"), 3);

    [Theory(Timeout = 90_000)]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Every_confirmed_message_survives_a_broker_restart(bool crash)
    {
        var options = new QueueOptions
        {
            Prefix = "r" + Guid.NewGuid().ToString("N")[..10],
            VisibilityTimeoutMs = (int)Visibility.TotalMilliseconds,
            DedupWindowSecs = 600,
        };
        var q = await CreateQueueAsync(options);
        await q.InitializeAsync(Ct);

        var confirmed = new List<OutgoingMessage>();
        var deliveries = new Dictionary<string, List<OutgoingMessage>>();
        for (var i = 0; i < 30; i++)
        {
            var batch = Enumerable.Range(0, 10).Select(j => Msg((Priority)((i + j) % 3))).ToList();
            await q.PublishAsync(batch, i % 2 == 0 ? $"delivery-{i}" : null, Ct);
            confirmed.AddRange(batch);
            if (i % 2 == 0) deliveries[$"delivery-{i}"] = batch;
        }

        // Some leased and never acked (in flight at the restart), one nacked with a delay, one dead-lettered.
        var leased = await FetchAtLeastAsync(q, 7, TimeSpan.FromSeconds(5));
        Assert.Equal(7, leased.Count);
        Assert.Equal(NackOutcome.Retried, await q.NackAsync(leased[0], TimeSpan.FromMilliseconds(500), "later", Ct));
        await q.DeadLetterAsync(leased[1], DeadLetterReasons.PermanentFailure, "bad input", Ct);
        var deadId = leased[1].MessageId;

        await RestartBrokerAsync(crash);

        // The same queue object: its connection reconnects on its own.
        var expected = confirmed.Select(m => m.Id).Where(id => id != deadId).ToHashSet();
        var got = new Dictionary<string, Delivery>();
        var until = DateTime.UtcNow.AddSeconds(30);
        // Until every expected id arrived, not until as many arrived: after a crash the dead letter may come back too.
        while (expected.Any(id => !got.ContainsKey(id)) && DateTime.UtcNow < until)
        {
            try
            {
                foreach (var d in await q.FetchAsync(100, TimeSpan.FromMilliseconds(300), Ct))
                {
                    got.TryAdd(d.MessageId, d);
                    await q.AckAsync(d, Ct);
                }
            }
            catch (QueueUnavailableException)
            {
                await Task.Delay(100, Ct);
            }
        }

        var missing = expected.Where(id => !got.ContainsKey(id)).ToList();
        Assert.True(missing.Count == 0, $"lost {missing.Count} confirmed messages: {string.Join(", ", missing.Take(5))}");
        var extra = got.Keys.Where(id => !expected.Contains(id)).ToList();
        if (crash)
        {
            // At-least-once: a settlement the broker had not yet persisted may be undone by a crash, so the
            // dead-lettered message may come back once more; nothing else may appear.
            Assert.True(extra.All(id => id == deadId), $"unexpected messages: {string.Join(", ", extra)}");
        }
        else
        {
            Assert.Empty(extra);
        }
        foreach (var m in confirmed.Where(m => m.Id != deadId))
        {
            Assert.Equal(m.Priority, got[m.Id].Priority);
            Assert.Equal(m.Body.ToArray(), got[m.Id].Body.ToArray());
        }

        var dead = await q.DeadLetters.GetAsync(deadId, Ct);
        Assert.NotNull(dead);
        Assert.Equal(DeadLetterReasons.PermanentFailure, dead.Reason);
        Assert.Equal("bad input", dead.LastError);

        // Dedup: on Redis a redelivered webhook (its messages named as the first time) is still a duplicate; JetStream
        // 2.9 keeps its duplicate table in memory and, after this restart, no longer knew any of the deliveries.
        if (!DedupSurvivesRestart) return;
        var messages = deliveries["delivery-0"];
        var again = await q.PublishAsync(messages, "delivery-0", Ct);
        Assert.True(again.Duplicate);
        Assert.Equal(messages.Select(m => m.Id), again.MessageIds);
    }

    private async Task<List<Delivery>> FetchAtLeastAsync(IMessageQueue q, int count, TimeSpan within)
    {
        var got = new List<Delivery>();
        var until = DateTime.UtcNow + within;
        while (got.Count < count && DateTime.UtcNow < until)
            got.AddRange(await q.FetchAsync(count - got.Count, TimeSpan.FromMilliseconds(200), Ct));
        return got;
    }
}

public sealed class RedisBrokerRestartTests : BrokerRestartContractTests
{
    private RedisServer? _server;
    private ConnectionMultiplexer? _connection;

    protected override async Task StartBrokerAsync()
    {
        _server = await RedisServer.StartNewAsync(appendOnly: true, Ct);
        _connection = await _server.ConnectAsync(timeoutMs: 1000);
    }

    protected override Task<IMessageQueue> CreateQueueAsync(QueueOptions options) =>
        Task.FromResult<IMessageQueue>(new RedisMessageQueue(_connection!, options, "w1"));

    protected override async Task RestartBrokerAsync(bool crash)
    {
        if (crash) _server!.Kill();
        else await _server!.StopAsync(Ct);
        await _server.StartAsync(Ct);
    }

    protected override async Task StopBrokerAsync()
    {
        if (_connection is not null) await _connection.DisposeAsync();
        _server?.Dispose();
    }
}

public sealed class NatsBrokerRestartTests : BrokerRestartContractTests
{
    // Measured with 2.9.10: after a restart no delivery of this test was recognized any more (the table is rebuilt from
    // the stored messages, and not at all here once some had been consumed and dead-lettered).
    protected override bool DedupSurvivesRestart => false;

    private NatsServer? _server;
    private NatsConnection? _connection;

    protected override async Task StartBrokerAsync()
    {
        _server = await NatsServer.StartNewAsync(Ct);
        _connection = await _server.ConnectAsync();
    }

    protected override Task<IMessageQueue> CreateQueueAsync(QueueOptions options) =>
        Task.FromResult<IMessageQueue>(new NatsMessageQueue(_connection!, options));

    protected override async Task RestartBrokerAsync(bool crash)
    {
        if (crash) _server!.Kill();
        else await _server!.StopAsync(Ct);
        await _server.StartAsync(Ct);
    }

    protected override async Task StopBrokerAsync()
    {
        if (_connection is not null) await _connection.DisposeAsync();
        _server?.Dispose();
    }
}
