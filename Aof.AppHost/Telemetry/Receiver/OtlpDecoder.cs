using System.Globalization;
using Aof.AppHost.Telemetry.Proto.Collector.Logs;
using Aof.AppHost.Telemetry.Proto.Collector.Metrics;
using Aof.AppHost.Telemetry.Proto.Collector.Trace;
using Aof.AppHost.Telemetry.Proto.Common;
using Aof.AppHost.Telemetry.Store;
using Google.Protobuf;
using ProtoMetric = Aof.AppHost.Telemetry.Proto.Metrics.Metric;
using ProtoResource = Aof.AppHost.Telemetry.Proto.Resource.Resource;
using ProtoSpan = Aof.AppHost.Telemetry.Proto.Trace.Span;
using ProtoStatus = Aof.AppHost.Telemetry.Proto.Trace.Status;

namespace Aof.AppHost.Telemetry.Receiver;

/// <summary>A request that parses as protobuf but breaks OTLP's rules (e.g. a trace id that is not 16 bytes).</summary>
public sealed class OtlpFormatException(string message) : Exception(message);

/// <summary>
/// Turns OTLP export requests into the store's records. Decoding checks the whole request before anything is
/// stored, so a bad request is rejected whole (<see cref="OtlpFormatException"/>) and leaves the store unchanged.
/// </summary>
public static class OtlpDecoder
{
    private const string UnknownService = "unknown_service";

    public static IReadOnlyList<SpanData> Decode(ExportTraceServiceRequest request)
    {
        var spans = new List<SpanData>();
        foreach (var rs in request.ResourceSpans)
        {
            var resource = Resource(rs.Resource);
            foreach (var ss in rs.ScopeSpans)
            {
                var scope = ss.Scope?.Name ?? "";
                foreach (var span in ss.Spans) spans.Add(Span(span, resource, scope));
            }
        }
        return spans;
    }

    public static IReadOnlyList<MetricSample> Decode(ExportMetricsServiceRequest request)
    {
        var samples = new List<MetricSample>();
        foreach (var rm in request.ResourceMetrics)
        {
            var resource = Resource(rm.Resource);
            foreach (var sm in rm.ScopeMetrics)
            {
                foreach (var metric in sm.Metrics) AddSamples(metric, resource, samples);
            }
        }
        return samples;
    }

    public static IReadOnlyList<LogEntry> Decode(ExportLogsServiceRequest request)
    {
        var logs = new List<LogEntry>();
        foreach (var rl in request.ResourceLogs)
        {
            var resource = Resource(rl.Resource);
            foreach (var sl in rl.ScopeLogs)
            {
                var scope = sl.Scope?.Name ?? "";
                foreach (var record in sl.LogRecords)
                {
                    var time = record.TimeUnixNano != 0 ? record.TimeUnixNano : record.ObservedTimeUnixNano;
                    logs.Add(new LogEntry(
                        Time(time),
                        resource,
                        scope,
                        (int)record.SeverityNumber,
                        record.SeverityText,
                        record.Body is null ? "" : Text(record.Body),
                        OptionalId(record.TraceId, 16, "log trace_id"),
                        OptionalId(record.SpanId, 8, "log span_id"),
                        Attributes(record.Attributes)));
                }
            }
        }
        return logs;
    }

    private static SpanData Span(ProtoSpan span, TelemetryResource resource, string scope)
    {
        var traceId = OptionalId(span.TraceId, 16, "trace_id") ?? throw new OtlpFormatException("a span has no trace_id");
        var spanId = OptionalId(span.SpanId, 8, "span_id") ?? throw new OtlpFormatException("a span has no span_id");
        if (!Enum.IsDefined((SpanKind)(int)span.Kind)) throw new OtlpFormatException($"span {spanId} has an unknown kind {(int)span.Kind}");
        return new SpanData(
            traceId,
            spanId,
            OptionalId(span.ParentSpanId, 8, "parent_span_id"),
            span.Name,
            (SpanKind)(int)span.Kind,
            resource,
            scope,
            Time(span.StartTimeUnixNano),
            Time(span.EndTimeUnixNano),
            span.Status?.Code switch
            {
                ProtoStatus.Types.StatusCode.Ok => SpanStatus.Ok,
                ProtoStatus.Types.StatusCode.Error => SpanStatus.Error,
                _ => SpanStatus.Unset,
            },
            span.Status is { Message.Length: > 0 } s ? s.Message : null,
            Attributes(span.Attributes),
            span.Events.Select(e => new SpanEventData(e.Name, Time(e.TimeUnixNano), Attributes(e.Attributes))).ToList());
    }

