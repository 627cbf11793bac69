using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Aof.Core.Resources;

namespace Aof.Runtime.Agents;

/// <summary>Reads loosely typed spec fields (YAML scalars arrive as strings or numbers) and collects errors for one resource.</summary>
internal sealed class SpecReader(ResourceSource source, string resource, List<ResourceError> errors)
{
    public string Resource { get; } = resource;

    /// <summary>Errors collected so far (for every resource, not only this one): compare before and after a read.</summary>
    public int ErrorCount => errors.Count;

    public void Error(string field, string message) =>
        errors.Add(new ResourceError(source.File, source.Document, field, $"{Resource}: {message}"));

    public static string? Text(JsonNode? node) => node switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v => v.ToJsonString(),
        _ => null,
    };

    public string? String(JsonObject o, string key) => Text(o[key]);

    public int? Int(JsonObject o, string key, string path, int min = 0)
    {
        var text = Text(o[key]);
        if (text is null) return null;
        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min) return value;
        Error($"{path}.{key}", $"must be an integer >= {min}, got '{text}'");
        return null;
    }

    public double? Number(JsonObject o, string key, string path)
    {
        var text = Text(o[key]);
        if (text is null) return null;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)) return value;
        Error($"{path}.{key}", $"must be a number, got '{text}'");
        return null;
    }

    public List<string> Strings(JsonObject o, string key)
    {
        return o[key] switch
        {
            JsonArray a => a.Select(Text).Where(s => !string.IsNullOrWhiteSpace(s)).Select(s => s!).ToList(),
            JsonValue v when Text(v) is { } s => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList(),
            _ => [],
        };
    }

    public Dictionary<string, string> Map(JsonObject o, string key)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (o[key] is JsonObject m)
            foreach (var (k, v) in m)
                if (Text(v) is { } s) map[k] = s;
        return map;
    }
}
