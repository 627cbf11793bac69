using System.Diagnostics;
using System.Net;
using System.Runtime.CompilerServices;
using StackExchange.Redis;
using StackExchange.Redis.Profiling;

namespace Aof.Core.Hosting;

/// <summary>
/// Redis command spans, as Aspire's Redis integration emits them (ActivitySource "StackExchange.Redis"), built on
/// StackExchange.Redis's profiling API because the client has no ActivitySource of its own.
/// <para>
/// Design: <see cref="Attach"/> registers a profiler that hands StackExchange.Redis one <see cref="ProfilingSession"/>
/// per current, recorded <see cref="Activity"/>, and only while our source has listeners: when nobody traces Redis, no session
/// exists and a command costs one <see cref="ActivitySource.HasListeners"/> check. The session is drained when its
/// activity stops (an <see cref="ActivityListener"/>'s ActivityStopped): a command awaited inside an activity has
/// completed by then, so every one of them becomes a child span (kind Client) with its measured start and duration.
/// Draining on the next command instead would leave the last commands of every activity unreported.
/// The listener that sees activities stop is created with the first session, so it too costs nothing until someone
/// traces. Sessions live in a <see cref="ConditionalWeakTable{TKey,TValue}"/>: an activity that is never stopped
/// takes its session with it. A command still running when its activity stops is not reported.
/// </para>
/// </summary>
public sealed class RedisCommandTracer : IDisposable
{
    private readonly ActivitySource _source;
    private readonly ConditionalWeakTable<Activity, ProfilingSession> _sessions = new();
    private readonly Lock _gate = new();
    private volatile ActivityListener? _stopListener;
    private volatile bool _disposed;

    /// <param name="sourceName">The ActivitySource name; tests pass their own so parallel tests cannot interfere.</param>
    public RedisCommandTracer(string sourceName = AspireClientSettings.RedisActivitySource)
    {
        _source = new ActivitySource(sourceName);
    }

    public string SourceName => _source.Name;

    /// <summary>Whether the listener that drains sessions exists, i.e. a session was ever created.</summary>
    public bool IsListening => _stopListener is not null;

    /// <summary>Traces the commands of <paramref name="redis"/> (replaces any profiler registered before).</summary>
    public void Attach(IConnectionMultiplexer redis) => redis.RegisterProfiler(SessionForCurrentActivity);

    /// <summary>
    /// What StackExchange.Redis asks for every command: the current activity's session, or null (not profiled) when
    /// nobody listens to Redis spans or no activity is running.
    /// </summary>
    public ProfilingSession? SessionForCurrentActivity()
    {
        if (_disposed || !_source.HasListeners() || Activity.Current is not { } activity) return null;
        // A stopped activity still flows in captured execution contexts (the multiplexer's own timers, connected
        // inside a request): its session would never be drained. A sampled-out one would have its spans dropped.
        if (activity.IsStopped || !activity.Recorded) return null;
        EnsureStopListener();
        return _sessions.GetValue(activity, static _ => new ProfilingSession());
    }

    private void EnsureStopListener()
    {
        if (_stopListener is not null) return;
        lock (_gate)
        {
            if (_stopListener is not null || _disposed) return;
            // No Sample callback: this listener never asks for activities to be created, it only sees them stop.
            var listener = new ActivityListener
            {
                ShouldListenTo = source => !ReferenceEquals(source, _source),
                ActivityStopped = Drain,
            };
            ActivitySource.AddActivityListener(listener);
            _stopListener = listener;
        }
    }

    private void Drain(Activity parent)
    {
        if (!_sessions.TryGetValue(parent, out var session)) return;
        _sessions.Remove(parent);
        var commands = session.FinishProfiling();
        if (commands.Count() == 0) return;

        // Starting a span makes it Activity.Current and stopping it resets Current to its (absent) parent object;
        // put back what the stopping code had.
        var current = Activity.Current;
        foreach (var command in commands) Emit(parent.Context, command);
        Activity.Current = current;
    }

    private void Emit(ActivityContext parent, IProfiledCommand command)
    {
        var start = new DateTimeOffset(DateTime.SpecifyKind(command.CommandCreated, DateTimeKind.Utc));
        using var span = _source.StartActivity(command.Command, ActivityKind.Client, parent, Tags(command), startTime: start);
        if (span is null) return;
        // A zero duration would make Stop() take "now" as the end.
        span.SetEndTime(start.UtcDateTime + (command.ElapsedTime > TimeSpan.Zero ? command.ElapsedTime : TimeSpan.FromTicks(1)));
    }

    private static List<KeyValuePair<string, object?>> Tags(IProfiledCommand command)
    {
        var tags = new List<KeyValuePair<string, object?>>(5)
        {
            new("db.system", "redis"),
            new("db.operation.name", command.Command),
            new("db.namespace", command.Db.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        };
        switch (command.EndPoint)
        {
            case IPEndPoint ip:
                tags.Add(new("server.address", ip.Address.ToString()));
                tags.Add(new("server.port", ip.Port));
                break;
            case DnsEndPoint dns:
                tags.Add(new("server.address", dns.Host));
                tags.Add(new("server.port", dns.Port));
                break;
        }
        return tags;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _stopListener?.Dispose();
            _stopListener = null;
        }
        _source.Dispose();
    }
}
