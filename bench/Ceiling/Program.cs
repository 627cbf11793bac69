// The benchmark's ceiling: a bare Kestrel endpoint that reads the whole body and answers 202.
// The gateway is measured against it in the same run, so machine noise cancels out in the ratio.
using System.Buffers;

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var app = builder.Build();

app.MapPost("/webhook/{platform}", async (HttpRequest request) =>
{
    var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
    try
    {
        while (await request.Body.ReadAsync(buffer) > 0) { }
    }
    finally
    {
        ArrayPool<byte>.Shared.Return(buffer);
    }
    return Results.StatusCode(StatusCodes.Status202Accepted);
});

app.Run();
