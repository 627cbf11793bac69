using System.Text.Json;
using System.Text.Json.Nodes;

namespace Aof.Core.Resources.Loading;

/// <summary>
/// Reads fields of one document and records what is wrong with them, each error naming the file,
/// the document, the field path and its line. Readers never throw: they return null and add an error.
/// </summary>
internal sealed class DocumentContext(YamlDocumentData document, ICollection<ResourceError> errors)
{
    public string File => document.File;
    public int Index => document.Index;
    public SourceMap Map => document.Map;
    public ResourceSource Source => new(document.File, document.Index);

    public int ErrorCount { get; private set; }

    public void Error(string? field, string message, int? line)
    {
        ErrorCount++;
        errors.Add(new ResourceError(File, Index, field, line is { } l ? $"{message} (line {l})" : message));
    }

    public int? LineOf(JsonObject owner, string key) => Map.Get(owner, key)?.Line;

    public static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    /// <summary>Scalar text as written (after expansion); numbers and booleans keep their YAML spelling.</summary>
    public string? ScalarText(JsonNode? node)
    {
        if (node is not JsonValue value)
        {
            return null;
        }

        if (value.GetValueKind() == JsonValueKind.String)
        {
            return value.GetValue<string>();
        }

        return Map.Get(node)?.Text ?? value.ToJsonString();
    }

    public string? String(JsonObject owner, string key, string path, bool required)
    {
        var field = Join(path, key);
        var node = owner[key];
        if (node is null)
        {
            if (required)
            {
                Error(field, "required", LineOf(owner, key) ?? Map.LineOf(owner));
            }

            return null;
        }

        var text = ScalarText(node);
        if (text is null)
        {
            Error(field, "must be a string", LineOf(owner, key));
            return null;
        }

        if (required && text.Trim().Length == 0)
        {
            Error(field, EmptyMessage(owner, key), LineOf(owner, key));
            return null;
        }

        return text;
    }

    /// <summary>"must not be empty", naming the environment variables that left it empty.</summary>
    public string EmptyMessage(JsonObject owner, string key)
    {
        var vars = Map.Get(owner, key)?.EmptyVariables ?? [];
        return vars.Count == 0
            ? "must not be empty"
            : $"is empty because environment variable {string.Join(", ", vars)} is not set or empty";
    }

    public bool? Bool(JsonObject owner, string key, string path)
    {
        var node = owner[key];
        if (node is null)
        {
            return null;
        }

        if (node is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
        {
            return v.GetValue<bool>();
        }

        Error(Join(path, key), "must be true or false", LineOf(owner, key));
        return null;
    }

    public JsonObject? Object(JsonObject owner, string key, string path, bool required) =>
        Node<JsonObject>(owner, key, path, required, "must be a mapping");

    public JsonArray? Array(JsonObject owner, string key, string path, bool required) =>
        Node<JsonArray>(owner, key, path, required, "must be a list");

    private T? Node<T>(JsonObject owner, string key, string path, bool required, string wrongShape) where T : JsonNode
    {
        var node = owner[key];
        switch (node)
        {
            case T typed:
                return typed;
            case null when !required:
                return null;
            case null:
                Error(Join(path, key), "required", LineOf(owner, key) ?? Map.LineOf(owner));
                return null;
            default:
                Error(Join(path, key), wrongShape, LineOf(owner, key));
                return null;
        }
    }

    public IReadOnlyList<string> StringList(JsonObject owner, string key, string path)
    {
        var array = Array(owner, key, path, required: false);
        if (array is null)
        {
            return [];
        }

        var list = new List<string>(array.Count);
        for (var i = 0; i < array.Count; i++)
        {
            var text = ScalarText(array[i]);
            if (string.IsNullOrWhiteSpace(text))
            {
                Error($"{Join(path, key)}[{i}]", "must be a non-empty string", Map.LineOf(array[i]) ?? LineOf(owner, key));
                continue;
            }

            list.Add(text);
        }

        return list;
    }

    public IReadOnlyDictionary<string, string> StringMap(JsonObject owner, string key, string path)
    {
        var obj = Object(owner, key, path, required: false);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (obj is null)
        {
            return result;
        }

        foreach (var (k, v) in obj)
        {
            var text = v is null ? "" : ScalarText(v);
            if (text is null)
            {
                Error(Join(Join(path, key), k), "must be a string", LineOf(obj, k));
                continue;
            }

            result[k] = text;
        }

        return result;
    }
}
