using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;

namespace Aof.Gateway.Platforms.Common;

/// <summary>An <c>application/x-www-form-urlencoded</c> body: its fields, and the same fields as a JSON object for the envelope.</summary>
public static class FormFields
{
    public static bool IsForm(string? contentType) =>
        contentType is not null && contentType.Split(';')[0].Trim().Equals("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase);

    public static Dictionary<string, string> Parse(ReadOnlySpan<byte> body)
    {
        var parsed = QueryHelpers.ParseQuery(Encoding.UTF8.GetString(body));
        return parsed.ToDictionary(kv => kv.Key, kv => kv.Value.ToString(), StringComparer.Ordinal);
    }

    public static byte[] ToJson(IReadOnlyDictionary<string, string> fields)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            foreach (var (k, v) in fields) w.WriteString(k, v);
            w.WriteEndObject();
        }
        return stream.ToArray();
    }
}
