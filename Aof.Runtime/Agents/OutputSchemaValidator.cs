using System.Text.Json;
using System.Text.Json.Nodes;

namespace Aof.Runtime.Agents;

/// <summary>
/// Checks an agent's final answer against its <c>output_schema</c>: the answer must be JSON (a ```json fence
/// around it is accepted) and satisfy the schema's type, required, properties, additionalProperties, enum, items,
/// minimum/maximum and minLength/maxLength keywords, the subset agents' schemas use.
/// </summary>
public static class OutputSchemaValidator
{
    /// <summary>Null when valid, else the first problem, with its JSON path.</summary>
    public static string? Validate(string answer, JsonObject schema, out JsonNode? value)
    {
        value = null;
        var json = StripFence(answer);
        try
        {
            value = JsonNode.Parse(json);
        }
        catch (JsonException ex)
        {
            return $"the answer is not JSON ({ex.Message})";
        }
        return Check(value, schema, "$");
    }

    public static string StripFence(string answer)
    {
        var s = answer.Trim();
        if (!s.StartsWith("```", StringComparison.Ordinal)) return s;
        var firstLine = s.IndexOf('\n');
        var end = s.LastIndexOf("```", StringComparison.Ordinal);
        return firstLine > 0 && end > firstLine ? s[(firstLine + 1)..end].Trim() : s;
    }

    private static string? Check(JsonNode? node, JsonObject schema, string path)
    {
        if (schema["type"] is { } typeNode)
        {
            var types = typeNode is JsonArray arr ? arr.Select(x => x?.ToString()).ToList() : [typeNode.ToString()];
            if (!types.Any(t => Is(node, t)))
                return $"{path}: expected {string.Join(" or ", types)}, got {KindOf(node)}";
        }

        if (schema["enum"] is JsonArray options && !options.Any(o => JsonNode.DeepEquals(o, node)))
            return $"{path}: {node?.ToJsonString() ?? "null"} is not one of {options.ToJsonString()}";

        switch (node)
        {
            case JsonObject obj:
                if (schema["required"] is JsonArray required)
                    foreach (var r in required.Select(x => x?.ToString()).OfType<string>())
                        if (!obj.ContainsKey(r)) return $"{path}: missing required property '{r}'";
                var props = schema["properties"] as JsonObject;
                foreach (var (key, child) in obj)
                {
                    if (props?[key] is JsonObject childSchema)
                    {
                        if (Check(child, childSchema, $"{path}.{key}") is { } problem) return problem;
                    }
                    else if (schema["additionalProperties"] is JsonValue ap && ap.TryGetValue<bool>(out var allowed) && !allowed)
                    {
                        return $"{path}: property '{key}' is not allowed";
                    }
                }
                break;
            case JsonArray array when schema["items"] is JsonObject itemSchema:
                for (var i = 0; i < array.Count; i++)
                    if (Check(array[i], itemSchema, $"{path}[{i}]") is { } problem) return problem;
                break;
            case JsonValue v when v.GetValueKind() == JsonValueKind.Number:
                var d = v.GetValue<double>();
                if (Num(schema, "minimum") is { } min && d < min) return $"{path}: {d} is below the minimum {min}";
                if (Num(schema, "maximum") is { } max && d > max) return $"{path}: {d} is above the maximum {max}";
                break;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                var len = v.GetValue<string>().Length;
                if (Num(schema, "minLength") is { } minLen && len < minLen) return $"{path}: shorter than {minLen} characters";
                if (Num(schema, "maxLength") is { } maxLen && len > maxLen) return $"{path}: longer than {maxLen} characters";
                break;
        }
        return null;
    }

    private static double? Num(JsonObject schema, string key) =>
        schema[key] is JsonValue v && double.TryParse(v.ToString(), System.Globalization.CultureInfo.InvariantCulture, out var d) ? d : null;

    private static bool Is(JsonNode? node, string? type) => type switch
    {
        "object" => node is JsonObject,
        "array" => node is JsonArray,
        "string" => node is JsonValue v && v.GetValueKind() == JsonValueKind.String,
        "number" => node is JsonValue v && v.GetValueKind() == JsonValueKind.Number,
        "integer" => node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.GetValue<double>() % 1 == 0,
        "boolean" => node is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False,
        "null" => node is null,
        _ => true,
    };

    private static string KindOf(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "object",
        JsonArray => "array",
        JsonValue v => v.GetValueKind().ToString().ToLowerInvariant(),
        _ => "unknown",
    };
}
