using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace Aof.Runtime.Flows.Expressions;

/// <summary>
/// A parsed condition (connection <c>when</c>, Conditional <c>expression</c>). Grammar, loosest first:
/// <code>
/// or      := and ('||' and)*
/// and     := unary ('&amp;&amp;' unary)*
/// unary   := '!' unary | compare
/// compare := primary (('=='|'!='|'&gt;'|'&lt;'|'&gt;='|'&lt;=') primary)?
/// primary := '(' or ')' | 'string' | "string" | number | true | false | null | ${ref} | ref
/// </code>
/// Deliberately tiny: no function calls, no member invocation, nothing that can reach beyond the JSON values
/// of the flow. A bare value is tested for truthiness by <see cref="IsTrue"/>.
/// </summary>
public sealed class Condition
{
    // Conditions come from loaded resources, so the set is finite; parsing each once keeps the hot path cheap.
    private static readonly ConcurrentDictionary<string, Condition> Cache = new(StringComparer.Ordinal);

    private readonly ConditionExpr _root;

    private Condition(string text, ConditionExpr root)
    {
        Text = text;
        _root = root;
    }

    public string Text { get; }

    /// <summary>Parses (or takes from the cache). Throws <see cref="ExpressionException"/> on a syntax error.</summary>
    public static Condition Parse(string text) =>
        Cache.TryGetValue(text, out var cached)
            ? cached
            : Cache.GetOrAdd(text, t => new Condition(t, new ConditionParser(t).ParseAll()));

    public JsonNode? Evaluate(IReferenceScope scope) => _root.Evaluate(scope);

    public bool IsTrue(IReferenceScope scope) => JsonValues.IsTruthy(Evaluate(scope));

    public override string ToString() => Text;
}

internal abstract record ConditionExpr
{
    public abstract JsonNode? Evaluate(IReferenceScope scope);
}

internal sealed record LiteralExpr(JsonNode? Value) : ConditionExpr
{
    public override JsonNode? Evaluate(IReferenceScope scope) => Value;
}

internal sealed record ReferenceExpr(ReferencePath Path) : ConditionExpr
{
    public override JsonNode? Evaluate(IReferenceScope scope) =>
        scope.TryResolve(Path, out var value) ? value : scope.ResolveBare(Path);
}

internal sealed record NotExpr(ConditionExpr Operand) : ConditionExpr
{
    public override JsonNode? Evaluate(IReferenceScope scope) => JsonValue.Create(!JsonValues.IsTruthy(Operand.Evaluate(scope)));
}

internal sealed record AndExpr(ConditionExpr Left, ConditionExpr Right) : ConditionExpr
{
    public override JsonNode? Evaluate(IReferenceScope scope) =>
        JsonValue.Create(JsonValues.IsTruthy(Left.Evaluate(scope)) && JsonValues.IsTruthy(Right.Evaluate(scope)));
}

internal sealed record OrExpr(ConditionExpr Left, ConditionExpr Right) : ConditionExpr
{
    public override JsonNode? Evaluate(IReferenceScope scope) =>
        JsonValue.Create(JsonValues.IsTruthy(Left.Evaluate(scope)) || JsonValues.IsTruthy(Right.Evaluate(scope)));
}

internal sealed record CompareExpr(TokenKind Op, string OpText, ConditionExpr Left, ConditionExpr Right) : ConditionExpr
{
    public override JsonNode? Evaluate(IReferenceScope scope)
    {
        var a = Left.Evaluate(scope);
        var b = Right.Evaluate(scope);
        var result = Op switch
        {
            TokenKind.Eq => JsonValues.AreEqual(a, b),
            TokenKind.Ne => !JsonValues.AreEqual(a, b),
            TokenKind.Gt => JsonValues.Compare(a, b, OpText) > 0,
            TokenKind.Ge => JsonValues.Compare(a, b, OpText) >= 0,
            TokenKind.Lt => JsonValues.Compare(a, b, OpText) < 0,
            _ => JsonValues.Compare(a, b, OpText) <= 0,
        };
        return JsonValue.Create(result);
    }
}

/// <summary>Recursive descent over the tokens of <see cref="ConditionLexer"/>.</summary>
internal sealed class ConditionParser(string text)
{
    private readonly List<Token> _tokens = ConditionLexer.Tokenize(text);
    private int _pos;

    private Token Current => _tokens[_pos];

    public ConditionExpr ParseAll()
    {
        if (Current.Kind == TokenKind.End) throw ConditionLexer.Error(text, 0, "empty condition");
        var expr = ParseOr();
        if (Current.Kind != TokenKind.End) throw Unexpected();
        return expr;
    }

    private ConditionExpr ParseOr()
    {
        var left = ParseAnd();
        while (Current.Kind == TokenKind.Or)
        {
            _pos++;
            left = new OrExpr(left, ParseAnd());
        }
        return left;
    }

    private ConditionExpr ParseAnd()
    {
        var left = ParseUnary();
        while (Current.Kind == TokenKind.And)
        {
            _pos++;
            left = new AndExpr(left, ParseUnary());
        }
        return left;
    }

    private ConditionExpr ParseUnary()
    {
        if (Current.Kind != TokenKind.Not) return ParseCompare();
        _pos++;
        return new NotExpr(ParseUnary());
    }

    private ConditionExpr ParseCompare()
    {
        var left = ParsePrimary();
        if (!IsComparison(Current.Kind)) return left;
        var op = Current;
        _pos++;
        var right = ParsePrimary();
        if (IsComparison(Current.Kind))
            throw ConditionLexer.Error(text, Current.Position, "comparisons cannot be chained; use && or parentheses");
        return new CompareExpr(op.Kind, op.Text, left, right);
    }

    private ConditionExpr ParsePrimary()
    {
        var t = Current;
        switch (t.Kind)
        {
            case TokenKind.LParen:
                _pos++;
                var inner = ParseOr();
                if (Current.Kind != TokenKind.RParen) throw ConditionLexer.Error(text, Current.Position, "expected ')'");
                _pos++;
                return inner;
            case TokenKind.String: _pos++; return new LiteralExpr(JsonValue.Create(t.Text));
            case TokenKind.Number: _pos++; return new LiteralExpr(JsonValue.Create(t.Number));
            case TokenKind.True: _pos++; return new LiteralExpr(JsonValue.Create(true));
            case TokenKind.False: _pos++; return new LiteralExpr(JsonValue.Create(false));
            case TokenKind.Null: _pos++; return new LiteralExpr(null);
            case TokenKind.Reference or TokenKind.Template:
                if (!ReferencePath.TryParse(t.Text, out var path))
                    throw ConditionLexer.Error(text, t.Position, $"'{t.Text}' is not a valid reference");
                _pos++;
                return new ReferenceExpr(path);
            default:
                throw Unexpected();
        }
    }

    private ExpressionException Unexpected() => Current.Kind == TokenKind.End
        ? ConditionLexer.Error(text, Current.Position, "unexpected end of condition")
        : ConditionLexer.Error(text, Current.Position, $"unexpected '{Current.Text}'");

    private static bool IsComparison(TokenKind k) =>
        k is TokenKind.Eq or TokenKind.Ne or TokenKind.Gt or TokenKind.Ge or TokenKind.Lt or TokenKind.Le;
}
