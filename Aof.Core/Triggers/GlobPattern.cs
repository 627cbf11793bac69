using System.Collections.Concurrent;
using System.Text;
using System.Text.RegularExpressions;

namespace Aof.Core.Triggers;

/// <summary>
/// Path-style globs for trigger filters: <c>*</c> and <c>?</c> stay within one <c>/</c> segment, <c>**</c> crosses
/// segments (<c>release/*</c> matches <c>release/1.0</c> but not <c>release/1.0/hotfix</c>; <c>release/**</c> matches both).
/// </summary>
public static class GlobPattern
{
    private static readonly ConcurrentDictionary<(string Pattern, bool IgnoreCase), Regex> Cache = new();

    public static bool IsMatch(string pattern, string value, bool ignoreCase = false) =>
        Cache.GetOrAdd((pattern, ignoreCase), static key => Compile(key.Pattern, key.IgnoreCase)).IsMatch(value);

    private static Regex Compile(string pattern, bool ignoreCase)
    {
        var regex = new StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '*' && i + 1 < pattern.Length && pattern[i + 1] == '*')
            {
                i++;
                if (i + 1 < pattern.Length && pattern[i + 1] == '/')
                {
                    i++;
                    regex.Append("(?:.*/)?"); // "**/" also matches no directory at all
                }
                else
                {
                    regex.Append(".*");
                }
            }
            else if (c == '*')
            {
                regex.Append("[^/]*");
            }
            else if (c == '?')
            {
                regex.Append("[^/]");
            }
            else
            {
                regex.Append(Regex.Escape(c.ToString()));
            }
        }

        regex.Append('$');
        var options = RegexOptions.CultureInvariant | (ignoreCase ? RegexOptions.IgnoreCase : RegexOptions.None);
        return new Regex(regex.ToString(), options);
    }
}
