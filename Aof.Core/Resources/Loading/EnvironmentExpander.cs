using System.Text;
using System.Text.RegularExpressions;

namespace Aof.Core.Resources.Loading;

/// <summary>The outcome of expanding one scalar: its text, and the variables that were unset or empty.</summary>
public sealed record ExpandedText(string Value, IReadOnlyList<string> EmptyVariables)
{
    public bool UsedEmptyVariable => EmptyVariables.Count > 0;
}

/// <summary>
/// Expands <c>${NAME}</c> and <c>${NAME:-default}</c> (default when unset or empty, as in the shell).
/// Only identifier names are expanded, so flow templates such as <c>${event.text}</c> or
/// <c>${node-id.output}</c> and plain shell variables (<c>$NAME</c>) pass through untouched;
/// <c>$${</c> writes a literal <c>${</c>.
/// </summary>
public static partial class EnvironmentExpander
{
    [GeneratedRegex(@"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}", RegexOptions.CultureInvariant)]
    private static partial Regex Reference();

    public static Func<string, string?> ProcessEnvironment { get; } = Environment.GetEnvironmentVariable;

    public static ExpandedText Expand(string text, Func<string, string?> env)
    {
        if (!text.Contains("${", StringComparison.Ordinal))
        {
            return new ExpandedText(text, []);
        }

        List<string>? empty = null;
        var result = new StringBuilder(text.Length);
        var last = 0;
        foreach (Match m in Reference().Matches(text))
        {
            result.Append(text, last, m.Index - last);
            last = m.Index + m.Length;
            if (!m.Groups[1].Success)
            {
                result.Append("${"); // the $${ escape
                continue;
            }

            var name = m.Groups[1].Value;
            var value = env(name);
            if (string.IsNullOrEmpty(value))
            {
                value = m.Groups[2].Success ? m.Groups[2].Value : "";
                if (value.Length == 0)
                {
                    (empty ??= []).Add(name);
                }
            }

            result.Append(value);
        }

        result.Append(text, last, text.Length - last);
        return new ExpandedText(result.ToString(), empty ?? (IReadOnlyList<string>)[]);
    }
}
