using System.Security.Cryptography;

namespace Aof.Core.Events;

/// <summary>
/// Message ids: 26-character ULIDs (48-bit millisecond time + 80 random bits, Crockford base32),
/// sortable by creation time like the AOF plan's "01J..." ids.
/// </summary>
public static class Ulid
{
    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    private const int RandomBytes = 10;

    // Random bytes are drawn from the OS generator a block at a time: one call per id (a P/Invoke into OpenSSL with
    // its locks) was a measurable part of the gateway's cost per webhook. Per thread, so no lock is needed.
    [ThreadStatic] private static byte[]? t_random;
    [ThreadStatic] private static int t_used;

    public static string NewUlid() => NewUlid(DateTimeOffset.UtcNow);

    public static string NewUlid(DateTimeOffset time)
    {
        Span<byte> bytes = stackalloc byte[16];
        var ms = (ulong)time.ToUnixTimeMilliseconds();
        for (var i = 5; i >= 0; i--) { bytes[i] = (byte)(ms & 0xFF); ms >>= 8; }
        NextRandom(bytes[6..]);

        return Encode(bytes);
    }

    /// <summary>16 bytes as 26 Crockford base32 characters, most significant first (the first one carries 3 bits).</summary>
    internal static string Encode(ReadOnlySpan<byte> bytes)
    {
        Span<char> chars = stackalloc char[26];
        var value = System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(bytes);
        for (var i = 25; i >= 0; i--)
        {
            chars[i] = Alphabet[(int)(value & 31)];
            value >>= 5;
        }
        return new string(chars);
    }

    private static void NextRandom(Span<byte> destination)
    {
        var block = t_random ??= new byte[RandomBytes * 64];
        if (t_used == 0 || t_used + RandomBytes > block.Length)
        {
            RandomNumberGenerator.Fill(block);
            t_used = 0;
        }
        block.AsSpan(t_used, RandomBytes).CopyTo(destination);
        t_used += RandomBytes;
    }
}
