using Aof.Core.Queue;
using Aof.Core.Queue.Nats;
using Aof.Tests.Infrastructure;
using NATS.Client.Core;

namespace Aof.Tests.Queue;

/// <summary>The queue contract against a real nats-server with JetStream, plus what only NATS has.</summary>
public sealed class NatsQueueContractTests(NatsServerFixture nats) : QueueContractTests, IClassFixture<NatsServerFixture>, IAsyncLifetime
{
    private readonly List<NatsConnection> _connections = [];

    protected override Task<IMessageQueue> CreateQueueCoreAsync(QueueOptions options) =>
        Task.FromResult<IMessageQueue>(new NatsMessageQueue(nats.Connection, options));

    // Another worker: its own connection, the same streams and consumers.
    protected override async Task<IMessageQueue> CreateConsumerCoreAsync(IMessageQueue first, QueueOptions options)
    {
        var connection = await nats.Server.ConnectAsync("second-worker");
        _connections.Add(connection);
        return new NatsMessageQueue(connection, options);
    }

    // A separate consumer process, killed with SIGKILL while it holds the lease.
    protected override async Task<string> LeaseInAConsumerThatDiesAsync(IMessageQueue queue, QueueOptions options)
    {
        using var probe = QueueProbeProcess.Start("nats", nats.Url, options);
        var id = await probe.LeasedMessageIdAsync(Ct);
        await probe.KillAsync(Ct);
        return id;
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        foreach (var c in _connections) await c.DisposeAsync();
    }
}
