using System.Buffers;
using System.Text.Json;

namespace Aof.Core.Serialization;

/// <summary>
/// JSON written on the hot path (an envelope, a queued record per webhook) into a buffer and writer that each
/// thread keeps and reuses, so a call allocates only the bytes it returns. A fresh buffer per call would start
/// small and grow: Utf8JsonWriter asks for room for worst-case escaping, so an envelope's buffer was reallocated
/// and copied several times (about half of the gateway's allocations, measured with allocation sampling).
/// </summary>
public static class ThreadJsonWriter
{
    /// <summary>A buffer that grew past this (a huge payload) is dropped after use instead of kept by the thread.</summary>
    private const int KeepBytes = 256 * 1024;

    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;
    [ThreadStatic] private static Utf8JsonWriter? t_writer;
    [ThreadStatic] private static bool t_busy;

    /// <summary>
    /// Runs <paramref name="write"/> against the thread's writer and returns what it wrote as a new array.
    /// <paramref name="write"/> must be synchronous; a nested call (write calling back into this) gets its own buffer.
    /// </summary>
    public static byte[] ToArray<TState>(TState state, int sizeHint, Action<Utf8JsonWriter, TState> write)
    {
        if (t_busy) return WriteFresh(state, sizeHint, write);
        t_busy = true;
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(Math.Max(sizeHint, 4096));
        var writer = t_writer ??= new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true });
        try
        {
            buffer.ResetWrittenCount();
            writer.Reset(buffer);
            write(writer, state);
            writer.Flush();
            return buffer.WrittenSpan.ToArray();
        }
        finally
        {
            if (buffer.Capacity > KeepBytes)
            {
                t_buffer = null;
                t_writer = null;
            }
            t_busy = false;
        }
    }

    private static byte[] WriteFresh<TState>(TState state, int sizeHint, Action<Utf8JsonWriter, TState> write)
    {
        var buffer = new ArrayBufferWriter<byte>(Math.Max(sizeHint, 256));
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true }))
        {
            write(writer, state);
        }
        return buffer.WrittenSpan.ToArray();
    }
}
