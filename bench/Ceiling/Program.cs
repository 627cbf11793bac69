// The benchmark's ceiling: a bare Kestrel endpoint that reads the whole body and answers 202.
// The gateway is measured against it in the same run, so machine noise cancels out in the ratio.
//
// With CEILING_STORE=redis|nats and CEILING_CONNECTION (host:port, or a nats:// URL) the same endpoint also stores the
// body on the broker before it answers, and answers 202 only once the broker confirmed: one XADD to a Redis stream,
// or one JetStream publish awaiting its ack (file storage): a plain receiver that loses nothing, with the same client
// libraries as the gateway. run.sh prints it as the "durable floor", to show how much of the distance to the bare
// ceiling one broker write per webhook takes. It has no signature check, matching, dedup, execution record or
// telemetry, and no group commit (the gateway batches its writes).
using System.Buffers;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using StackExchange.Redis;

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var app = builder.Build();

var store = await BodyStore.ConnectAsync(
    Environment.GetEnvironmentVariable("CEILING_STORE"), Environment.GetEnvironmentVariable("CEILING_CONNECTION"));

app.MapPost("/webhook/{platform}", async (HttpRequest request) =>
{
    var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
    try
    {
        int length = 0, n;
        while ((n = await request.Body.ReadAsync(buffer.AsMemory(length))) > 0)
        {
            length += n;
            if (length == buffer.Length) return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
        }
        if (store is not null) await store.AddAsync(buffer.AsMemory(0, length));
    }
    finally
    {
        ArrayPool<byte>.Shared.Return(buffer);
    }
    return Results.StatusCode(StatusCodes.Status202Accepted);
});

app.Run();

/// <summary>Where the durable floor writes each body; null for the bare ceiling.</summary>
internal abstract class BodyStore
{
    public abstract Task AddAsync(ReadOnlyMemory<byte> body);

    public static async Task<BodyStore?> ConnectAsync(string? kind, string? connection) => kind switch
    {
        null or "" => null,
        "redis" => new RedisBodyStore(await ConnectionMultiplexer.ConnectAsync(Required(connection))),
        "nats" => await NatsBodyStore.ConnectAsync(Required(connection)),
        _ => throw new ArgumentException($"CEILING_STORE must be redis or nats, not '{kind}'"),
    };

    private static string Required(string? connection) =>
        string.IsNullOrWhiteSpace(connection) ? throw new ArgumentException("CEILING_STORE needs CEILING_CONNECTION") : connection;
}

internal sealed class RedisBodyStore(ConnectionMultiplexer redis) : BodyStore
{
    private static readonly RedisKey Stream = "ceiling:bodies";
    private readonly IDatabase _db = redis.GetDatabase();

    public override Task AddAsync(ReadOnlyMemory<byte> body) => _db.StreamAddAsync(Stream, "body", body.ToArray());
}

internal sealed class NatsBodyStore(NatsJSContext js) : BodyStore
{
    private const string Subject = "ceiling.bodies";

    public static async Task<NatsBodyStore> ConnectAsync(string url)
    {
        var connection = new NatsConnection(new NatsOpts { Url = url });
        await connection.ConnectAsync();
        var js = new NatsJSContext(connection);
        await js.CreateStreamAsync(new StreamConfig("CEILING", [Subject])
        {
            Storage = StreamConfigStorage.File,
            Retention = StreamConfigRetention.Workqueue,
        });
        return new NatsBodyStore(js);
    }

    public override async Task AddAsync(ReadOnlyMemory<byte> body) =>
        (await js.PublishAsync(Subject, body)).EnsureSuccess();
}
