using Microsoft.AspNetCore.Http.Features;

namespace Aof.Gateway.Webhooks;

/// <summary>The body, or the fact that it was over the limit (then it was not read past limit + 1 bytes).</summary>
public readonly record struct BodyReadResult(bool TooLarge, ReadOnlyMemory<byte> Bytes);

/// <summary>
/// Reads a request body into memory without ever holding more than <c>limit + 1</c> bytes: a declared
/// Content-Length over the limit is refused before reading, and a chunked body is cut off as soon as it
/// passes the limit. The signature needs the exact raw bytes, so the body is buffered, never streamed.
/// </summary>
public static class LimitedBodyReader
{
    private const int InitialChunkedBuffer = 16 * 1024;

    public static async Task<BodyReadResult> ReadAsync(HttpContext context, long limit, CancellationToken ct)
    {
        limit = Math.Clamp(limit, 0, Array.MaxLength - 1);
        var declared = context.Request.ContentLength;
        if (declared > limit) return new BodyReadResult(true, default);

        // Let the server enforce the same limit too (Kestrel then fails the read with 413).
        var sizeFeature = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeFeature is { IsReadOnly: false }) sizeFeature.MaxRequestBodySize = limit;

        // +1 so that reading a body of exactly the declared length still sees the end of the stream.
        var buffer = new byte[declared is { } length ? length + 1 : Math.Min(InitialChunkedBuffer, limit + 1)];
        var total = 0;
        try
        {
            while (true)
            {
                if (total == buffer.Length)
                    Array.Resize(ref buffer, (int)Math.Min((long)buffer.Length * 2, limit + 1));
                var read = await context.Request.Body.ReadAsync(buffer.AsMemory(total), ct);
                if (read == 0) break;
                total += read;
                if (total > limit) return new BodyReadResult(true, default);
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return new BodyReadResult(true, default);
        }
        return new BodyReadResult(false, buffer.AsMemory(0, total));
    }
}
