using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Aof.Core.Telemetry;

/// <summary>
/// The project's one ActivitySource and Meter, and the instruments DESIGN.md lists. Services register
/// <see cref="SourceName"/> / <see cref="MeterName"/> with OpenTelemetry; code records through the fields here.
/// </summary>
public static class AofTelemetry
{
    public const string SourceName = "Aof";
    public const string MeterName = "Aof";

    public static readonly ActivitySource Source = new(SourceName);
    public static readonly Meter Meter = new(MeterName);

    /// <summary>Tags: platform, outcome (accepted, duplicate, unmatched, unauthorized, bad_request, not_found, too_large, unavailable, ping).</summary>
    public static readonly Counter<long> WebhooksReceived = Meter.CreateCounter<long>("aof.webhooks.received", description: "Webhooks received, by platform and outcome");

    /// <summary>Tags: platform, priority.</summary>
    public static readonly Counter<long> Published = Meter.CreateCounter<long>("aof.queue.published", description: "Messages published to the queue");

    /// <summary>Tags: outcome (succeeded, retried, dead_lettered), target_kind.</summary>
    public static readonly Counter<long> Processed = Meter.CreateCounter<long>("aof.events.processed", description: "Deliveries processed, by outcome");

    public static readonly Counter<long> Retried = Meter.CreateCounter<long>("aof.events.retried", description: "Deliveries scheduled for retry");

    /// <summary>
    /// Tags: reason (rate_limit, concurrency_limit, limiter_unavailable), scope (organization, repository; absent for
    /// limiter_unavailable). A deferral is not a failure: the message comes back later with its attempt unchanged.
    /// </summary>
    public static readonly Counter<long> Deferred = Meter.CreateCounter<long>("aof.events.deferred", description: "Deliveries deferred by a tenant limit, by reason");

    /// <summary>Tags: reason.</summary>
    public static readonly Counter<long> DeadLettered = Meter.CreateCounter<long>("aof.events.dead_lettered", description: "Messages moved to the dead-letter queue");

    /// <summary>
    /// Bucket bounds in seconds (those of ASP.NET Core's request duration, plus minutes for long flows). Without them
    /// the SDK's default bounds (0, 5, 10, 25, ... meant for milliseconds) put every sub-5 s duration in one bucket and
    /// percentiles come out as nonsense.
    /// </summary>
    public static readonly IReadOnlyList<double> DurationBuckets =
        [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30, 60, 120, 300];

    public static readonly Histogram<double> ProcessingDuration = Meter.CreateHistogram("aof.event.processing.duration", unit: "s",
        description: "Time to execute one delivery", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });

    public static readonly Histogram<double> EndToEndDuration = Meter.CreateHistogram("aof.event.end_to_end.duration", unit: "s",
        description: "From publish to successful completion", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });

    /// <summary>Tags: state (ready, in_flight, delayed, dead_lettered), priority (high, normal, low, all). Fed by <see cref="QueueDepthGauge"/>.</summary>
    public static readonly ObservableGauge<long> QueueDepth = Meter.CreateObservableGauge("aof.queue.depth", QueueDepthGauge.ObserveAll, unit: "{message}", description: "Messages in the queue, by state and priority");
}
