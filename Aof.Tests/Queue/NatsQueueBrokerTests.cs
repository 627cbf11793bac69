using Aof.Core.Events;
using Aof.Core.Queue;
using Aof.Core.Queue.Nats;
using Aof.Tests.Infrastructure;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Aof.Tests.Queue;

/// <summary>
/// The bad-input rows of the NATS backend: broker unreachable at start, no JetStream, an operator's stream with
/// other settings, a message over max_payload, an outage. Each test owns its nats-server.
/// </summary>
public sealed class NatsQueueBrokerTests : IAsyncLifetime
{
    private readonly CancellationTokenSource _cts = new(TimeSpan.FromSeconds(55));
    private readonly List<IAsyncDisposable> _owned = [];

    private CancellationToken Ct => _cts.Token;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        for (var i = _owned.Count - 1; i >= 0; i--) await _owned[i].DisposeAsync();
        _cts.Dispose();
    }

    private async Task<NatsServer> StartAsync(NatsServerOptions? options = null)
    {
        var server = await NatsServer.StartNewAsync(options ?? new NatsServerOptions(), Ct);
        _owned.Add(server);
        return server;
    }

    private NatsConnection Connect(NatsServer server)
    {
        var connection = new NatsConnection(server.ClientOptions());
        _owned.Add(connection);
        return connection;
    }

    private static QueueOptions Options() => new() { Prefix = "b" + Guid.NewGuid().ToString("N")[..10], DedupWindowSecs = 60 };

    private static OutgoingMessage Msg(int bodyBytes = 2) =>
        new(Ulid.NewUlid(), Priority.Normal, bodyBytes == 2 ? "{}"u8.ToArray() : new byte[bodyBytes], 3);

    [Fact(Timeout = 60_000)]
    public async Task Unreachable_at_start_is_unavailable_and_recovers_when_a_server_starts_on_the_port()
    {
        var server = NatsServer.Create(); // its port is free: nothing listens yet
        _owned.Add(server);
        var queue = new NatsMessageQueue(Connect(server), Options()) { InitialConnectWait = TimeSpan.FromMilliseconds(300) };

        await Assert.ThrowsAsync<QueueUnavailableException>(() => queue.InitializeAsync(Ct));
        await Assert.ThrowsAsync<QueueUnavailableException>(() => queue.PublishAsync([Msg()], null, Ct));
        await Assert.ThrowsAsync<QueueUnavailableException>(() => queue.FetchAsync(1, TimeSpan.FromMilliseconds(100), Ct));
        Assert.False(await queue.PingAsync(Ct));

        await server.StartAsync(Ct);
        // The connection keeps retrying on its own; the queue provisions its streams on the first call that gets through.
        var m = Msg();
        await RetryUntilAvailableAsync(() => queue.PublishAsync([m], null, Ct));
        Assert.True(await queue.PingAsync(Ct));
        var got = await queue.FetchAsync(1, TimeSpan.FromSeconds(5), Ct);
        Assert.Equal(m.Id, Assert.Single(got).MessageId);
    }

    [Fact(Timeout = 60_000)]
    public async Task Without_jetstream_startup_fails_with_an_error_naming_the_js_flag()
    {
        var server = await StartAsync(new NatsServerOptions { JetStream = false });
        var queue = new NatsMessageQueue(Connect(server), Options());
        var ex = await Assert.ThrowsAsync<QueueConfigurationException>(() => queue.InitializeAsync(Ct));
        Assert.Contains("-js", ex.Message);
        Assert.Contains("JetStream is not enabled", ex.Message);
    }

    public static TheoryData<string, string> Mismatches => new()
    {
        { "retention", "retention is limits but must be workqueue" },
        { "storage", "storage is memory but must be file" },
        { "subjects", "subjects are" },
        { "duplicate_window", "duplicate_window is" },
    };

    [Theory(Timeout = 60_000)]
    [MemberData(nameof(Mismatches))]
    public async Task An_existing_stream_with_other_settings_is_reported_not_reconfigured(string setting, string expected)
    {
        var server = await StartAsync();
        var connection = Connect(server);
        var options = Options();
        var names = new NatsNames(options.Prefix);
        var js = new NatsJSContext(connection);
        var theirs = new StreamConfig(names.EventsStream, [.. names.LaneSubjects])
        {
            Retention = StreamConfigRetention.Workqueue,
            Storage = StreamConfigStorage.File,
            DuplicateWindow = options.DedupWindow,
        };
        switch (setting)
        {
            case "retention": theirs.Retention = StreamConfigRetention.Limits; break;
            case "storage": theirs.Storage = StreamConfigStorage.Memory; break;
            case "subjects": theirs.Subjects = [names.LaneSubjects[0], names.LaneSubjects[1]]; break;
            case "duplicate_window": theirs.DuplicateWindow = TimeSpan.FromSeconds(5); break;
        }
        await js.CreateStreamAsync(theirs, Ct);

        var queue = new NatsMessageQueue(connection, options);
        var ex = await Assert.ThrowsAsync<QueueConfigurationException>(() => queue.InitializeAsync(Ct));
        Assert.Contains(expected, ex.Message);
        Assert.Contains(names.EventsStream, ex.Message);

        // Left as the operator made it.
        var after = (await js.GetStreamAsync(names.EventsStream, cancellationToken: Ct)).Info.Config;
        Assert.Equal(theirs.Retention, after.Retention);
        Assert.Equal(theirs.Storage, after.Storage);
        Assert.Equal(theirs.DuplicateWindow, after.DuplicateWindow);
        Assert.Equal(theirs.Subjects!.Order(), after.Subjects!.Order());
    }

    [Fact(Timeout = 60_000)]
    public async Task A_matching_existing_stream_is_used_as_it_is()
    {
        var server = await StartAsync();
        var connection = Connect(server);
        var options = Options();
        var first = new NatsMessageQueue(connection, options);
        await first.InitializeAsync(Ct);
        var m = Msg();
        await first.PublishAsync([m], null, Ct);

        // A second process starting later finds the streams and consumers in place.
        var second = new NatsMessageQueue(Connect(server), options);
        await second.InitializeAsync(Ct);
        Assert.Equal(m.Id, (await FetchOneAsync(second)).MessageId);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_message_over_max_payload_is_refused_as_too_large_and_the_connection_stays_usable()
    {
        var server = await StartAsync(new NatsServerOptions { MaxPayload = 8 * 1024 });
        var queue = new NatsMessageQueue(Connect(server), Options());
        await queue.InitializeAsync(Ct);

        var big = Msg(bodyBytes: 16 * 1024);
        var ex = await Assert.ThrowsAsync<MessageTooLargeException>(() => queue.PublishAsync([Msg(), big], "delivery-big", Ct));
        Assert.Equal(8 * 1024, ex.Limit);
        Assert.True(ex.Size > 16 * 1024);
        // Close to the limit but over it once the headers count.
        await Assert.ThrowsAsync<MessageTooLargeException>(() => queue.PublishAsync([Msg(bodyBytes: 8 * 1024 - 10)], null, Ct));

        // Nothing was stored, and the connection was not dropped by the server.
        var small = Msg();
        var r = await queue.PublishAsync([small], "delivery-big", Ct);
        Assert.False(r.Duplicate);
        Assert.Equal(small.Id, (await FetchOneAsync(queue)).MessageId);
        Assert.Empty(await queue.FetchAsync(5, TimeSpan.FromMilliseconds(200), Ct));
    }

    [Fact(Timeout = 60_000)]
    public async Task An_outage_is_unavailable_and_the_queue_works_again_after_the_restart()
    {
        var server = await StartAsync();
        var queue = new NatsMessageQueue(Connect(server), Options());
        await queue.InitializeAsync(Ct);
        var before = Msg();
        await queue.PublishAsync([before], "dlv-before", Ct);

        await server.StopAsync(Ct);
        var during = Msg();
        await Assert.ThrowsAsync<QueueUnavailableException>(() => queue.PublishAsync([during], "dlv-during", Ct));
        await Assert.ThrowsAsync<QueueUnavailableException>(() => queue.FetchAsync(1, TimeSpan.FromMilliseconds(100), Ct));
        await Assert.ThrowsAsync<QueueUnavailableException>(() => queue.GetStatsAsync(Ct));
        Assert.False(await queue.PingAsync(Ct));

        await server.StartAsync(Ct);
        // The sender retries the refused delivery with the same message (the gateway names it after the delivery). The
        // refused publish may still have reached the server after the restart (it sat in the client's buffer): either
        // way the retry is answered with the message's id and the message is there once.
        var r = await RetryUntilAvailableAsync(() => queue.PublishAsync([during], "dlv-during", Ct));
        Assert.Equal([during.Id], r.MessageIds);
        Assert.True((await queue.PublishAsync([before], "dlv-before", Ct)).Duplicate);

        var got = new List<Delivery>();
        var until = DateTime.UtcNow.AddSeconds(10);
        while (got.Count < 2 && DateTime.UtcNow < until) got.AddRange(await queue.FetchAsync(2, TimeSpan.FromMilliseconds(200), Ct));
        Assert.Equal(new[] { before.Id, during.Id }.Order(), got.Select(d => d.MessageId).Order());
        Assert.Empty(await queue.FetchAsync(5, TimeSpan.FromMilliseconds(200), Ct));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_message_stored_after_its_publish_was_refused_makes_the_retry_a_duplicate_with_its_id()
    {
        // What an outage can leave behind: the message reached the server after the publisher had given up and
        // answered 503. The sender's retry stores nothing more and is answered with the message's own id.
        var server = await StartAsync();
        var queue = new NatsMessageQueue(Connect(server), Options());
        await queue.InitializeAsync(Ct);
        var late = Msg();
        await queue.PublishAsync([late], "github:late", Ct);

        var retry = await queue.PublishAsync([late with { Body = "{}"u8.ToArray() }], "github:late", Ct);

        Assert.True(retry.Duplicate);
        Assert.False(retry.FirstIdsKnown);
        Assert.Equal([late.Id], retry.MessageIds);
        Assert.Equal(late.Id, (await FetchOneAsync(queue)).MessageId);
        Assert.Empty(await queue.FetchAsync(5, TimeSpan.FromMilliseconds(200), Ct));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_delivery_stored_only_in_part_is_completed_by_the_retry_and_accepted()
    {
        // Each message is its own JetStream write: a publish can fail after its first message was stored.
        var server = await StartAsync();
        var queue = new NatsMessageQueue(Connect(server), Options());
        await queue.InitializeAsync(Ct);
        var m0 = Msg();
        var m1 = Msg();
        await queue.PublishAsync([m0], "github:half", Ct);

        var retry = await queue.PublishAsync([m0, m1], "github:half", Ct);

        Assert.False(retry.Duplicate);
        Assert.Equal([m0.Id, m1.Id], retry.MessageIds);
        var got = new List<Delivery>();
        var until = DateTime.UtcNow.AddSeconds(10);
        while (got.Count < 2 && DateTime.UtcNow < until) got.AddRange(await queue.FetchAsync(2, TimeSpan.FromMilliseconds(200), Ct));
        Assert.Equal(new[] { m0.Id, m1.Id }.Order(), got.Select(d => d.MessageId).Order());
        Assert.Empty(await queue.FetchAsync(5, TimeSpan.FromMilliseconds(200), Ct));
    }

    private async Task<Delivery> FetchOneAsync(IMessageQueue q)
    {
        var until = DateTime.UtcNow.AddSeconds(5);
        while (DateTime.UtcNow < until)
        {
            var got = await q.FetchAsync(1, TimeSpan.FromMilliseconds(200), Ct);
            if (got.Count > 0) return got[0];
        }
        throw new TimeoutException("no message arrived");
    }

    private async Task<T> RetryUntilAvailableAsync<T>(Func<Task<T>> call)
    {
        var until = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                return await call();
            }
            catch (QueueUnavailableException) when (DateTime.UtcNow < until)
            {
                await Task.Delay(100, Ct);
            }
        }
    }
}
