using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Aof.Runtime.Flows.Expressions;

/// <summary>The value rules conditions and templates share: text form, truthiness, equality and ordering.</summary>
public static class JsonValues
{
    // Spliced JSON is read by people and shells, not embedded in HTML: keep quotes and non-ASCII as they are.
    private static readonly JsonSerializerOptions TextJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Text used when a value is spliced into a string: strings raw, null empty, everything else as JSON.</summary>
    public static string ToText(JsonNode? node) => node switch
    {
        null => "",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => node.ToJsonString(TextJson),
    };

    /// <summary>null, false, 0, "", "false", empty arrays and objects are false; everything else true.</summary>
    public static bool IsTruthy(JsonNode? node) => node switch
    {
        null => false,
        JsonArray a => a.Count > 0,
        JsonObject o => o.Count > 0,
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False or JsonValueKind.Null => false,
            JsonValueKind.Number => TryNumber(v, out var d) && d != 0,
            JsonValueKind.String => v.GetValue<string>() is { Length: > 0 } s && !s.Equals("false", StringComparison.OrdinalIgnoreCase),
            _ => true,
        },
        _ => true,
    };

    public static bool AreEqual(JsonNode? a, JsonNode? b)
    {
        var ka = KindOf(a);
        var kb = KindOf(b);
        if (ka == JsonValueKind.Null || kb == JsonValueKind.Null) return ka == kb;
        if (ka == kb)
        {
            return ka switch
            {
                JsonValueKind.Number => Number(a!) == Number(b!),
                JsonValueKind.String => a!.GetValue<string>() == b!.GetValue<string>(),
                JsonValueKind.True or JsonValueKind.False => true,
                _ => JsonNode.DeepEquals(a, b),
            };
        }
        // Mixed kinds: script output and templates produce text, so "3" == 3 and "true" == true hold.
        if (ka == JsonValueKind.String) return TextEqualsScalar(a!.GetValue<string>(), b!, kb);
        if (kb == JsonValueKind.String) return TextEqualsScalar(b!.GetValue<string>(), a!, ka);
        return false;
    }

    /// <summary>Orders two numbers (or numeric strings) or two strings; anything else is an error.</summary>
    public static int Compare(JsonNode? a, JsonNode? b, string op)
    {
        var ka = KindOf(a);
        var kb = KindOf(b);
        if (AsNumber(a, ka) is { } x && AsNumber(b, kb) is { } y) return x.CompareTo(y);
        if (ka == JsonValueKind.String && kb == JsonValueKind.String)
            return string.CompareOrdinal(a!.GetValue<string>(), b!.GetValue<string>());
        throw new ExpressionException($"cannot compare {Describe(ka)} with {Describe(kb)} using '{op}'");
    }

    public static JsonValueKind KindOf(JsonNode? node) => node?.GetValueKind() ?? JsonValueKind.Null;

    private static bool TextEqualsScalar(string text, JsonNode other, JsonValueKind kind) => kind switch
    {
        JsonValueKind.Number => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d == Number(other),
        JsonValueKind.True => text.Equals("true", StringComparison.OrdinalIgnoreCase),
        JsonValueKind.False => text.Equals("false", StringComparison.OrdinalIgnoreCase),
        _ => false,
    };

    private static double? AsNumber(JsonNode? node, JsonValueKind kind) => kind switch
    {
        JsonValueKind.Number => Number(node!),
        JsonValueKind.String when double.TryParse(node!.GetValue<string>(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
        _ => null,
    };

    private static double Number(JsonNode node) =>
        TryNumber(node.AsValue(), out var d) ? d : throw new ExpressionException($"'{node.ToJsonString()}' is not a number");

    private static bool TryNumber(JsonValue v, out double d)
    {
        if (v.TryGetValue(out d)) return true;
        if (v.TryGetValue(out JsonElement e) && e.ValueKind == JsonValueKind.Number) return e.TryGetDouble(out d);
        return double.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out d);
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Null or JsonValueKind.Undefined => "null",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Number => "a number",
        JsonValueKind.String => "a non-numeric string",
        JsonValueKind.Array => "an array",
        _ => "an object",
    };
}
