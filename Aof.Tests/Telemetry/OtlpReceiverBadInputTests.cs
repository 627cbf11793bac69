using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Aof.AppHost.Telemetry.Proto.Collector.Trace;
using Aof.AppHost.Telemetry.Proto.Trace;
using Aof.AppHost.Telemetry.Receiver;
using Aof.AppHost.Telemetry.Store;
using Google.Protobuf;

namespace Aof.Tests.Telemetry;

/// <summary>What the receiver does with requests no exporter should send: it answers, stores nothing, and keeps serving.</summary>
public sealed class OtlpReceiverBadInputTests(OtlpReceiverFixture fixture) : IClassFixture<OtlpReceiverFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);
    private static readonly byte RunByte = (byte)Random.Shared.Next(256);

    [Fact]
    public async Task A_malformed_http_body_gets_400_stores_nothing_and_the_next_good_request_is_stored()
    {
        using var client = new HttpClient { Timeout = Bound };
        var before = fixture.Store.Version;
        var rejected = fixture.Receiver.RejectedRequests;

        using var garbage = await PostHttpAsync(client, "/v1/traces", [0x0a, 0xff, 0xff, 0xff, 0x01, 0x02]);
        Assert.Equal(HttpStatusCode.BadRequest, garbage.StatusCode);
        Assert.Contains("not a valid OTLP traces export request", await garbage.Content.ReadAsStringAsync());

        // Parses as protobuf, breaks OTLP: a 3-byte trace id. The good span in the same request is not stored either.
        var badId = Request(Span("bad-id-good", TraceId(1)), Span("bad-id", [1, 2, 3]));
        using var invalid = await PostHttpAsync(client, "/v1/traces", badId.ToByteArray());
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Contains("trace_id must be 16 bytes, not 3", await invalid.Content.ReadAsStringAsync());
        Assert.Equal(before, fixture.Store.Version);
        Assert.Null(fixture.Store.GetTrace(Convert.ToHexStringLower(TraceId(1))));

        using var good = await PostHttpAsync(client, "/v1/traces", Request(Span("after-bad-http", TraceId(2))).ToByteArray());
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
        Assert.Equal("after-bad-http", fixture.Store.GetTrace(Convert.ToHexStringLower(TraceId(2)))!.Name);
        Assert.True(fixture.Receiver.RejectedRequests >= rejected + 2);
        Assert.Contains(fixture.Log, l => l.StartsWith("otlp: rejected a ", StringComparison.Ordinal)); // at most one line per 10 s
    }

    [Fact]
    public async Task Json_or_an_unknown_encoding_gets_415()
    {
        using var client = new HttpClient { Timeout = Bound };
        using var json = await client.PostAsync(new Uri(fixture.Receiver.HttpEndpoint, "/v1/logs"), new StringContent("{}", null, "application/json"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, json.StatusCode);
        Assert.Contains("application/x-protobuf", await json.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_malformed_grpc_message_gets_invalid_argument_and_the_next_good_call_is_stored()
    {
        using var client = GrpcClient();
        var before = fixture.Store.Version;

        var (status, message) = await CallGrpcAsync(client, Frame([0x0a, 0xff, 0xff, 0xff, 0x01, 0x02]));
        Assert.Equal("3", status); // InvalidArgument
        Assert.Contains("not a valid OTLP traces export request", message);
        (status, _) = await CallGrpcAsync(client, Frame(Request(Span("bad-span-id", TraceId(3), spanId: [9])).ToByteArray()));
        Assert.Equal("3", status);
        Assert.Equal(before, fixture.Store.Version);

        (status, _) = await CallGrpcAsync(client, Frame(Request(Span("after-bad-grpc", TraceId(4))).ToByteArray()));
        Assert.Equal("0", status);
        Assert.Equal("after-bad-grpc", fixture.Store.GetTrace(Convert.ToHexStringLower(TraceId(4)))!.Name);
    }

    [Fact]
    public async Task A_grpc_message_over_4_mib_gets_resource_exhausted_from_its_length_prefix_alone()
    {
        using var client = GrpcClient();
        // The prefix announces 5 MiB; only a few bytes follow and the body stays open: the answer cannot depend on reading it.
        var header = new byte[5 + 16];
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(1), 5 * 1024 * 1024);
        using var body = new OpenEndedContent(header, "application/grpc");
        using var request = GrpcRequest(body);
        using var cts = new CancellationTokenSource(Bound);
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);

        Assert.Equal("8", response.Headers.GetValues("grpc-status").Single()); // ResourceExhausted
        Assert.Contains("larger than 4194304 bytes", Uri.UnescapeDataString(response.Headers.GetValues("grpc-message").Single()));
        var (status, _) = await CallGrpcAsync(client, Frame(Request(Span("after-large-grpc", TraceId(5))).ToByteArray()));
        Assert.Equal("0", status);
    }

    [Fact]
    public async Task An_http_body_over_4_mib_gets_413_from_its_length_or_past_the_limit_and_the_receiver_keeps_serving()
    {
        using var client = new HttpClient { Timeout = Bound };
        var before = fixture.Store.Version;

        // A declared length over the limit, with the body never sent: answered from the header, read with a raw socket
        // because HttpClient on HTTP/1.1 waits for its own body before it reads an answer.
        using (var tcp = new TcpClient())
        using (var cts = new CancellationTokenSource(Bound))
        {
            await tcp.ConnectAsync(IPAddress.Loopback, fixture.Receiver.HttpEndpoint.Port, cts.Token);
            var stream = tcp.GetStream();
            var head = "POST /v1/traces HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-protobuf\r\n" +
                       $"Content-Length: {64 * 1024 * 1024}\r\n\r\n";
            await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(head), cts.Token);
            await stream.WriteAsync(new byte[16], cts.Token);
            var answer = new byte[512];
            var read = await stream.ReadAsync(answer, cts.Token);
            Assert.StartsWith("HTTP/1.1 413", System.Text.Encoding.ASCII.GetString(answer, 0, read));
        }

        // Chunked (no length): read up to the limit, then refused.
        using var chunked = new StreamContent(new MemoryStream(new byte[5 * 1024 * 1024]));
        chunked.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(fixture.Receiver.HttpEndpoint, "/v1/metrics")) { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        using var streamed = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, streamed.StatusCode);
        Assert.Equal(before, fixture.Store.Version);

        using var good = await PostHttpAsync(client, "/v1/traces", Request(Span("after-large-http", TraceId(6))).ToByteArray());
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
    }

    [Fact]
    public async Task A_port_in_use_is_an_error_naming_the_port()
    {
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var port = ((IPEndPoint)squatter.LocalEndpoint).Port;

        var error = await Assert.ThrowsAsync<IOException>(() =>
            OtlpReceiver.StartAsync(new TelemetryStore(), new OtlpReceiverOptions { GrpcPort = port, HttpPort = 0 }));
        Assert.Contains($"ports {port} (gRPC)", error.Message);
    }

    private async Task<HttpResponseMessage> PostHttpAsync(HttpClient client, string path, byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        return await client.PostAsync(new Uri(fixture.Receiver.HttpEndpoint, path), content);
    }

    private static HttpClient GrpcClient() => new() { Timeout = Bound };

    private HttpRequestMessage GrpcRequest(HttpContent content) =>
        new(HttpMethod.Post, new Uri(fixture.Receiver.GrpcEndpoint, "/opentelemetry.proto.collector.trace.v1.TraceService/Export"))
        {
            Content = content,
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };

    /// <summary>A unary call by hand; the status comes in the trailers, or in the headers of a trailers-only answer.</summary>
    private async Task<(string Status, string Message)> CallGrpcAsync(HttpClient client, byte[] frame)
    {
        var content = new ByteArrayContent(frame);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        using var request = GrpcRequest(content);
        request.Headers.TryAddWithoutValidation("te", "trailers");
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await response.Content.ReadAsByteArrayAsync();
        var headers = response.TrailingHeaders.Contains("grpc-status") ? response.TrailingHeaders : response.Headers;
        var message = headers.TryGetValues("grpc-message", out var m) ? Uri.UnescapeDataString(m.Single()) : "";
        return (headers.GetValues("grpc-status").Single(), message);
    }

    private static byte[] Frame(byte[] message)
    {
        var frame = new byte[5 + message.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)message.Length);
        message.CopyTo(frame, 5);
        return frame;
    }

    private static byte[] TraceId(byte n)
    {
        var id = new byte[16];
        id[0] = 0xab;
        id[15] = n;
        id[14] = RunByte;
        return id;
    }

    private static Span Span(string name, byte[] traceId, byte[]? spanId = null) => new()
    {
        Name = name,
        TraceId = ByteString.CopyFrom(traceId),
        SpanId = ByteString.CopyFrom(spanId ?? [1, 2, 3, 4, 5, 6, 7, 8]),
        StartTimeUnixNano = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000UL,
        EndTimeUnixNano = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000UL,
    };

    private static ExportTraceServiceRequest Request(params Span[] spans) =>
        new() { ResourceSpans = { new ResourceSpans { ScopeSpans = { new ScopeSpans { Spans = { spans } } } } } };

    /// <summary>A body that sends its first bytes and then never ends (until the request is dropped).</summary>
    private sealed class OpenEndedContent : HttpContent
    {
        private readonly byte[] _start;

        public OpenEndedContent(byte[] start, string contentType)
        {
            _start = start;
            Headers.ContentType = new MediaTypeHeaderValue(contentType);
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken ct)
        {
            await stream.WriteAsync(_start, ct);
            await stream.FlushAsync(ct);
            await Task.Delay(Timeout.Infinite, ct);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = -1;
            return false;
        }
    }
}
