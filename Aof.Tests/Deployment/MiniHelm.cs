using System.Text;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Aof.Tests.Deployment;

/// <summary>
/// Renders the chart's templates the way `helm template` does, for the subset of Go templates the Helm publisher
/// writes (no helm binary here): <c>{{- if COND }}..{{- end }}</c> with and/not/eq, <c>{{ .Values.x }}</c>,
/// <c>| quote</c>, <c>toJson</c>, <c>{{ with .Values.x }}{{ . }}/{{ end }}</c> and <c>.Release.Namespace</c>. Anything else throws,
/// so a template the publisher starts writing differently fails here rather than being misread.
/// </summary>
public sealed partial class MiniHelm(YamlMappingNode values, string releaseNamespace)
{
    public string Render(string template)
    {
        // "{{-" trims the whitespace before it, as Go templates do.
        template = TrimLeft().Replace(template, "{{");
        var output = new StringBuilder();
        var pos = 0;
        var skipping = new Stack<bool>();
        bool Active() => skipping.All(s => !s);
        while (pos < template.Length)
        {
            var open = template.IndexOf("{{", pos, StringComparison.Ordinal);
            if (open < 0)
            {
                if (Active()) output.Append(template, pos, template.Length - pos);
                break;
            }
            if (Active()) output.Append(template, pos, open - pos);
            var close = template.IndexOf("}}", open, StringComparison.Ordinal);
            var action = template[(open + 2)..close].Trim();
            pos = close + 2;
            if (action.StartsWith("if ", StringComparison.Ordinal)) skipping.Push(!Truthy(Eval(action[3..].Trim())));
            else if (action.StartsWith("with ", StringComparison.Ordinal))
            {
                var value = Eval(action[5..].Trim());
                var end = template.IndexOf("{{ end }}", pos, StringComparison.Ordinal);
                var body = template[pos..end];
                if (Active() && Truthy(value)) output.Append(body.Replace("{{ . }}", Text(value), StringComparison.Ordinal));
                pos = end + "{{ end }}".Length;
            }
            else if (action == "end") skipping.Pop();
            else if (Active())
            {
                var parts = action.Split('|', StringSplitOptions.TrimEntries);
                var value = Text(Eval(parts[0]));
                if (parts.Length == 2 && parts[1] == "quote") value = "\"" + value.Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
                else if (parts.Length > 1) throw new NotSupportedException($"pipeline '{action}'");
                output.Append(value);
            }
        }
        if (skipping.Count != 0) throw new InvalidOperationException("an if without its end");
        return output.ToString();
    }

    private object? Eval(string expression)
    {
        var tokens = Token().Matches(expression).Select(m => m.Value).ToList();
        var i = 0;
        var result = Command(tokens, ref i);
        if (i != tokens.Count) throw new NotSupportedException($"expression '{expression}'");
        return result;
    }

    private object? Command(List<string> tokens, ref int i)
    {
        var head = tokens[i++];
        if (head == "toJson") return Json(Argument(tokens, ref i, head));
        if (head is "and" or "not" or "eq")
        {
            var args = new List<object?>();
            while (i < tokens.Count && tokens[i] != ")") args.Add(Argument(tokens, ref i, head));
            return head switch
            {
                "and" => args.All(Truthy),
                "not" => !Truthy(Assert.Single(args)),
                _ => Text(args[0]) == Text(args[1]),
            };
        }
        i--;
        return Argument(tokens, ref i, null);
    }

    private object? Argument(List<string> tokens, ref int i, string? function)
    {
        var token = tokens[i++];
        if (token == "(")
        {
            var value = Command(tokens, ref i);
            if (tokens[i++] != ")") throw new NotSupportedException("unbalanced parentheses");
            return value;
        }
        if (token.StartsWith('"')) return token[1..^1];
        if (token == ".Release.Namespace") return releaseNamespace;
        if (token.StartsWith(".Values.", StringComparison.Ordinal)) return Lookup(token[".Values.".Length..]);
        throw new NotSupportedException($"token '{token}' in {function ?? "a value"}");
    }

    private object? Lookup(string path)
    {
        YamlNode node = values;
        foreach (var part in path.Split('.'))
        {
            if (node is not YamlMappingNode map || !map.Children.TryGetValue(new YamlScalarNode(part), out var child))
                throw new KeyNotFoundException($".Values.{path} is not defined");
            node = child;
        }
        if (node is not YamlScalarNode scalar) return node;
        // values.yaml is YAML: unquoted true/false and numbers are not strings.
        if (scalar.Style == YamlDotNet.Core.ScalarStyle.Plain && scalar.Value is "true" or "false") return scalar.Value == "true";
        return scalar.Value ?? "";
    }

    private static string Json(object? value) => value switch
    {
        YamlMappingNode map => "{" + string.Join(",", map.Children.Select(c =>
            System.Text.Json.JsonSerializer.Serialize(c.Key.ToString()) + ":" + Json(c.Value))) + "}",
        YamlScalarNode scalar => System.Text.Json.JsonSerializer.Serialize(scalar.Value ?? ""),
        _ => throw new NotSupportedException($"toJson of {value?.GetType().Name}"),
    };

    private static bool Truthy(object? value) => value switch
    {
        null => false,
        bool b => b,
        string s => s.Length > 0,
        _ => true,
    };

    private static string Text(object? value) => value switch
    {
        bool b => b ? "true" : "false",
        _ => value?.ToString() ?? "",
    };

    /// <summary>Sets <c>a.b.c</c> in a values tree (like <c>--set</c>).</summary>
    public static void Set(YamlMappingNode root, string path, string value)
    {
        var parts = path.Split('.');
        var node = root;
        foreach (var part in parts[..^1]) node = (YamlMappingNode)node[part];
        node.Children[new YamlScalarNode(parts[^1])] = new YamlScalarNode(value) { Style = YamlDotNet.Core.ScalarStyle.Plain }; // as --set: true/false are booleans
    }

    [GeneratedRegex(@"\s*\{\{-")]
    private static partial Regex TrimLeft();

    [GeneratedRegex(@"""[^""]*""|\(|\)|[^\s()]+")]
    private static partial Regex Token();
}
