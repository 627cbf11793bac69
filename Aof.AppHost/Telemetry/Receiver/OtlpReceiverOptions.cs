namespace Aof.AppHost.Telemetry.Receiver;

/// <summary>Where the receiver listens and what it accepts. Port 0: any free port (see <see cref="OtlpReceiver.GrpcEndpoint"/>).</summary>
public sealed record OtlpReceiverOptions
{
    /// <summary>The ports of Aspire's dashboard: OTLP/gRPC on 18889, OTLP/HTTP on 18890.</summary>
    public const int DefaultGrpcPort = 18889;

    public const int DefaultHttpPort = 18890;

    /// <summary>OTLP's customary limit on one export request (gRPC's default maximum message size).</summary>
    public const int DefaultMaxRequestBytes = 4 * 1024 * 1024;

    public int GrpcPort { get; init; } = DefaultGrpcPort;

    public int HttpPort { get; init; } = DefaultHttpPort;

    /// <summary>A request body (after decompression) larger than this gets 413 / ResourceExhausted.</summary>
    public int MaxRequestBytes { get; init; } = DefaultMaxRequestBytes;
}
