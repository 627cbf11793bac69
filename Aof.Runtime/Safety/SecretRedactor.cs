using System.Collections;
using System.Text.RegularExpressions;

namespace Aof.Runtime.Safety;

/// <summary>
/// Removes secrets from text bound for execution records, logs and replies: the values of secret-looking
/// environment variables (…KEY, …TOKEN, …SECRET, …PASSWORD) and well-known token shapes (GitHub, OpenAI,
/// Anthropic, Slack, AWS keys, bearer headers), wherever they came from (a tool's output, a model's answer).
/// </summary>
public sealed partial class SecretRedactor
{
    public const string Mask = "[REDACTED]";

    // Short values would mask ordinary words; real secrets are longer.
    private const int MinSecretLength = 8;

    private readonly string[] _values;

    public SecretRedactor(IEnumerable<string> secretValues)
    {
        _values = secretValues
            .Where(v => !string.IsNullOrWhiteSpace(v) && v.Length >= MinSecretLength)
            .Distinct(StringComparer.Ordinal)
            .OrderByDescending(v => v.Length) // longest first, so a secret containing another is masked whole
            .ToArray();
    }

    /// <summary>Secrets are the values of the process environment's secret-looking variables.</summary>
    public static SecretRedactor FromEnvironment() => new(SecretValues(Environment.GetEnvironmentVariables()));

    public static SecretRedactor None { get; } = new([]);

    public static IEnumerable<string> SecretValues(IDictionary variables)
    {
        foreach (DictionaryEntry e in variables)
            if (e.Key is string name && IsSecretName(name) && e.Value is string value)
                yield return value;
    }

    public static bool IsSecretName(string name)
    {
        var upper = name.ToUpperInvariant();
        return upper.EndsWith("KEY", StringComparison.Ordinal) || upper.Contains("TOKEN", StringComparison.Ordinal)
            || upper.Contains("SECRET", StringComparison.Ordinal) || upper.Contains("PASSWORD", StringComparison.Ordinal)
            || upper.Contains("CREDENTIAL", StringComparison.Ordinal);
    }

    public string Redact(string text)
    {
        if (string.IsNullOrEmpty(text)) return text;
        foreach (var v in _values)
            if (text.Contains(v, StringComparison.Ordinal)) text = text.Replace(v, Mask, StringComparison.Ordinal);
        return TokenShapes().Replace(text, m => m.Groups["prefix"].Success ? m.Groups["prefix"].Value + Mask : Mask);
    }

    public string? RedactOrNull(string? text) => text is null ? null : Redact(text);

    [GeneratedRegex(
        @"(?<prefix>(?i:authorization:\s*(?:bearer|token|basic)\s+|bearer\s+))[A-Za-z0-9\-._~+/=]{8,}" +
        @"|\bgh[pousr]_[A-Za-z0-9]{20,}\b|\bgithub_pat_[A-Za-z0-9_]{20,}\b" +
        @"|\bsk-(?:ant-|proj-)?[A-Za-z0-9_\-]{16,}\b|\bxox[abposr]-[A-Za-z0-9\-]{10,}\b|\bAKIA[0-9A-Z]{16}\b" +
        @"|\bAIza[0-9A-Za-z_\-]{30,}\b",
        RegexOptions.CultureInvariant)]
    private static partial Regex TokenShapes();
}
