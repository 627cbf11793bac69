using Aof.AppHost.Telemetry.Proto.Collector.Logs;
using Aof.AppHost.Telemetry.Proto.Collector.Metrics;
using Aof.AppHost.Telemetry.Proto.Collector.Trace;
using Aof.AppHost.Telemetry.Store;
using Google.Protobuf;

namespace Aof.AppHost.Telemetry.Receiver;

/// <summary>
/// One OTLP signal as both transports see it: its gRPC method and HTTP path, and <see cref="Accept"/>, which parses a
/// request body, stores it and returns the encoded response. A body that does not parse or breaks OTLP's rules throws
/// (<see cref="InvalidProtocolBufferException"/>, <see cref="OtlpFormatException"/>) before anything is stored.
/// </summary>
internal sealed class OtlpSignal(string name, string grpcPath, string httpPath, Func<ReadOnlyMemory<byte>, TelemetryStore, IMessage> accept)
{
    public string Name { get; } = name;

    public string GrpcPath { get; } = grpcPath;

    public string HttpPath { get; } = httpPath;

    public byte[] Accept(ReadOnlyMemory<byte> body, TelemetryStore store) => accept(body, store).ToByteArray();

    public static readonly OtlpSignal Traces = new("traces",
        "/opentelemetry.proto.collector.trace.v1.TraceService/Export", "/v1/traces",
        (body, store) =>
        {
            store.AddSpans(OtlpDecoder.Decode(ExportTraceServiceRequest.Parser.ParseFrom(body.Span)).ToList());
            return new ExportTraceServiceResponse();
        });

    public static readonly OtlpSignal Metrics = new("metrics",
        "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export", "/v1/metrics",
        (body, store) =>
        {
            store.AddMetrics(OtlpDecoder.Decode(ExportMetricsServiceRequest.Parser.ParseFrom(body.Span)).ToList());
            return new ExportMetricsServiceResponse();
        });

    public static readonly OtlpSignal Logs = new("logs",
        "/opentelemetry.proto.collector.logs.v1.LogsService/Export", "/v1/logs",
        (body, store) =>
        {
            store.AddLogs(OtlpDecoder.Decode(ExportLogsServiceRequest.Parser.ParseFrom(body.Span)).ToList());
            return new ExportLogsServiceResponse();
        });

    public static IReadOnlyList<OtlpSignal> All { get; } = [Traces, Metrics, Logs];
}
