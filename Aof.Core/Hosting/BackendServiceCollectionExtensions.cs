using Aof.Core.Configuration;
using Aof.Core.Executions;
using Aof.Core.Executions.InMemory;
using Aof.Core.Executions.Nats;
using Aof.Core.Executions.Redis;
using Aof.Core.Queue;
using Aof.Core.Queue.InMemory;
using Aof.Core.Queue.Nats;
using Aof.Core.Queue.Redis;
using Aof.Core.RateLimits;
using Aof.Core.RateLimits.InMemory;
using Aof.Core.RateLimits.Nats;
using Aof.Core.RateLimits.Redis;
using Aof.Core.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using StackExchange.Redis;

namespace Aof.Core.Hosting;

public static class BackendServiceCollectionExtensions
{
    /// <summary>
    /// Binds <see cref="AofOptions"/> from the "Aof" section and registers the queue (<see cref="IMessageQueue"/>),
    /// the execution store (<see cref="IExecutionStore"/>), a <see cref="TimeProvider"/> and the "queue" health
    /// check for <c>Aof:Queue:Type</c> memory, redis or nats. Redis is found at <c>ConnectionStrings:redis</c>, else at
    /// <c>Aspire:StackExchange:Redis:ConnectionString</c>, else at
    /// <c>Aof:Queue:Url</c> (<c>host:port</c> or <c>redis://[:password@]host:port</c>); the multiplexer is
    /// registered as <see cref="IConnectionMultiplexer"/> and tolerates Redis being down at startup.
    /// NATS is found at <c>ConnectionStrings:nats</c>, else at <c>Aspire:NATS:Net:ConnectionString</c>, else at <c>Aof:Queue:Url</c> (<c>nats://[user:password@]host:port</c>);
    /// the connection is registered as <see cref="INatsConnection"/>, starts connecting at once and keeps
    /// reconnecting forever, so a service starts while NATS is down and recovers when it comes up.
    /// The tenant rate limits (<c>Aof:Runtime:RateLimits</c>) are validated here, so a bad limit stops the start, and
    /// their state goes to the same backend (<see cref="IRateLimitStore"/>, <see cref="TenantRateLimiter"/>).
    /// Each client also gets its own health check ("redis" / "nats") unless its Aspire section sets
    /// <c>DisableHealthChecks</c> (see <see cref="AspireClientSettings"/>), and the Redis multiplexer's commands become
    /// "StackExchange.Redis" spans (<see cref="RedisCommandTracer"/>) unless <c>Aspire:StackExchange:Redis:DisableTracing</c>.
    /// </summary>
    public static IServiceCollection AddAofBackends(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(AofOptions.Section);
        services.AddOptions<AofOptions>().Bind(section);
        // The backend decides which services exist, so it is read now; everything else comes from IOptions later.
        // Checked before binding: the binder would ignore a misspelt key and run without the limit.
        var rateLimits = RateLimitConfiguration.Read(configuration);
        var aof = section.Get<AofOptions>() ?? new AofOptions();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(new RateLimitPolicy(rateLimits));
        services.AddSingleton(sp => new TenantRateLimiter(
            sp.GetRequiredService<RateLimitPolicy>(),
            sp.GetRequiredService<IRateLimitStore>(),
            Options(sp).Queue.VisibilityTimeout,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILogger<TenantRateLimiter>>()));
        services.AddHostedService<BackendStartup>();

        var type = (aof.Queue.Type ?? "memory").Trim().ToLowerInvariant();
        switch (type)
        {
            case "memory":
                services.AddSingleton<IMessageQueue>(sp =>
                    new InMemoryMessageQueue(Options(sp).Queue, sp.GetRequiredService<TimeProvider>()));
                services.AddSingleton<IExecutionStore>(sp =>
                    new InMemoryExecutionStore(Options(sp).Executions, sp.GetRequiredService<TimeProvider>()));
                services.AddSingleton<IRateLimitStore>(sp => new InMemoryRateLimitStore(sp.GetRequiredService<TimeProvider>()));
                break;

            case "redis":
                var redisClient = AspireClientSettings.Redis(configuration);
                var redisOptions = RedisConnectionSettings.Parse(
                    redisClient.ConnectionString is { } cs ? cs
                    : aof.Queue.Url is { Length: > 0 } url ? url
                    : throw new InvalidOperationException(
                        $"Aof:Queue:Type is 'redis' but neither ConnectionStrings:redis, {AspireClientSettings.RedisSection}:ConnectionString nor Aof:Queue:Url is set."));
                if (!redisClient.DisableHealthChecks)
                    services.AddHealthChecks().Add(new HealthCheckRegistration("redis",
                        sp => BrokerClientHealthCheck.Redis(sp.GetRequiredService<IConnectionMultiplexer>()), null, ["ready"]));
                services.TryAddSingleton<RedisCommandTracer>(_ => new RedisCommandTracer());
                services.TryAddSingleton<IConnectionMultiplexer>(sp =>
                {
                    redisOptions.LoggerFactory ??= sp.GetService<ILoggerFactory>();
                    var multiplexer = ConnectionMultiplexer.Connect(redisOptions);
                    if (!redisClient.DisableTracing) sp.GetRequiredService<RedisCommandTracer>().Attach(multiplexer);
                    return multiplexer;
                });
                services.AddSingleton<IMessageQueue>(sp =>
                {
                    var options = Options(sp);
                    return new RedisMessageQueue(
                        sp.GetRequiredService<IConnectionMultiplexer>(),
                        options.Queue,
                        ConsumerName(options),
                        sp.GetRequiredService<TimeProvider>(),
                        sp.GetService<ILogger<RedisMessageQueue>>(),
                        records: options.Executions);
                });
                services.AddSingleton<IExecutionStore>(sp =>
                {
                    var options = Options(sp);
                    return new RedisExecutionStore(sp.GetRequiredService<IConnectionMultiplexer>(), options.Executions,
                        options.Queue.Prefix, sp.GetRequiredService<TimeProvider>());
                });
                services.AddSingleton<IRateLimitStore>(sp =>
                    new RedisRateLimitStore(sp.GetRequiredService<IConnectionMultiplexer>(), Options(sp).Queue.Prefix));
                break;

            case "nats":
                var natsClient = AspireClientSettings.Nats(configuration);
                var natsOptions = NatsConnectionSettings.Parse(
                    natsClient.ConnectionString is { } natsCs ? natsCs
                    : aof.Queue.Url is { Length: > 0 } natsUrl ? natsUrl
                    : throw new InvalidOperationException(
                        $"Aof:Queue:Type is 'nats' but neither ConnectionStrings:nats, {AspireClientSettings.NatsSection}:ConnectionString nor Aof:Queue:Url is set."),
                    ConsumerName(aof));
                if (!natsClient.DisableHealthChecks)
                    services.AddHealthChecks().Add(new HealthCheckRegistration("nats",
                        sp => BrokerClientHealthCheck.Nats(sp.GetRequiredService<INatsConnection>()), null, ["ready"]));
                services.TryAddSingleton<INatsConnection>(sp =>
                    NatsConnectionSettings.StartConnecting(
                        natsOptions with { LoggerFactory = sp.GetService<ILoggerFactory>() ?? natsOptions.LoggerFactory },
                        sp.GetService<ILoggerFactory>()?.CreateLogger(typeof(NatsConnectionSettings))));
                services.AddSingleton<IMessageQueue>(sp =>
                {
                    var options = Options(sp);
                    return new NatsMessageQueue(
                        sp.GetRequiredService<INatsConnection>(),
                        options.Queue,
                        sp.GetRequiredService<TimeProvider>(),
                        sp.GetService<ILogger<NatsMessageQueue>>());
                });
                services.AddSingleton<IExecutionStore>(sp =>
                {
                    var options = Options(sp);
                    return new NatsExecutionStore(sp.GetRequiredService<INatsConnection>(), options.Executions,
                        options.Queue.Prefix, sp.GetRequiredService<TimeProvider>());
                });
                services.AddSingleton<IRateLimitStore>(sp =>
                    new NatsRateLimitStore(sp.GetRequiredService<INatsConnection>(), Options(sp).Queue.Prefix, sp.GetRequiredService<TimeProvider>()));
                break;

            default:
                throw new InvalidOperationException(
                    $"Aof:Queue:Type '{aof.Queue.Type}' is unknown; expected memory, redis or nats.");
        }

        services.AddHealthChecks().AddCheck<QueueHealthCheck>("queue");
        // aof.queue.depth: sampled in the background, at most every few seconds; created by BackendStartup.
        services.TryAddSingleton(sp => new QueueDepthGauge(sp.GetRequiredService<IMessageQueue>(), time: sp.GetRequiredService<TimeProvider>()));
        return services;
    }

    /// <summary>The worker's name in the consumer group: configured, else host name and process id.</summary>
    public static string ConsumerName(AofOptions options) =>
        string.IsNullOrWhiteSpace(options.Worker.Name) ? $"{Environment.MachineName}-{Environment.ProcessId}" : options.Worker.Name;

    private static AofOptions Options(IServiceProvider sp) => sp.GetRequiredService<IOptions<AofOptions>>().Value;
}
