using System.Text.Json.Nodes;

namespace Aof.Runtime.Flows.Expressions;

/// <summary>
/// A dotted reference such as <c>event.payload.pull_request.labels[0].name</c> or <c>check-status.output</c>:
/// a root name and the segments after it (property names, or array indexes written <c>[n]</c>).
/// </summary>
public sealed class ReferencePath
{
    private ReferencePath(string text, string root, IReadOnlyList<PathSegment> segments)
    {
        Text = text;
        Root = root;
        Segments = segments;
    }

    public string Text { get; }
    public string Root { get; }
    public IReadOnlyList<PathSegment> Segments { get; }

    /// <summary>Parses a reference; false for anything that is not one (so <c>${HOME:-x}</c> in a shell command is left alone).</summary>
    public static bool TryParse(string text, out ReferencePath path)
    {
        path = null!;
        var s = text.Trim();
        var i = 0;
        if (!TryReadName(s, ref i, out var root)) return false;

        var segments = new List<PathSegment>();
        while (i < s.Length)
        {
            if (s[i] == '.')
            {
                i++;
                if (!TryReadName(s, ref i, out var name)) return false;
                segments.Add(PathSegment.Property(name));
            }
            else if (s[i] == '[')
            {
                var close = s.IndexOf(']', i);
                if (close < 0 || !int.TryParse(s.AsSpan(i + 1, close - i - 1), out var index) || index < 0) return false;
                segments.Add(PathSegment.Index(index));
                i = close + 1;
            }
            else return false;
        }
        path = new ReferencePath(s, root, segments);
        return true;
    }

    /// <summary>Names: letters, digits, '_' and '-' (node ids like <c>check-status</c>), not starting with a digit or '-'.</summary>
    private static bool TryReadName(string s, ref int i, out string name)
    {
        var start = i;
        if (i >= s.Length || !(char.IsAsciiLetter(s[i]) || s[i] == '_')) { name = ""; return false; }
        while (i < s.Length && (char.IsAsciiLetterOrDigit(s[i]) || s[i] is '_' or '-')) i++;
        name = s[start..i];
        return true;
    }

    /// <summary>Follows <paramref name="segments"/> from <paramref name="node"/>; null when any step is missing.</summary>
    public static JsonNode? Navigate(JsonNode? node, IEnumerable<PathSegment> segments)
    {
        foreach (var seg in segments)
        {
            node = (node, seg.Name) switch
            {
                (JsonObject o, { } name) => o.TryGetPropertyValue(name, out var v) ? v : null,
                (JsonArray a, null) => seg.Position < a.Count ? a[seg.Position] : null,
                _ => null,
            };
            if (node is null) return null;
        }
        return node;
    }

    public override string ToString() => Text;
}

/// <summary>One step of a <see cref="ReferencePath"/>: a property <see cref="Name"/>, or an array <see cref="Position"/> when Name is null.</summary>
public readonly record struct PathSegment(string? Name, int Position)
{
    public static PathSegment Property(string name) => new(name, 0);
    public static PathSegment Index(int position) => new(null, position);
}
