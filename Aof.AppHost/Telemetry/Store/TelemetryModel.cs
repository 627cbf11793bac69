namespace Aof.AppHost.Telemetry.Store;

/// <summary>A span's status as OTLP reports it.</summary>
public enum SpanStatus
{
    Unset,
    Ok,
    Error,
}

/// <summary>OTLP's span kinds.</summary>
public enum SpanKind
{
    Unspecified,
    Internal,
    Server,
    Client,
    Producer,
    Consumer,
}

/// <summary>Which service sent a signal: <c>service.name</c> and <c>service.instance.id</c> of its resource.</summary>
public sealed record TelemetryResource(string Service, string? Instance, IReadOnlyDictionary<string, string> Attributes)
{
    /// <summary>"worker (worker-1)", or the service alone.</summary>
    public string DisplayName => Instance is null || Instance == Service ? Service : $"{Service} ({Instance})";
}

/// <summary>One finished span; ids are lower-case hex, attribute values rendered as text.</summary>
public sealed record SpanData(
    string TraceId,
    string SpanId,
    string? ParentSpanId,
    string Name,
    SpanKind Kind,
    TelemetryResource Resource,
    string Scope,
    DateTimeOffset Start,
    DateTimeOffset End,
    SpanStatus Status,
    string? StatusMessage,
    IReadOnlyDictionary<string, string> Attributes,
    IReadOnlyList<SpanEventData> Events)
{
    public string Service => Resource.Service;

    public TimeSpan Duration => End - Start;
}

public sealed record SpanEventData(string Name, DateTimeOffset Time, IReadOnlyDictionary<string, string> Attributes);

/// <summary>
/// A trace as received so far (a snapshot: spans of one trace arrive from several services at different times).
/// Spans are ordered by start time; <see cref="Root"/> is the span without a parent here, else the earliest.
/// </summary>
public sealed record TraceData(string TraceId, IReadOnlyList<SpanData> Spans)
{
    public SpanData Root => Spans.FirstOrDefault(s => s.ParentSpanId is null || Spans.All(p => p.SpanId != s.ParentSpanId)) ?? Spans[0];

    public string Name => Root.Name;

    /// <summary>Services that sent spans of this trace, in order of their first span.</summary>
    public IReadOnlyList<string> Services => Spans.Select(s => s.Service).Distinct().ToList();

    public DateTimeOffset Start => Spans.Min(s => s.Start);

    public DateTimeOffset End => Spans.Max(s => s.End);

    public TimeSpan Duration => End - Start;

    /// <summary>Error when any span failed, Ok when any span says Ok, else Unset.</summary>
    public SpanStatus Status =>
        Spans.Any(s => s.Status == SpanStatus.Error) ? SpanStatus.Error
        : Spans.Any(s => s.Status == SpanStatus.Ok) ? SpanStatus.Ok
        : SpanStatus.Unset;
}

/// <summary>What <see cref="TelemetryStore.GetTraces"/> returns: null filters match everything.</summary>
public sealed record TraceQuery
{
    /// <summary>Only traces with a span from this service.</summary>
    public string? Service { get; init; }

    public SpanStatus? Status { get; init; }

    /// <summary>Only traces that started at or after this time.</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>At most this many, newest first.</summary>
    public int Limit { get; init; } = 100;
}

public enum MetricKind
{
    Gauge,
    Sum,
    Histogram,
}

/// <summary>An explicit-bucket histogram point: <see cref="BucketCounts"/> has one more entry than <see cref="Bounds"/>.</summary>
public sealed record HistogramValue(ulong Count, double? Sum, double? Min, double? Max, IReadOnlyList<double> Bounds, IReadOnlyList<ulong> BucketCounts);

/// <summary>One data point: <see cref="Value"/> for gauges and sums, <see cref="Histogram"/> for histograms.</summary>
public sealed record MetricPoint(DateTimeOffset Time, DateTimeOffset? StartTime, double? Value, HistogramValue? Histogram);

/// <summary>
/// One time series: a metric of one service instance with one set of attributes, and its recent points (oldest first).
/// Cumulative sums and histograms are stored as sent (running totals since <see cref="MetricPoint.StartTime"/>).
/// </summary>
public sealed record MetricSeries(
    string Name,
    string Description,
    string Unit,
    MetricKind Kind,
    bool IsMonotonic,
    bool IsCumulative,
    TelemetryResource Resource,
    IReadOnlyDictionary<string, string> Attributes,
    IReadOnlyList<MetricPoint> Points)
{
    public string Service => Resource.Service;
}

/// <summary>What <see cref="TelemetryStore.GetMetrics"/> returns: null filters match everything.</summary>
public sealed record MetricQuery
{
    public string? Name { get; init; }

    public string? Service { get; init; }

    /// <summary>Only points at or after this time (series without such points are left out).</summary>
    public DateTimeOffset? Since { get; init; }
}

/// <summary>One log record. <see cref="SeverityNumber"/> is OTLP's (9 info, 13 warn, 17 error, 21 fatal).</summary>
public sealed record LogEntry(
    DateTimeOffset Time,
    TelemetryResource Resource,
    string Scope,
    int SeverityNumber,
    string SeverityText,
    string Message,
    string? TraceId,
    string? SpanId,
    IReadOnlyDictionary<string, string> Attributes)
{
    public string Service => Resource.Service;
}

/// <summary>What <see cref="TelemetryStore.GetLogs"/> returns: null filters match everything.</summary>
public sealed record LogQuery
{
    public string? Service { get; init; }

    /// <summary>Only records at least this severe (OTLP severity number).</summary>
    public int? MinSeverity { get; init; }

    public string? TraceId { get; init; }

    /// <summary>Case-insensitive text the message must contain.</summary>
    public string? Contains { get; init; }

    public DateTimeOffset? Since { get; init; }

    /// <summary>At most this many, newest first.</summary>
    public int Limit { get; init; } = 200;
}

/// <summary>How much the store keeps; past it the oldest goes first.</summary>
public sealed record TelemetryStoreOptions
{
    /// <summary>Spans over all traces; whole traces are evicted, oldest first.</summary>
    public int MaxSpans { get; init; } = 20_000;

    public int MaxMetricSeries { get; init; } = 2_000;

    /// <summary>Points kept per series (at one export a second: the last 10 minutes).</summary>
    public int MaxPointsPerSeries { get; init; } = 600;

    public int MaxLogs { get; init; } = 10_000;
}
