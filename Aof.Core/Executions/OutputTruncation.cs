using System.Text;

namespace Aof.Core.Executions;

/// <summary>Cuts execution output to a byte budget without splitting a UTF-8 sequence. Shared by every store.</summary>
public static class OutputTruncation
{
    /// <summary>
    /// Returns <paramref name="output"/> when its UTF-8 form fits in <paramref name="limitBytes"/>, else its
    /// longest prefix that does (ending on a character boundary) with <paramref name="truncated"/> set.
    /// </summary>
    public static string? Truncate(string? output, int limitBytes, out bool truncated)
    {
        truncated = false;
        if (output is null) return null;
        if (limitBytes < 0) limitBytes = 0;
        // Cheap exits: UTF-8 needs at most 3 bytes per UTF-16 char (4 per surrogate pair).
        if ((long)output.Length * 3 <= limitBytes || Encoding.UTF8.GetByteCount(output) <= limitBytes) return output;

        truncated = true;
        var bytes = Encoding.UTF8.GetBytes(output);
        var cut = limitBytes;
        // Back off continuation bytes (10xxxxxx) so the cut lands before the start of a sequence.
        while (cut > 0 && (bytes[cut] & 0xC0) == 0x80) cut--;
        return Encoding.UTF8.GetString(bytes, 0, cut);
    }
}
