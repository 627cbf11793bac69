using Aof.Core.Events;
using Aof.Core.Executions;
using Aof.Core.Executions.InMemory;
using Aof.Core.Executions.Nats;
using Aof.Core.Executions.Redis;
using Aof.Core.Hosting;
using Aof.Core.Queue;
using Aof.Core.Queue.InMemory;
using Aof.Core.Queue.Nats;
using Aof.Core.Queue.Redis;
using Aof.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using NATS.Client.Core;
using StackExchange.Redis;

namespace Aof.Tests.Queue;

public sealed class BackendRegistrationTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddAofBackends(configuration);
        return services.BuildServiceProvider();
    }

    private static async Task<HealthStatus> HealthAsync(IServiceProvider sp) =>
        (await sp.GetRequiredService<HealthCheckService>().CheckHealthAsync()).Entries["queue"].Status;

    [Fact]
    public async Task Memory_backend_is_the_default()
    {
        await using var sp = Build(new());
        Assert.IsType<InMemoryMessageQueue>(sp.GetRequiredService<IMessageQueue>());
        Assert.IsType<InMemoryExecutionStore>(sp.GetRequiredService<IExecutionStore>());
        Assert.Same(TimeProvider.System, sp.GetRequiredService<TimeProvider>());
        Assert.Equal(HealthStatus.Healthy, await HealthAsync(sp));
    }

    [Fact(Timeout = 30_000)]
    public async Task Redis_backend_uses_the_injected_connection_string()
    {
        var prefix = "reg" + Guid.NewGuid().ToString("N")[..8];
        await using var sp = Build(new()
        {
            ["ConnectionStrings:redis"] = redis.ConnectionString,
            ["Aof:Queue:Type"] = "redis",
            ["Aof:Queue:Prefix"] = prefix,
            ["Aof:Queue:Url"] = "127.0.0.1:1", // ignored: the connection string wins
            ["Aof:Worker:Name"] = "w-test",
        });
        var queue = Assert.IsType<RedisMessageQueue>(sp.GetRequiredService<IMessageQueue>());
        Assert.Equal("w-test", queue.ConsumerName);
        Assert.IsType<RedisExecutionStore>(sp.GetRequiredService<IExecutionStore>());
        Assert.NotNull(sp.GetRequiredService<IConnectionMultiplexer>());

        var m = new OutgoingMessage(Ulid.NewUlid(), Priority.Normal, "{}"u8.ToArray(), 3);
        await queue.PublishAsync([m], null, CancellationToken.None);
        var got = await queue.FetchAsync(1, TimeSpan.FromSeconds(5), CancellationToken.None);
        Assert.Equal(m.Id, Assert.Single(got).MessageId);
        Assert.Equal(HealthStatus.Healthy, await HealthAsync(sp));
    }

    [Fact(Timeout = 30_000)]
    public async Task Redis_backend_accepts_a_redis_url()
    {
        await using var sp = Build(new()
        {
            ["Aof:Queue:Type"] = "redis",
            ["Aof:Queue:Url"] = $"redis://127.0.0.1:{redis.Server.Port}",
        });
        Assert.True(await sp.GetRequiredService<IMessageQueue>().PingAsync(CancellationToken.None));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_service_starts_while_redis_is_down_and_recovers_when_it_comes_back()
    {
        await using var server = await RedisServer.StartNewAsync();
        await server.StopAsync();
        await using var sp = Build(new()
        {
            ["ConnectionStrings:redis"] = $"{server.ConnectionString},connectTimeout=500",
            ["Aof:Queue:Type"] = "redis",
        });
        var queue = sp.GetRequiredService<IMessageQueue>();
        Assert.Equal(HealthStatus.Unhealthy, await HealthAsync(sp));

        await server.StartAsync();
        var until = DateTime.UtcNow.AddSeconds(30);
        while (await HealthAsync(sp) != HealthStatus.Healthy)
        {
            Assert.True(DateTime.UtcNow < until, "the queue did not become healthy after redis came back");
            await Task.Delay(200);
        }
        await queue.PublishAsync([new OutgoingMessage(Ulid.NewUlid(), Priority.Low, "{}"u8.ToArray(), 1)], null, CancellationToken.None);
    }

    [Fact(Timeout = 30_000)]
    public async Task Nats_backend_uses_the_injected_connection_string()
    {
        await using var server = await NatsServer.StartNewAsync();
        var prefix = "reg" + Guid.NewGuid().ToString("N")[..8];
        await using var sp = Build(new()
        {
            ["ConnectionStrings:nats"] = server.Url,
            ["Aof:Queue:Type"] = "nats",
            ["Aof:Queue:Prefix"] = prefix,
            ["Aof:Queue:Url"] = "nats://127.0.0.1:1", // ignored: the connection string wins
        });
        var queue = Assert.IsType<NatsMessageQueue>(sp.GetRequiredService<IMessageQueue>());
        Assert.Equal("nats", queue.Backend);
        Assert.IsType<NatsExecutionStore>(sp.GetRequiredService<IExecutionStore>());
        Assert.NotNull(sp.GetRequiredService<INatsConnection>());

        await queue.InitializeAsync(CancellationToken.None);
        var m = new OutgoingMessage(Ulid.NewUlid(), Priority.Normal, "{}"u8.ToArray(), 3);
        await queue.PublishAsync([m], null, CancellationToken.None);
        var got = await queue.FetchAsync(1, TimeSpan.FromSeconds(5), CancellationToken.None);
        Assert.Equal(m.Id, Assert.Single(got).MessageId);
        Assert.Equal(HealthStatus.Healthy, await HealthAsync(sp));

        var store = sp.GetRequiredService<IExecutionStore>();
        await store.RecordQueuedAsync([new ExecutionRecord { Id = m.Id, Platform = "github" }], CancellationToken.None);
        Assert.Equal(ExecutionStatus.Queued, (await QueuedRecords.WaitForAsync(store, m.Id))!.Status);
    }

    [Fact(Timeout = 30_000)]
    public async Task Nats_backend_accepts_a_url_with_user_and_password()
    {
        await using var server = await NatsServer.StartNewAsync(new NatsServerOptions { Credentials = ("aof", "s3cr:t@") });
        await using var sp = Build(new()
        {
            ["Aof:Queue:Type"] = "nats",
            ["Aof:Queue:Url"] = $"nats://aof:{Uri.EscapeDataString("s3cr:t@")}@127.0.0.1:{server.Port}",
        });
        var queue = sp.GetRequiredService<IMessageQueue>();
        await queue.InitializeAsync(CancellationToken.None);
        Assert.True(await queue.PingAsync(CancellationToken.None));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_service_starts_while_nats_is_down_and_recovers_when_it_comes_up()
    {
        await using var server = NatsServer.Create(); // not started: nothing listens on its port yet
        await using var sp = Build(new()
        {
            ["ConnectionStrings:nats"] = server.Url,
            ["Aof:Queue:Type"] = "nats",
        });
        var queue = sp.GetRequiredService<IMessageQueue>();
        Assert.Equal(HealthStatus.Unhealthy, await HealthAsync(sp));
        await Assert.ThrowsAsync<QueueUnavailableException>(() =>
            queue.PublishAsync([new OutgoingMessage(Ulid.NewUlid(), Priority.Low, "{}"u8.ToArray(), 1)], null, CancellationToken.None));

        await server.StartAsync();
        var until = DateTime.UtcNow.AddSeconds(30);
        while (await HealthAsync(sp) != HealthStatus.Healthy)
        {
            Assert.True(DateTime.UtcNow < until, "the queue did not become healthy after nats came up");
            await Task.Delay(200);
        }
        await queue.PublishAsync([new OutgoingMessage(Ulid.NewUlid(), Priority.Low, "{}"u8.ToArray(), 1)], null, CancellationToken.None);
    }

    [Fact]
    public void Nats_without_an_address_is_refused_at_startup()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => Build(new() { ["Aof:Queue:Type"] = "nats" }));
        Assert.Contains("ConnectionStrings:nats", ex.Message);
    }

    [Fact]
    public void Redis_without_an_address_is_refused_at_startup()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => Build(new() { ["Aof:Queue:Type"] = "redis" }));
        Assert.Contains("ConnectionStrings:redis", ex.Message);
    }

    [Fact]
    public void Unknown_queue_type_is_refused()
    {
        Assert.Throws<InvalidOperationException>(() => Build(new() { ["Aof:Queue:Type"] = "kafka" }));
    }
}

