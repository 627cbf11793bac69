using System.Text;
using System.Text.Json.Nodes;

namespace Aof.Runtime.Flows.Expressions;

/// <summary>
/// Renders <c>${...}</c> references in strings. A string that is exactly one reference yields the referenced JSON
/// value itself; otherwise each reference is spliced in as text (<see cref="JsonValues.ToText"/>). References
/// whose root the scope does not know, and <c>${...}</c> that is not a reference at all, stay as written so shell
/// syntax in Script commands survives; <c>$${</c> writes a literal <c>${</c>.
/// </summary>
public static class TemplateRenderer
{
    public static JsonNode? Render(string template, IReferenceScope scope)
    {
        if (template.StartsWith("${", StringComparison.Ordinal)
            && template.EndsWith('}')
            && template.IndexOf('}') == template.Length - 1
            && ReferencePath.TryParse(template[2..^1], out var only)
            && scope.TryResolve(only, out var value))
        {
            return value?.DeepClone();
        }
        return JsonValue.Create(RenderText(template, scope));
    }

    public static string RenderText(string template, IReferenceScope scope)
    {
        if (!template.Contains("${", StringComparison.Ordinal)) return template;

        var sb = new StringBuilder(template.Length + 32);
        var i = 0;
        while (i < template.Length)
        {
            var open = template.IndexOf("${", i, StringComparison.Ordinal);
            if (open < 0) { sb.Append(template, i, template.Length - i); break; }

            if (open > i && template[open - 1] == '$')
            {
                // "$${" escapes: emit "${" and continue after it.
                sb.Append(template, i, open - 1 - i).Append("${");
                i = open + 2;
                continue;
            }

            sb.Append(template, i, open - i);
            var close = template.IndexOf('}', open + 2);
            if (close < 0) { sb.Append(template, open, template.Length - open); break; }

            var inner = template[(open + 2)..close];
            if (ReferencePath.TryParse(inner, out var path) && scope.TryResolve(path, out var value))
                sb.Append(JsonValues.ToText(value));
            else
                sb.Append(template, open, close + 1 - open);
            i = close + 1;
        }
        return sb.ToString();
    }

    /// <summary>Renders every string inside <paramref name="node"/> (object values and array items; keys are left alone).</summary>
    public static JsonNode? RenderTree(JsonNode? node, IReferenceScope scope) => node switch
    {
        null => null,
        JsonObject o => new JsonObject(o.Select(kv => KeyValuePair.Create(kv.Key, RenderTree(kv.Value, scope)))),
        JsonArray a => new JsonArray(a.Select(item => RenderTree(item, scope)).ToArray()),
        JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.String => Render(v.GetValue<string>(), scope),
        _ => node.DeepClone(),
    };
}
