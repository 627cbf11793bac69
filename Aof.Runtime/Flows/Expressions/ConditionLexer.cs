using System.Globalization;
using System.Text;

namespace Aof.Runtime.Flows.Expressions;

internal enum TokenKind
{
    String,
    Number,
    True,
    False,
    Null,
    Reference,
    /// <summary>A reference written <c>${...}</c>.</summary>
    Template,
    LParen,
    RParen,
    Not,
    And,
    Or,
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    End,
}

internal readonly record struct Token(TokenKind Kind, string Text, int Position, double Number = 0);

/// <summary>Splits a condition into tokens. Strings are quoted with ' or " (backslash escapes the quote and itself).</summary>
internal static class ConditionLexer
{
    public static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (true)
        {
            while (i < text.Length && char.IsWhiteSpace(text[i])) i++;
            if (i >= text.Length) { tokens.Add(new Token(TokenKind.End, "", i)); return tokens; }

            var c = text[i];
            var start = i;
            switch (c)
            {
                case '(': tokens.Add(new Token(TokenKind.LParen, "(", i++)); continue;
                case ')': tokens.Add(new Token(TokenKind.RParen, ")", i++)); continue;
                case '\'' or '"': tokens.Add(ReadString(text, ref i)); continue;
            }

            if (Two(text, i, "&&")) { tokens.Add(new Token(TokenKind.And, "&&", i)); i += 2; continue; }
            if (Two(text, i, "||")) { tokens.Add(new Token(TokenKind.Or, "||", i)); i += 2; continue; }
            if (Two(text, i, "==")) { tokens.Add(new Token(TokenKind.Eq, "==", i)); i += 2; continue; }
            if (Two(text, i, "!=")) { tokens.Add(new Token(TokenKind.Ne, "!=", i)); i += 2; continue; }
            if (Two(text, i, ">=")) { tokens.Add(new Token(TokenKind.Ge, ">=", i)); i += 2; continue; }
            if (Two(text, i, "<=")) { tokens.Add(new Token(TokenKind.Le, "<=", i)); i += 2; continue; }
            if (c == '>') { tokens.Add(new Token(TokenKind.Gt, ">", i++)); continue; }
            if (c == '<') { tokens.Add(new Token(TokenKind.Lt, "<", i++)); continue; }
            if (c == '!') { tokens.Add(new Token(TokenKind.Not, "!", i++)); continue; }

            if (Two(text, i, "${"))
            {
                var close = text.IndexOf('}', i + 2);
                if (close < 0) throw Error(text, i, "unterminated '${'");
                tokens.Add(new Token(TokenKind.Template, text[(i + 2)..close].Trim(), i));
                i = close + 1;
                continue;
            }

            if (char.IsAsciiDigit(c) || (c == '-' && i + 1 < text.Length && char.IsAsciiDigit(text[i + 1])))
            {
                i++;
                while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] is '.' or 'e' or 'E' or '+' or '-')) i++;
                var raw = text[start..i];
                if (!double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
                    throw Error(text, start, $"bad number '{raw}'");
                tokens.Add(new Token(TokenKind.Number, raw, start, d));
                continue;
            }

            if (char.IsAsciiLetter(c) || c == '_')
            {
                while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] is '_' or '-' or '.' or '[' or ']')) i++;
                var word = text[start..i];
                tokens.Add(word switch
                {
                    "true" => new Token(TokenKind.True, word, start),
                    "false" => new Token(TokenKind.False, word, start),
                    "null" => new Token(TokenKind.Null, word, start),
                    _ => new Token(TokenKind.Reference, word, start),
                });
                continue;
            }

            throw Error(text, i, $"unexpected character '{c}'");
        }
    }

    private static Token ReadString(string text, ref int i)
    {
        var quote = text[i];
        var start = i++;
        var sb = new StringBuilder();
        while (i < text.Length && text[i] != quote)
        {
            if (text[i] == '\\' && i + 1 < text.Length) i++;
            sb.Append(text[i++]);
        }
        if (i >= text.Length) throw Error(text, start, "unterminated string");
        i++;
        return new Token(TokenKind.String, sb.ToString(), start);
    }

    private static bool Two(string text, int i, string op) =>
        i + 1 < text.Length && text[i] == op[0] && text[i + 1] == op[1];

    internal static ExpressionException Error(string text, int position, string message) =>
        new($"syntax error in condition \"{text}\" at position {position + 1}: {message}");
}