public class RedisConnectionSettingsTests
{
    [Fact]
    public void Host_and_port()
    {
        var o = RedisConnectionSettings.Parse("cache.local:6380");
        Assert.Equal("Unspecified/cache.local:6380", Assert.Single(o.EndPoints).ToString());
        Assert.False(o.AbortOnConnectFail);
    }

    [Fact]
    public void Aspire_style_connection_string_keeps_its_options()
    {
        var o = RedisConnectionSettings.Parse("localhost:6379,password=s3cret,ssl=true");
        Assert.Equal("s3cret", o.Password);
        Assert.True(o.Ssl);
        Assert.False(o.AbortOnConnectFail);
    }

    [Fact]
    public void Url_with_password_and_database()
    {
        var o = RedisConnectionSettings.Parse("redis://:p%40ss@10.0.0.5:6390/2");
        Assert.Equal("10.0.0.5:6390", Assert.Single(o.EndPoints).ToString());
        Assert.Equal("p@ss", o.Password);
        Assert.Null(o.User);
        Assert.Equal(2, o.DefaultDatabase);
        Assert.False(o.Ssl);
        Assert.False(o.AbortOnConnectFail);
    }

    [Fact]
    public void Tls_url_with_user_and_default_port()
    {
        var o = RedisConnectionSettings.Parse("rediss://app:pw@redis.example.com");
        Assert.Equal("Unspecified/redis.example.com:6379", Assert.Single(o.EndPoints).ToString());
        Assert.Equal("app", o.User);
        Assert.Equal("pw", o.Password);
        Assert.True(o.Ssl);
    }

