using System.Diagnostics;
using System.Diagnostics.Metrics;
using Aof.AppHost.Telemetry.Store;
using SpanKind = Aof.AppHost.Telemetry.Store.SpanKind;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Aof.Tests.Telemetry;

/// <summary>
/// The AppHost's OTLP receiver decoding what the real OpenTelemetry .NET OTLP exporter sends, over gRPC and over
/// HTTP/protobuf, into the store's traces, metric series and logs.
/// </summary>
public sealed class OtlpReceiverTests(OtlpReceiverFixture fixture) : IClassFixture<OtlpReceiverFixture>
{
    public static TheoryData<string> Protocols => ["grpc", "http/protobuf"];

    [Theory]
    [MemberData(nameof(Protocols))]
    public void Spans_from_the_exporter_are_grouped_into_traces_with_service_status_and_attributes(string protocol)
    {
        var service = "svc-traces-" + Suffix(protocol);
        using var source = new ActivitySource(service);
        string traceId;
        using (var tracing = Sdk.CreateTracerProviderBuilder()
                   .SetResourceBuilder(ResourceBuilder.CreateEmpty().AddService(service, serviceInstanceId: service + "-0"))
                   .AddSource(service)
                   .AddOtlpExporter(o => Configure(o, protocol, "/v1/traces"))
                   .Build())
        {
            using (var root = source.StartActivity("receive", ActivityKind.Server)!)
            {
                traceId = root.TraceId.ToHexString();
                root.SetTag("http.request.method", "POST");
                root.SetTag("attempt", 3);
                using (var child = source.StartActivity("publish", ActivityKind.Producer)!)
                {
                    child.SetTag("messaging.system", "redis");
                    child.AddEvent(new ActivityEvent("sent"));
                }
                using var failed = source.StartActivity("execute", ActivityKind.Consumer)!;
                failed.SetStatus(ActivityStatusCode.Error, "boom");
            }
            using (var ok = source.StartActivity("healthy", ActivityKind.Internal)!) ok.SetStatus(ActivityStatusCode.Ok);
            Assert.True(tracing.ForceFlush(10_000));
        }

        var trace = fixture.Store.GetTrace(traceId);
        Assert.NotNull(trace);
        Assert.Equal(3, trace.Spans.Count);
        Assert.Equal("receive", trace.Name);
        Assert.Equal(SpanKind.Server, trace.Root.Kind);
        Assert.Null(trace.Root.ParentSpanId);
        Assert.Equal([service], trace.Services);
        Assert.Equal(SpanStatus.Error, trace.Status);
        Assert.Equal(service + "-0", trace.Root.Resource.Instance);
        Assert.Equal("POST", trace.Root.Attributes["http.request.method"]);
        Assert.Equal("3", trace.Root.Attributes["attempt"]);
        var publish = trace.Spans.Single(s => s.Name == "publish");
        Assert.Equal(SpanKind.Producer, publish.Kind);
        Assert.Equal(trace.Root.SpanId, publish.ParentSpanId);
        Assert.Equal("redis", publish.Attributes["messaging.system"]);
        Assert.Equal("sent", Assert.Single(publish.Events).Name);
        Assert.Equal("boom", trace.Spans.Single(s => s.Name == "execute").StatusMessage);
        Assert.True(trace.Duration >= TimeSpan.Zero);

        var mine = fixture.Store.GetTraces(new TraceQuery { Service = service });
        Assert.Equal(2, mine.Count);
        Assert.Equal(traceId, Assert.Single(fixture.Store.GetTraces(new TraceQuery { Service = service, Status = SpanStatus.Error })).TraceId);
        Assert.Equal("healthy", Assert.Single(fixture.Store.GetTraces(new TraceQuery { Service = service, Status = SpanStatus.Ok })).Name);
        Assert.Contains(service, fixture.Store.GetServices());
    }

