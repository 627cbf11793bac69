using System.IO.Compression;

namespace Aof.AppHost.Telemetry.Receiver;

/// <summary>A body over the limit: answered 413 / ResourceExhausted.</summary>
internal sealed class RequestTooLargeException(int limit) : Exception($"the request is larger than {limit} bytes");

/// <summary>Reads a request body into memory, never more than the limit: past it, it stops reading and throws.</summary>
internal static class BoundedBody
{
    public static async Task<byte[]> ReadAsync(Stream body, int limit, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > limit) throw new RequestTooLargeException(limit);
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    /// <summary>gzip-decompressed, bounded the same way (a small compressed body can expand without end).</summary>
    public static async Task<byte[]> GunzipAsync(byte[] compressed, int limit, CancellationToken ct)
    {
        await using var gzip = new GZipStream(new MemoryStream(compressed), CompressionMode.Decompress);
        try
        {
            return await ReadAsync(gzip, limit, ct);
        }
        catch (InvalidDataException ex)
        {
            throw new OtlpFormatException("the body is not valid gzip: " + ex.Message);
        }
    }
}