    [Fact]
    public void A_bad_url_does_not_leak_the_password()
    {
        var ex = Assert.Throws<FormatException>(() => RedisConnectionSettings.Parse("redis://:hunter2@host:1/notadb"));
        Assert.DoesNotContain("hunter2", ex.Message);
    }
}

public class NatsConnectionSettingsTests
{
    [Fact]
    public void Host_and_port_without_scheme()
    {
        var o = NatsConnectionSettings.Parse("nats.local:4333");
        Assert.Equal("nats://nats.local:4333", o.Url);
        Assert.True(o.RetryOnInitialConnect);
        Assert.Equal(-1, o.MaxReconnectRetry);
    }

    [Fact]
    public void User_and_password_move_out_of_the_url()
    {
        var o = NatsConnectionSettings.Parse("nats://app:p%40ss@10.0.0.5");
        Assert.Equal("nats://10.0.0.5:4222", o.Url);
        Assert.Equal("app", o.AuthOpts.Username);
        Assert.Equal("p@ss", o.AuthOpts.Password);
    }

    [Fact]
    public void A_token_and_a_cluster_list()
    {
        var o = NatsConnectionSettings.Parse("tls://t0ken@a.example:4222, tls://b.example:4223");
        Assert.Equal("tls://a.example:4222,tls://b.example:4223", o.Url);
        Assert.Equal("t0ken", o.AuthOpts.Token);
    }

    [Fact]
    public void A_bad_url_does_not_leak_the_password()
    {
        var ex = Assert.Throws<FormatException>(() => NatsConnectionSettings.Parse("http://u:hunter2@host:1"));
        Assert.DoesNotContain("hunter2", ex.Message);
    }
}
