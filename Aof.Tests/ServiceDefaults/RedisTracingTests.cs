using System.Collections.Concurrent;
using System.Diagnostics;
using Aof.Core.Hosting;
using Aof.Tests.Gateway;
using Aof.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using StackExchange.Redis.Profiling;

namespace Aof.Tests.ServiceDefaults;

/// <summary>
/// Redis command spans (<see cref="RedisCommandTracer"/>) against a real redis-server: children of the activity the
/// commands ran in, with the database tags and measured timings; none when tracing is disabled; no profiling session
/// when nobody listens. Tests use their own source names where they can, since ActivityListeners are process-wide.
/// </summary>
public sealed class RedisTracingTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    // CommandCreated has DateTime.UtcNow's resolution, the activities a finer one.
    private static readonly TimeSpan ClockSlack = TimeSpan.FromMilliseconds(20);

    [Fact]
    public async Task Commands_inside_an_activity_become_client_spans_under_it_with_tags_and_timings()
    {
        using var cts = new CancellationTokenSource(Bound);
        using var tracer = new RedisCommandTracer(UniqueName("redis"));
        using var app = new ActivitySource(UniqueName("app"));
        using var spans = new SpanCollector(app.Name, tracer.SourceName);
        await using var connection = await redis.Server.ConnectAsync();
        tracer.Attach(connection);
        await connection.GetDatabase().PingAsync().WaitAsync(cts.Token); // outside any activity: not traced

        Activity parent;
        using (parent = app.StartActivity("handle")!)
        {
            Assert.NotNull(parent);
            await connection.GetDatabase().StringSetAsync("rtrace:key", "value").WaitAsync(cts.Token);
            Assert.False((await connection.GetDatabase(3).StringGetAsync("rtrace:key").WaitAsync(cts.Token)).HasValue); // set in db 0
        }

        var redisSpans = spans.From(tracer.SourceName);
        Assert.Equal(["SET", "GET"], redisSpans.Select(s => s.DisplayName));
        foreach (var span in redisSpans)
        {
            Assert.Equal(ActivityKind.Client, span.Kind);
            Assert.Equal(parent.TraceId, span.TraceId);
            Assert.Equal(parent.SpanId, span.ParentSpanId);
            Assert.Equal("redis", span.GetTagItem("db.system"));
            Assert.Equal(span.DisplayName, span.GetTagItem("db.operation.name"));
            Assert.Equal("127.0.0.1", span.GetTagItem("server.address"));
            Assert.Equal(redis.Server.Port, span.GetTagItem("server.port"));
            Assert.True(span.Duration > TimeSpan.Zero);
            Assert.InRange(span.StartTimeUtc, parent.StartTimeUtc - ClockSlack, parent.StartTimeUtc + parent.Duration + ClockSlack);
            Assert.InRange(span.StartTimeUtc + span.Duration, parent.StartTimeUtc - ClockSlack, parent.StartTimeUtc + parent.Duration + ClockSlack);
        }
        Assert.Equal("0", redisSpans[0].GetTagItem("db.namespace"));
        Assert.Equal("3", redisSpans[1].GetTagItem("db.namespace"));
        Assert.True(redisSpans[0].StartTimeUtc <= redisSpans[1].StartTimeUtc);
    }

    [Fact]
    public async Task Without_a_listener_on_the_redis_source_no_session_is_created()
    {
        using var cts = new CancellationTokenSource(Bound);
        using var tracer = new RedisCommandTracer(UniqueName("redis"));
        using var app = new ActivitySource(UniqueName("app"));
        using var appOnly = new SpanCollector(app.Name);
        await using var connection = await redis.Server.ConnectAsync();
        tracer.Attach(connection);

        using (var parent = app.StartActivity("handle"))
        {
            Assert.NotNull(parent);
            await connection.GetDatabase().StringSetAsync("rtrace:quiet", "1").WaitAsync(cts.Token);
            Assert.Null(tracer.SessionForCurrentActivity());
        }
        Assert.False(tracer.IsListening);

        // The same activity with somebody listening to Redis spans does get a session.
        using var redisToo = new SpanCollector(tracer.SourceName);
        using (app.StartActivity("handle"))
        {
            Assert.NotNull(tracer.SessionForCurrentActivity());
        }
        Assert.True(tracer.IsListening);
    }

    [Fact]
    public void A_stopped_or_sampled_out_activity_gets_no_session()
    {
        using var tracer = new RedisCommandTracer(UniqueName("redis"));
        using var app = new ActivitySource(UniqueName("app"));
        using var spans = new SpanCollector(app.Name, tracer.SourceName);

        // A stopped activity stays current in an execution context captured while it ran (a timer, a background loop).
        ExecutionContext captured;
        using (app.StartActivity("handle"))
        {
            Assert.NotNull(tracer.SessionForCurrentActivity());
            captured = ExecutionContext.Capture()!;
        }
        ProfilingSession? afterStop = new(null);
        ExecutionContext.Run(captured, _ =>
        {
            Assert.NotNull(Activity.Current);
            afterStop = tracer.SessionForCurrentActivity();
        }, null);
        Assert.Null(afterStop);

        using var parent = app.StartActivity("handle");
        Assert.NotNull(parent);
        parent.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
        Assert.Null(tracer.SessionForCurrentActivity());
    }

    [Fact]
    public async Task The_backend_traces_redis_commands_unless_the_aspire_section_disables_tracing()
    {
        Assert.Contains(AspireClientSettings.RedisActivitySource, Microsoft.Extensions.Hosting.ServiceDefaultsExtensions.ClientTracingSources(Config(new())));
        Assert.DoesNotContain(AspireClientSettings.RedisActivitySource, Microsoft.Extensions.Hosting.ServiceDefaultsExtensions.ClientTracingSources(
            Config(new() { ["Aspire:StackExchange:Redis:DisableTracing"] = "true" })));

        Assert.Equal(["SET"], await CommandSpansOfGatewayAsync(disableTracing: false));
        Assert.Empty(await CommandSpansOfGatewayAsync(disableTracing: true));
    }

    /// <summary>The names of the Redis spans under an activity in which the gateway's own multiplexer ran one SET.</summary>
    private async Task<string[]> CommandSpansOfGatewayAsync(bool disableTracing)
    {
        using var cts = new CancellationTokenSource(Bound);
        using var gatewayApp = new GatewayApp(settings: new()
        {
            ["Aof:Queue:Type"] = "redis",
            ["ConnectionStrings:redis"] = redis.ConnectionString,
            ["Aspire:StackExchange:Redis:DisableTracing"] = disableTracing ? "true" : "false",
        });
        _ = gatewayApp.Server;
        var connection = gatewayApp.Services.GetRequiredService<IConnectionMultiplexer>();
        using var app = new ActivitySource(UniqueName("app"));
        using var spans = new SpanCollector(app.Name, AspireClientSettings.RedisActivitySource);

        ActivityTraceId trace;
        using (var parent = app.StartActivity("handle")!)
        {
            trace = parent.TraceId;
            await connection.GetDatabase().StringSetAsync("rtrace:gateway", "1").WaitAsync(cts.Token);
        }
        // Other tests' Redis spans may pass the same process-wide source; only this trace counts.
        return [.. spans.From(AspireClientSettings.RedisActivitySource).Where(s => s.TraceId == trace).Select(s => s.DisplayName)];
    }

    private static string UniqueName(string what) => $"rtrace-test-{what}-{Guid.NewGuid():N}";

    private static IConfiguration Config(Dictionary<string, string?> values) => new ConfigurationBuilder().AddInMemoryCollection(values).Build();

    /// <summary>Records every activity of the named sources (sampling them all) as it stops.</summary>
    private sealed class SpanCollector : IDisposable
    {
        private readonly ConcurrentQueue<Activity> _stopped = new();
        private readonly ActivityListener _listener;

        public SpanCollector(params string[] sources)
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = s => sources.Contains(s.Name),
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = _stopped.Enqueue,
            };
            ActivitySource.AddActivityListener(_listener);
        }

        public List<Activity> From(string source) => [.. _stopped.Where(a => a.Source.Name == source)];

        public void Dispose() => _listener.Dispose();
    }
}