    [Theory]
    [MemberData(nameof(Protocols))]
    public void Counters_gauges_and_histograms_from_the_exporter_become_series_by_name_service_and_attributes(string protocol)
    {
        var service = "svc-metrics-" + Suffix(protocol);
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        using var meter = new Meter(service);
        var counter = meter.CreateCounter<long>("test.requests");
        var histogram = meter.CreateHistogram<double>("test.duration", unit: "s");
        meter.CreateObservableGauge("test.depth", () => new Measurement<int>(7, new KeyValuePair<string, object?>("state", "pending")));
        using (var metrics = Sdk.CreateMeterProviderBuilder()
                   .SetResourceBuilder(ResourceBuilder.CreateEmpty().AddService(service))
                   .AddMeter(service)
                   .AddOtlpExporter((o, reader) =>
                   {
                       Configure(o, protocol, "/v1/metrics");
                       reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = 60_000;
                   })
                   .Build())
        {
            counter.Add(2, new KeyValuePair<string, object?>("outcome", "ok"));
            counter.Add(3, new KeyValuePair<string, object?>("outcome", "ok"));
            counter.Add(1, new KeyValuePair<string, object?>("outcome", "failed"));
            histogram.Record(0.2);
            histogram.Record(3.0);
            Assert.True(metrics.ForceFlush(10_000));
        }

        var requests = fixture.Store.GetMetrics(new MetricQuery { Name = "test.requests", Service = service });
        Assert.Equal(2, requests.Count);
        var ok = requests.Single(s => s.Attributes["outcome"] == "ok");
        Assert.Equal(MetricKind.Sum, ok.Kind);
        Assert.True(ok.IsMonotonic);
        Assert.Equal(5, ok.Points[^1].Value);
        Assert.Equal(1, requests.Single(s => s.Attributes["outcome"] == "failed").Points[^1].Value);

        var duration = Assert.Single(fixture.Store.GetMetrics(new MetricQuery { Name = "test.duration", Service = service }));
        Assert.Equal(MetricKind.Histogram, duration.Kind);
        Assert.Equal("s", duration.Unit);
        var h = duration.Points[^1].Histogram!;
        Assert.Equal(2UL, h.Count);
        Assert.Equal(3.2, h.Sum!.Value, 6);
        Assert.Equal(0.2, h.Min);
        Assert.Equal(3.0, h.Max);
        Assert.Equal(h.Bounds.Count + 1, h.BucketCounts.Count);
        Assert.Equal(2UL, h.BucketCounts.Aggregate(0UL, (a, b) => a + b));

        var depth = Assert.Single(fixture.Store.GetMetrics(new MetricQuery { Name = "test.depth", Service = service }));
        Assert.Equal(MetricKind.Gauge, depth.Kind);
        Assert.Equal("pending", depth.Attributes["state"]);
        Assert.Equal(7, depth.Points[^1].Value);

        Assert.NotEmpty(fixture.Store.GetMetrics(new MetricQuery { Service = service, Since = before }));
        Assert.Empty(fixture.Store.GetMetrics(new MetricQuery { Service = service, Since = DateTimeOffset.UtcNow.AddMinutes(1) }));
        Assert.Contains("test.duration", fixture.Store.GetMetricNames());
    }

    [Theory]
    [MemberData(nameof(Protocols))]
    public void Log_records_from_the_exporter_are_kept_with_severity_message_and_trace(string protocol)
    {
        var service = "svc-logs-" + Suffix(protocol);
        using var source = new ActivitySource(service);
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == service,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        string traceId;
        using (var logging = LoggerFactory.Create(b => b.AddOpenTelemetry(o =>
               {
                   o.SetResourceBuilder(ResourceBuilder.CreateEmpty().AddService(service));
                   o.IncludeFormattedMessage = true;
                   o.AddOtlpExporter(e => Configure(e, protocol, "/v1/logs"));
               })))
        {
            var logger = logging.CreateLogger("Aof.Test");
            logger.LogInformation("first {Number}", 1);
            using (var activity = source.StartActivity("work")!)
            {
                traceId = activity.TraceId.ToHexString();
                logger.LogError("second went wrong");
            }
        }

        var logs = fixture.Store.GetLogs(new LogQuery { Service = service });
        Assert.Equal(["second went wrong", "first 1"], logs.Select(l => l.Message));
        Assert.Equal(17, logs[0].SeverityNumber);
        Assert.Equal(9, logs[1].SeverityNumber);
        Assert.Equal("Aof.Test", logs[0].Scope);
        Assert.Equal(traceId, logs[0].TraceId);
        Assert.Single(fixture.Store.GetLogs(new LogQuery { Service = service, MinSeverity = 17 }));
        Assert.Single(fixture.Store.GetLogs(new LogQuery { TraceId = traceId }));
        Assert.Single(fixture.Store.GetLogs(new LogQuery { Service = service, Contains = "FIRST" }));
    }

    private static string Suffix(string protocol) => protocol == "grpc" ? "grpc" : "http";

    private void Configure(OtlpExporterOptions options, string protocol, string path)
    {
        if (protocol == "grpc")
        {
            options.Protocol = OtlpExportProtocol.Grpc;
            options.Endpoint = fixture.Receiver.GrpcEndpoint;
        }
        else
        {
            options.Protocol = OtlpExportProtocol.HttpProtobuf;
            options.Endpoint = new Uri(fixture.Receiver.HttpEndpoint, path); // set in code, the signal path is not appended
        }
        options.ExportProcessorType = ExportProcessorType.Simple;
        options.TimeoutMilliseconds = 10_000;
    }
}
