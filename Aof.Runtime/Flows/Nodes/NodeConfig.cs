using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Aof.Core.Queue;
using Aof.Runtime.Execution;

namespace Aof.Runtime.Flows.Nodes;

/// <summary>
/// Typed reads of a node's <c>config</c>. YAML scalars may arrive as JSON strings ("60", "true"), so numbers
/// and booleans accept both forms. A value of the wrong shape is a definition error (never retried).
/// </summary>
internal static class NodeConfig
{
    public static string? GetString(JsonObject config, string key) => config[key] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v => v.ToJsonString(),
        _ => throw Invalid(key, "a string"),
    };

    public static int GetInt(JsonObject config, string key, int fallback)
    {
        var node = config[key];
        if (node is null) return fallback;
        // A number node may hold an int, a long (the YAML loader's integers) or a JsonElement: read its text.
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number
            && int.TryParse(v.ToJsonString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var i)) return i;
        if (node is JsonValue s && s.GetValueKind() == JsonValueKind.String
            && int.TryParse(s.GetValue<string>(), NumberStyles.Integer, CultureInfo.InvariantCulture, out i)) return i;
        throw Invalid(key, "an integer");
    }

    public static bool GetBool(JsonObject config, string key, bool fallback)
    {
        var node = config[key];
        if (node is null) return fallback;
        switch (node.GetValueKind())
        {
            case JsonValueKind.True: return true;
            case JsonValueKind.False: return false;
            case JsonValueKind.String when bool.TryParse(node.GetValue<string>(), out var b): return b;
            default: throw Invalid(key, "true or false");
        }
    }

    public static JsonObject? GetObject(JsonObject config, string key) => config[key] switch
    {
        null => null,
        JsonObject o => o,
        _ => throw Invalid(key, "a map"),
    };

    /// <summary>
    /// <c>config.{key}</c> (a template) when set, else the environment variable <paramref name="variable"/>; neither is
    /// a definition error naming both ("no {what}: set config.{key} or {variable}").
    /// </summary>
    public static string SettingOrVariable(JsonObject config, FlowContext context, string key, string variable, string what)
    {
        var value = GetString(config, key) is { Length: > 0 } v ? context.RenderText(v) : Environment.GetEnvironmentVariable(variable);
        return string.IsNullOrEmpty(value)
            ? throw new PermanentExecutionException(DeadLetterReasons.PermanentFailure, $"no {what}: set config.{key} or {variable}")
            : value;
    }

    public static PermanentExecutionException Invalid(string key, string expected) =>
        new(DeadLetterReasons.PermanentFailure, $"config.{key} must be {expected}");

    public static PermanentExecutionException Missing(string what) =>
        new(DeadLetterReasons.PermanentFailure, $"{what} is required");
}
