using System.Text;

namespace Aof.Runtime.Agents.Tools;

/// <summary>
/// Splits a command line into arguments the way a user reads it (spaces separate, single or double quotes group,
/// backslash escapes in double quotes), and nothing more: no variables, globs, pipes, redirections or command
/// substitution. The process is then started with the argument list directly, never through a shell.
/// </summary>
public static class ArgumentSplitter
{
    public static IReadOnlyList<string> Split(string commandLine)
    {
        var args = new List<string>();
        var current = new StringBuilder();
        var inToken = false;
        char? quote = null;
        for (var i = 0; i < commandLine.Length; i++)
        {
            var c = commandLine[i];
            if (quote is { } q)
            {
                if (c == q) quote = null;
                else if (c == '\\' && q == '"' && i + 1 < commandLine.Length && commandLine[i + 1] is '"' or '\\') current.Append(commandLine[++i]);
                else current.Append(c);
                continue;
            }
            if (char.IsWhiteSpace(c))
            {
                if (inToken) { args.Add(current.ToString()); current.Clear(); inToken = false; }
                continue;
            }
            inToken = true;
            if (c is '"' or '\'') quote = c;
            else current.Append(c);
        }
        if (quote is not null) throw new ArgumentException("unbalanced quote in command line");
        if (inToken) args.Add(current.ToString());
        return args;
    }
}
