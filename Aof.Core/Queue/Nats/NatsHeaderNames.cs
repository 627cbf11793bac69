using System.Globalization;
using System.Text;
using NATS.Client.Core;

namespace Aof.Core.Queue.Nats;

/// <summary>
/// The headers AOF puts on JetStream messages. Lane messages carry id, max retries, enqueue time and, for a
/// released or deferred copy, the attempt it had; deferred copies add their lane and due time; dead letters add reason, last error, attempts, lane and when.
/// Free text (reason, error) is percent-encoded: NATS header values cannot hold line breaks.
/// </summary>
public static class NatsHeaderNames
{
    public const string Id = "Aof-Id";
    public const string MaxRetries = "Aof-Max-Retries";
    public const string EnqueuedAt = "Aof-Enqueued-At";

    /// <summary>
    /// Attempt of the first delivery of this stream message; set on every copy (released, deferred, replayed), absent
    /// only on a message as its publisher stored it (attempt 1), which is how a delivery is known to be untouched.
    /// </summary>
    public const string AttemptBase = "Aof-Attempt";

    /// <summary>On a deferred copy: unix ms at which it goes back onto its lane (named by <see cref="Lane"/>).</summary>
    public const string DueAt = "Aof-Due-At";

    public const string Reason = "Aof-Reason";
    public const string Error = "Aof-Error";
    public const string Attempts = "Aof-Attempts";
    public const string Lane = "Aof-Lane";
    public const string DeadLetteredAt = "Aof-Dead-Lettered-At";

    public const string NatsMsgId = "Nats-Msg-Id";

    public static string? Get(NatsHeaders? headers, string name) =>
        headers is not null && headers.TryGetLastValue(name, out var v) ? v : null;

    public static int GetInt(NatsHeaders? headers, string name, int fallback) =>
        int.TryParse(Get(headers, name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : fallback;

    public static long GetLong(NatsHeaders? headers, string name, long fallback) =>
        long.TryParse(Get(headers, name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : fallback;

    public static string Encode(string text) => Uri.EscapeDataString(text);

    public static string? Decode(string? value) => value is null ? null : Uri.UnescapeDataString(value);

    public static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Parses the raw header block of a stored message (what the stream "get message" API returns, base64 of
    /// <c>NATS/1.0\r\nName: value\r\n...</c>).
    /// </summary>
    public static NatsHeaders ParseStored(string? base64)
    {
        var headers = new NatsHeaders();
        if (string.IsNullOrEmpty(base64)) return headers;
        var text = Encoding.UTF8.GetString(Convert.FromBase64String(base64));
        var lines = text.Split("\r\n");
        for (var i = 1; i < lines.Length; i++)
        {
            var line = lines[i];
            var colon = line.IndexOf(':');
            if (colon <= 0) continue;
            headers.Add(line[..colon].Trim(), line[(colon + 1)..].Trim());
        }
        return headers;
    }
}
