using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Aof.Core.Resources.Loading;

/// <summary>A problem found while converting YAML to JSON (a non-scalar key, a duplicate key...).</summary>
internal sealed record ConversionProblem(int Line, string Path, string Message);

/// <summary>
/// Converts a YamlDotNet representation tree to System.Text.Json nodes, expanding <c>${VAR}</c> in every scalar.
/// Plain scalars are typed the YAML 1.2 core way (null, bool, int, float); quoted and block scalars stay strings.
/// </summary>
internal sealed partial class YamlJsonConverter(Func<string, string?> env, SourceMap map)
{
    private const string StrTag = "tag:yaml.org,2002:str";
    private const int MaxNodes = 1_000_000; // aliases can multiply a small file ("billion laughs")

    private int _nodes;

    public List<ConversionProblem> Problems { get; } = [];

    [GeneratedRegex(@"^[-+]?[0-9]+$", RegexOptions.CultureInvariant)]
    private static partial Regex DecimalInt();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Float();

    public JsonNode? Convert(YamlNode node, string path = "")
    {
        if (++_nodes > MaxNodes)
        {
            throw new DocumentTooLargeException($"document expands to more than {MaxNodes} nodes (recursive aliases?)");
        }

        return node switch
        {
            YamlScalarNode scalar => ConvertScalar(scalar),
            YamlSequenceNode sequence => ConvertSequence(sequence, path),
            YamlMappingNode mapping => ConvertMapping(mapping, path),
            _ => null,
        };
    }

    private JsonNode? ConvertScalar(YamlScalarNode scalar)
    {
        var raw = scalar.Value ?? "";
        var expanded = EnvironmentExpander.Expand(raw, env);
        var quoted = scalar.Style is not ScalarStyle.Plain and not ScalarStyle.Any || IsStrTag(scalar.Tag);
        var info = new NodeInfo(Line(scalar), expanded.Value, expanded.EmptyVariables);

        // An expansion that came out empty stays an empty string (not null), so "unset variable" can be reported.
        JsonNode? value = quoted || (expanded.Value.Length == 0 && raw.Length > 0)
            ? JsonValue.Create(expanded.Value)
            : TypePlain(expanded.Value);
        if (value is not null)
        {
            map.Add(value, info);
        }

        _lastScalarInfo = info;
        return value;
    }

    // Lets the mapping record the info of a null value (which has no JsonNode to key on).
    private NodeInfo? _lastScalarInfo;

    private static bool IsStrTag(TagName tag) => !tag.IsEmpty && !tag.IsNonSpecific && tag.Value == StrTag;

    private static JsonNode? TypePlain(string text)
    {
        switch (text)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE":
                return JsonValue.Create(true);
            case "false" or "False" or "FALSE":
                return JsonValue.Create(false);
        }

        if (DecimalInt().IsMatch(text) && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
        {
            return JsonValue.Create(l);
        }

        if (text.StartsWith("0x", StringComparison.Ordinal) && long.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hex))
        {
            return JsonValue.Create(hex);
        }

        if (Float().IsMatch(text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d))
        {
            return JsonValue.Create(d);
        }

        return JsonValue.Create(text);
    }

    private JsonArray ConvertSequence(YamlSequenceNode sequence, string path)
    {
        var array = new JsonArray();
        map.Add(array, new NodeInfo(Line(sequence), null, []));
        var i = 0;
        foreach (var child in sequence.Children)
        {
            array.Add(Convert(child, $"{path}[{i++}]"));
        }

        return array;
    }

    private JsonObject ConvertMapping(YamlMappingNode mapping, string path)
    {
        var obj = new JsonObject();
        map.Add(obj, new NodeInfo(Line(mapping), null, []));
        List<YamlNode>? merges = null;
        foreach (var (keyNode, valueNode) in mapping.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { } key })
            {
                Problems.Add(new ConversionProblem(Line(keyNode), path, "mapping keys must be plain strings"));
                continue;
            }

            if (key == "<<" && keyNode is YamlScalarNode { Style: ScalarStyle.Plain })
            {
                (merges ??= []).Add(valueNode);
                continue;
            }

            var childPath = path.Length == 0 ? key : $"{path}.{key}";
            if (obj.ContainsKey(key))
            {
                Problems.Add(new ConversionProblem(Line(keyNode), childPath, "duplicate key"));
                continue;
            }

            _lastScalarInfo = null;
            var value = Convert(valueNode, childPath);
            obj[key] = value;
            var valueInfo = map.Get(value) ?? _lastScalarInfo ?? new NodeInfo(Line(keyNode), null, []);
            map.AddKey(obj, key, valueInfo with { Line = Line(keyNode) });
        }

        if (merges is not null)
        {
            ApplyMerges(obj, merges, path);
        }

        return obj;
    }

    // YAML merge keys (<<: *base): keys written in the mapping itself win over merged ones.
    private void ApplyMerges(JsonObject obj, List<YamlNode> merges, string path)
    {
        var sources = merges.SelectMany(m => m is YamlSequenceNode seq ? seq.Children : [m]);
        foreach (var source in sources)
        {
            if (Convert(source, path) is not JsonObject merged)
            {
                Problems.Add(new ConversionProblem(Line(source), path, "merge key (<<) must refer to a mapping"));
                continue;
            }

            foreach (var (key, value) in merged.ToList())
            {
                if (obj.ContainsKey(key))
                {
                    continue;
                }

                var info = map.Get(merged, key);
                merged.Remove(key);
                obj[key] = value;
                if (info is not null)
                {
                    map.AddKey(obj, key, info);
                }
            }
        }
    }

    public sealed class DocumentTooLargeException(string message) : Exception(message);

    private static int Line(YamlNode node) => (int)node.Start.Line;
}
