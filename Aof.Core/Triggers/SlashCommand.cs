namespace Aof.Core.Triggers;

/// <summary>A <c>/command args</c> at the start of a comment's first line.</summary>
public sealed record SlashCommand(string Command, string? Args)
{
    public static SlashCommand? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var newline = text.IndexOf('\n');
        var line = (newline < 0 ? text : text[..newline]).Trim();
        if (!line.StartsWith('/'))
        {
            return null;
        }

        var space = line.IndexOfAny([' ', '\t']);
        if (space < 0)
        {
            return line.Length > 1 ? new SlashCommand(line, null) : null;
        }

        var args = line[(space + 1)..].Trim();
        return new SlashCommand(line[..space], args.Length == 0 ? null : args);
    }
}
