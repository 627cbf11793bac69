using Aof.Gateway.Webhooks;

namespace Aof.Gateway.Platforms.GitHub;

/// <summary>
/// Finds the <c>payload</c> field of an <c>application/x-www-form-urlencoded</c> body and percent-decodes it
/// to bytes (not to a string first, so the JSON's UTF-8 stays byte-exact).
/// </summary>
internal static class FormPayload
{
    public static byte[]? Extract(ReadOnlySpan<byte> form)
    {
        while (!form.IsEmpty)
        {
            var amp = form.IndexOf((byte)'&');
            var pair = amp < 0 ? form : form[..amp];
            form = amp < 0 ? default : form[(amp + 1)..];

            var eq = pair.IndexOf((byte)'=');
            if (eq < 0) continue;
            if (pair[..eq].SequenceEqual("payload"u8)) return Decode(pair[(eq + 1)..]);
        }
        return null;
    }

    private static byte[] Decode(ReadOnlySpan<byte> encoded)
    {
        var output = new byte[encoded.Length];
        var n = 0;
        for (var i = 0; i < encoded.Length; i++)
        {
            var b = encoded[i];
            if (b == (byte)'+') output[n++] = (byte)' ';
            else if (b != (byte)'%') output[n++] = b;
            else
            {
                if (i + 2 >= encoded.Length || !TryHex(encoded[i + 1], out var hi) || !TryHex(encoded[i + 2], out var lo))
                    throw new WebhookFormatException("form-encoded payload has a malformed percent escape");
                output[n++] = (byte)(hi << 4 | lo);
                i += 2;
            }
        }
        return output.AsSpan(0, n).ToArray();
    }

    private static bool TryHex(byte c, out int value)
    {
        value = c switch
        {
            >= (byte)'0' and <= (byte)'9' => c - '0',
            >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
            >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
            _ => -1,
        };
        return value >= 0;
    }
}
