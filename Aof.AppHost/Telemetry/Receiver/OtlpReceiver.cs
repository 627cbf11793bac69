using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net;
using Aof.AppHost.Telemetry.Store;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Aof.AppHost.Telemetry.Receiver;

/// <summary>
/// The AppHost's OTLP endpoint, as Aspire's dashboard has one: OTLP/gRPC (HTTP/2 cleartext) and OTLP/HTTP with binary
/// protobuf (<c>POST /v1/traces</c>, <c>/v1/metrics</c>, <c>/v1/logs</c>), on loopback, into a <see cref="TelemetryStore"/>.
/// A malformed request gets 400 / InvalidArgument and stores nothing; a body over the limit gets 413 /
/// ResourceExhausted and is not read past the limit. The gRPC framing is ours (a unary call is one length-prefixed
/// message each way), so those status codes are exact.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private const string GrpcContentType = "application/grpc";
    private const string ProtobufContentType = "application/x-protobuf";

    private readonly WebApplication _app;
    private readonly Action<string>? _log;
    private long _rejected;
    private long _lastLogTicks;

    private OtlpReceiver(WebApplication app, TelemetryStore store, OtlpReceiverOptions options, Action<string>? log)
    {
        _app = app;
        Store = store;
        Options = options;
        _log = log;
    }

    public TelemetryStore Store { get; }

    public OtlpReceiverOptions Options { get; }

    /// <summary>The OTLP/gRPC address, e.g. <c>http://127.0.0.1:18889</c>: a service's <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>.</summary>
    public Uri GrpcEndpoint { get; private set; } = null!;

    /// <summary>The OTLP/HTTP base address; signals go to <c>/v1/traces</c> and so on below it.</summary>
    public Uri HttpEndpoint { get; private set; } = null!;

    /// <summary>Requests answered with an error status.</summary>
    public long RejectedRequests => Interlocked.Read(ref _rejected);

    /// <summary>
    /// Listens on loopback. A port in use fails with an <see cref="IOException"/> naming it.
    /// <paramref name="log"/> hears about rejected requests (at most one line every 10 s).
    /// </summary>
    public static async Task<OtlpReceiver> StartAsync(TelemetryStore store, OtlpReceiverOptions? options = null,
        Action<string>? log = null, CancellationToken ct = default)
    {
        options ??= new OtlpReceiverOptions();
        // An empty builder: the AppHost's own environment (ASPNETCORE_URLS, appsettings) must not reconfigure it.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        ListenOptions? grpc = null, http = null;
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.MaxRequestBytes;
            kestrel.Listen(IPAddress.Loopback, options.GrpcPort, l => (grpc = l).Protocols = HttpProtocols.Http2);
            kestrel.Listen(IPAddress.Loopback, options.HttpPort, l => (http = l).Protocols = HttpProtocols.Http1AndHttp2);
        });
        builder.Services.AddRoutingCore();
        var app = builder.Build();
        var receiver = new OtlpReceiver(app, store, options, log);
        foreach (var signal in OtlpSignal.All)
        {
            app.MapPost(signal.GrpcPath, (HttpContext context) => receiver.HandleGrpcAsync(context, signal));
            app.MapPost(signal.HttpPath, (HttpContext context) => receiver.HandleHttpAsync(context, signal));
        }
        try
        {
            await app.StartAsync(ct);
        }
        catch (IOException ex)
        {
            await app.DisposeAsync();
            throw new IOException($"the OTLP receiver cannot listen on ports {options.GrpcPort} (gRPC) and {options.HttpPort} (HTTP): {ex.Message}", ex);
        }
        // Kestrel writes the bound endpoint back into the listen options, so port 0 resolves to the one it got.
        receiver.GrpcEndpoint = new Uri($"http://127.0.0.1:{((IPEndPoint)grpc!.EndPoint).Port}");
        receiver.HttpEndpoint = new Uri($"http://127.0.0.1:{((IPEndPoint)http!.EndPoint).Port}");
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }

    private async Task HandleHttpAsync(HttpContext context, OtlpSignal signal)
    {
        var request = context.Request;
        var response = context.Response;
        try
        {
            if (request.ContentType?.Split(';')[0].Trim() is not ProtobufContentType)
            {
                await RejectHttpAsync(context, signal, StatusCodes.Status415UnsupportedMediaType,
                    $"OTLP/HTTP here takes {ProtobufContentType} (binary protobuf), not '{request.ContentType}'");
                return;
            }
            // Known too large from its header: answered before a byte of it is read.
            if (request.ContentLength > Options.MaxRequestBytes) throw new RequestTooLargeException(Options.MaxRequestBytes);
            var body = await BoundedBody.ReadAsync(request.Body, Options.MaxRequestBytes, context.RequestAborted);
            var encoding = request.Headers.ContentEncoding.ToString();
            if (encoding == "gzip") body = await BoundedBody.GunzipAsync(body, Options.MaxRequestBytes, context.RequestAborted);
            else if (encoding is not ("" or "identity"))
            {
                await RejectHttpAsync(context, signal, StatusCodes.Status415UnsupportedMediaType, $"unsupported Content-Encoding '{encoding}' (gzip or none)");
                return;
            }
            var reply = signal.Accept(body, Store);
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = ProtobufContentType;
            await response.Body.WriteAsync(reply, context.RequestAborted);
        }
        catch (Exception ex) when (ex is RequestTooLargeException || (ex is Microsoft.AspNetCore.Http.BadHttpRequestException bad && bad.StatusCode == StatusCodes.Status413PayloadTooLarge))
        {
            await RejectHttpAsync(context, signal, StatusCodes.Status413PayloadTooLarge, $"the request is larger than {Options.MaxRequestBytes} bytes");
        }
        catch (Exception ex) when (ex is InvalidProtocolBufferException or OtlpFormatException)
        {
            await RejectHttpAsync(context, signal, StatusCodes.Status400BadRequest, $"not a valid OTLP {signal.Name} export request: {ex.Message}");
        }
    }

    private async Task RejectHttpAsync(HttpContext context, OtlpSignal signal, int status, string message)
    {
        Rejected(signal, message);
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        // Not waiting for the rest of a body we will not read: the connection closes after the answer.
        if (status == StatusCodes.Status413PayloadTooLarge) context.Response.Headers.Connection = "close";
        await context.Response.WriteAsync(message, context.RequestAborted);
    }

    /// <summary>A unary gRPC call: one message of [compressed flag][4-byte big-endian length][bytes], answered with one.</summary>
    private async Task HandleGrpcAsync(HttpContext context, OtlpSignal signal)
    {
        var response = context.Response;
        response.ContentType = GrpcContentType;
        if (context.Request.Protocol != HttpProtocol.Http2 || context.Request.ContentType?.StartsWith(GrpcContentType, StringComparison.Ordinal) != true)
        {
            response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            Rejected(signal, "a gRPC path called without HTTP/2 and application/grpc");
            return;
        }
        // gRPC needs no request body limit from Kestrel: the length prefix is checked before the message is read.
        context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize = null;
        try
        {
            var message = await ReadGrpcMessageAsync(context, context.RequestAborted);
            var reply = signal.Accept(message, Store);
            var frame = new byte[5 + reply.Length];
            BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)reply.Length);
            reply.CopyTo(frame, 5);
            response.StatusCode = StatusCodes.Status200OK;
            response.DeclareTrailer("grpc-status");
            await response.Body.WriteAsync(frame, context.RequestAborted);
            response.AppendTrailer("grpc-status", "0");
        }
        catch (RequestTooLargeException ex)
        {
            GrpcError(context, signal, GrpcStatus.ResourceExhausted, ex.Message);
        }
        catch (Exception ex) when (ex is InvalidProtocolBufferException or OtlpFormatException)
        {
            GrpcError(context, signal, GrpcStatus.InvalidArgument, $"not a valid OTLP {signal.Name} export request: {ex.Message}");
        }
        catch (GrpcCallException ex)
        {
            GrpcError(context, signal, ex.Status, ex.Message);
        }
    }

    private async Task<byte[]> ReadGrpcMessageAsync(HttpContext context, CancellationToken ct)
    {
        var reader = context.Request.BodyReader;
        var header = await ReadExactlyAsync(reader, 5, ct) ?? throw new OtlpFormatException("the call has no message");
        var compressed = header[0] != 0;
        var length = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(1));
        if (length > Options.MaxRequestBytes) throw new RequestTooLargeException(Options.MaxRequestBytes);
        var message = length == 0 ? [] : await ReadExactlyAsync(reader, (int)length, ct)
            ?? throw new OtlpFormatException($"the message ends before its {length} bytes");
        if (!compressed) return message;
        var encoding = context.Request.Headers["grpc-encoding"].ToString();
        if (encoding != "gzip") throw new GrpcCallException(GrpcStatus.Unimplemented, $"unsupported grpc-encoding '{encoding}' (gzip or identity)");
        return await BoundedBody.GunzipAsync(message, Options.MaxRequestBytes, ct);
    }

    /// <summary>Exactly <paramref name="count"/> bytes, or null when the body ends first.</summary>
    private static async Task<byte[]?> ReadExactlyAsync(PipeReader reader, int count, CancellationToken ct)
    {
        while (true)
        {
            var result = await reader.ReadAsync(ct);
            var buffer = result.Buffer;
            if (buffer.Length >= count)
            {
                var bytes = buffer.Slice(0, count).ToArray();
                reader.AdvanceTo(buffer.GetPosition(count));
                return bytes;
            }
            if (result.IsCompleted)
            {
                reader.AdvanceTo(buffer.End);
                return null;
            }
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>A trailers-only answer: the status in the headers, no message.</summary>
    private void GrpcError(HttpContext context, OtlpSignal signal, GrpcStatus status, string message)
    {
        Rejected(signal, message);
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.Headers["grpc-status"] = ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture);
        context.Response.Headers["grpc-message"] = Uri.EscapeDataString(message);
    }

    private void Rejected(OtlpSignal signal, string message)
    {
        Interlocked.Increment(ref _rejected);
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _lastLogTicks);
        if (_log is not null && (last == 0 || now - last >= 10_000) && Interlocked.CompareExchange(ref _lastLogTicks, now, last) == last)
            _log($"otlp: rejected a {signal.Name} export: {message}");
    }

    /// <summary>The gRPC status codes the receiver answers with.</summary>
    internal enum GrpcStatus
    {
        InvalidArgument = 3,
        ResourceExhausted = 8,
        Unimplemented = 12,
    }

    private sealed class GrpcCallException(GrpcStatus status, string message) : Exception(message)
    {
        public GrpcStatus Status { get; } = status;
    }
}
