using System.Text.Json;
using Aof.Gateway.Webhooks;

namespace Aof.Gateway.Platforms.Common;

/// <summary>Reads a verified body as JSON and picks fields by path; missing or non-scalar fields are null.</summary>
public static class JsonFields
{
    /// <summary>The body as a JSON object; anything else is a 400.</summary>
    public static JsonDocument ParseObject(ReadOnlyMemory<byte> body)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body);
        }
        catch (JsonException ex)
        {
            throw new WebhookFormatException($"body is not valid JSON: {ex.Message}", ex);
        }
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
        {
            doc.Dispose();
            throw new WebhookFormatException("body is not a JSON object");
        }
        return doc;
    }

    /// <summary>The element at <paramref name="path"/> (property names; a number picks an array item), or null.</summary>
    public static JsonElement? At(JsonElement root, params string[] path)
    {
        var current = root;
        foreach (var segment in path)
        {
            if (current.ValueKind == JsonValueKind.Object && current.TryGetProperty(segment, out var next)) current = next;
            else if (current.ValueKind == JsonValueKind.Array && int.TryParse(segment, out var i) && i >= 0 && i < current.GetArrayLength()) current = current[i];
            else return null;
        }
        return current;
    }

    /// <summary>A string or number at <paramref name="path"/> as text (ids are numbers on some platforms), else null.</summary>
    public static string? Text(JsonElement root, params string[] path) => At(root, path) switch
    {
        { ValueKind: JsonValueKind.String } e => e.GetString(),
        { ValueKind: JsonValueKind.Number } e => e.GetRawText(),
        _ => null,
    };

    /// <summary>The first non-empty of several paths.</summary>
    public static string? FirstText(JsonElement root, params string[][] paths)
    {
        foreach (var path in paths)
            if (Text(root, path) is { Length: > 0 } text) return text;
        return null;
    }

    /// <summary>"group/sub/project" -> "group".</summary>
    public static string? FirstSegment(string? path) =>
        path is null ? null : path.IndexOf('/') is var slash and > 0 ? path[..slash] : path;
}