    private static void AddSamples(ProtoMetric metric, TelemetryResource resource, List<MetricSample> samples)
    {
        if (string.IsNullOrEmpty(metric.Name)) throw new OtlpFormatException("a metric has no name");
        const int cumulative = (int)Proto.Metrics.AggregationTemporality.Cumulative;
        MetricSample Sample(MetricKind kind, bool monotonic, bool isCumulative, IEnumerable<KeyValue> attributes, MetricPoint point) =>
            new(metric.Name, metric.Description, metric.Unit, kind, monotonic, isCumulative, resource, Attributes(attributes), point);

        switch (metric.DataCase)
        {
            case ProtoMetric.DataOneofCase.Gauge:
                foreach (var p in metric.Gauge.DataPoints)
                    samples.Add(Sample(MetricKind.Gauge, false, false, p.Attributes, NumberPoint(p)));
                break;
            case ProtoMetric.DataOneofCase.Sum:
                foreach (var p in metric.Sum.DataPoints)
                    samples.Add(Sample(MetricKind.Sum, metric.Sum.IsMonotonic, (int)metric.Sum.AggregationTemporality == cumulative, p.Attributes, NumberPoint(p)));
                break;
            case ProtoMetric.DataOneofCase.Histogram:
                foreach (var p in metric.Histogram.DataPoints)
                {
                    if (p.BucketCounts.Count != 0 && p.BucketCounts.Count != p.ExplicitBounds.Count + 1)
                        throw new OtlpFormatException($"histogram {metric.Name} has {p.BucketCounts.Count} bucket counts for {p.ExplicitBounds.Count} bounds");
                    var histogram = new HistogramValue(p.Count, p.HasSum ? p.Sum : null, p.HasMin ? p.Min : null, p.HasMax ? p.Max : null,
                        [.. p.ExplicitBounds], [.. p.BucketCounts]);
                    samples.Add(Sample(MetricKind.Histogram, true, (int)metric.Histogram.AggregationTemporality == cumulative, p.Attributes,
                        new MetricPoint(Time(p.TimeUnixNano), OptionalTime(p.StartTimeUnixNano), null, histogram)));
                }
                break;
            // Kinds this receiver does not decode (exponential histograms, summaries) arrive as unknown fields: skipped.
        }
    }

    private static MetricPoint NumberPoint(Proto.Metrics.NumberDataPoint p) =>
        new(Time(p.TimeUnixNano), OptionalTime(p.StartTimeUnixNano), p.ValueCase switch
        {
            Proto.Metrics.NumberDataPoint.ValueOneofCase.AsDouble => p.AsDouble,
            Proto.Metrics.NumberDataPoint.ValueOneofCase.AsInt => p.AsInt,
            _ => null,
        }, null);

    private static TelemetryResource Resource(ProtoResource? resource)
    {
        var attributes = resource is null ? new Dictionary<string, string>() : Attributes(resource.Attributes);
        var service = attributes.GetValueOrDefault("service.name") is { Length: > 0 } name ? name : UnknownService;
        return new TelemetryResource(service, attributes.GetValueOrDefault("service.instance.id"), attributes);
    }

    private static Dictionary<string, string> Attributes(IEnumerable<KeyValue> attributes)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var kv in attributes) result[kv.Key] = kv.Value is null ? "" : Text(kv.Value);
        return result;
    }

    /// <summary>An attribute value as text: numbers invariant, arrays and maps JSON-like.</summary>
    private static string Text(AnyValue value) => value.ValueCase switch
    {
        AnyValue.ValueOneofCase.StringValue => value.StringValue,
        AnyValue.ValueOneofCase.BoolValue => value.BoolValue ? "true" : "false",
        AnyValue.ValueOneofCase.IntValue => value.IntValue.ToString(CultureInfo.InvariantCulture),
        AnyValue.ValueOneofCase.DoubleValue => value.DoubleValue.ToString(CultureInfo.InvariantCulture),
        AnyValue.ValueOneofCase.ArrayValue => "[" + string.Join(", ", value.ArrayValue.Values.Select(Text)) + "]",
        AnyValue.ValueOneofCase.KvlistValue => "{" + string.Join(", ", value.KvlistValue.Values.Select(kv => $"{kv.Key}: {(kv.Value is null ? "" : Text(kv.Value))}")) + "}",
        AnyValue.ValueOneofCase.BytesValue => Convert.ToBase64String(value.BytesValue.Span),
        _ => "",
    };

    /// <summary>Empty: none (null). Else exactly <paramref name="length"/> bytes, as lower-case hex; all zeros is invalid.</summary>
    private static string? OptionalId(ByteString id, int length, string field)
    {
        if (id.IsEmpty) return null;
        if (id.Length != length) throw new OtlpFormatException($"{field} must be {length} bytes, not {id.Length}");
        if (!id.Span.ContainsAnyExcept((byte)0)) return null;
        return Convert.ToHexStringLower(id.Span);
    }

    private static DateTimeOffset Time(ulong unixNano) =>
        unixNano > (ulong)DateTimeOffset.MaxValue.ToUnixTimeMilliseconds() * 1_000_000UL
            ? throw new OtlpFormatException($"timestamp {unixNano} is out of range")
            : DateTimeOffset.UnixEpoch.AddTicks((long)(unixNano / 100));

    private static DateTimeOffset? OptionalTime(ulong unixNano) => unixNano == 0 ? null : Time(unixNano);
}
