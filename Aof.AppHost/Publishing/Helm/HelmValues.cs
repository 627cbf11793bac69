using Aof.AppHost.Publishing.Kubernetes;

namespace Aof.AppHost.Publishing.Helm;

/// <summary>
/// The settings of the Kubernetes objects as references into values.yaml: each one declares its path with the
/// model's value as the default and stands in the written YAML as a token that <see cref="Render"/> turns into
/// the template expression.
/// </summary>
public sealed class HelmValues : ValueSource
{
    private readonly Dictionary<string, object> _tree = new(StringComparer.Ordinal);
    private readonly List<string> _expressions = [];

    public override string Namespace => Token("{{ .Release.Namespace }}");

    /// <summary>values.yaml as a tree, in the order the paths were declared.</summary>
    public Dictionary<string, object> Tree => _tree;

    public override object Value(string path, object value)
    {
        Declare(path, value);
        return Token(value is string ? $"{{{{ .Values.{path} | quote }}}}" : $"{{{{ .Values.{path} }}}}");
    }

    public override object Computed(string template, object literal, params (string Path, object Value)[] declares)
    {
        foreach (var (path, value) in declares) Declare(path, value);
        return Token(template);
    }

    /// <summary>Declares a value the templates read (a condition, say) with its default.</summary>
    public void Declare(string path, object value)
    {
        var parts = path.Split('.');
        var node = _tree;
        foreach (var part in parts[..^1])
        {
            if (!node.TryGetValue(part, out var child))
            {
                child = new Dictionary<string, object>(StringComparer.Ordinal);
                node[part] = child;
            }
            node = child as Dictionary<string, object>
                   ?? throw new PublishingException($"helm value '{path}' is declared both as a value and as a section");
        }
        node.TryAdd(parts[^1], value);
    }

    /// <summary>Replaces the tokens of written YAML by their template expressions.</summary>
    public string Render(string yaml)
    {
        // Longest index first, so "HELM1X" never matches inside "HELM12X" (the X ends every token anyway).
        for (var i = _expressions.Count - 1; i >= 0; i--) yaml = yaml.Replace(TokenText(i), _expressions[i], StringComparison.Ordinal);
        return yaml;
    }

    private string Token(string expression)
    {
        _expressions.Add(expression);
        return TokenText(_expressions.Count - 1);
    }

    private static string TokenText(int index) => $"HELM{index}X";
}
