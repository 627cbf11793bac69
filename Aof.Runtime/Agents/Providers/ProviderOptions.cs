namespace Aof.Runtime.Agents.Providers;

/// <summary>
/// Where each provider is and which key it uses, read from the environment variables AOF uses
/// (OPENAI_API_KEY, OPENAI_BASE_URL, ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL, OLLAMA_HOST, GOOGLE_API_KEY /
/// GEMINI_API_KEY, GOOGLE_BASE_URL), plus how transient provider errors are retried inside a step.
/// </summary>
public sealed class ProviderOptions
{
    public const string DefaultOpenAIUrl = "https://api.openai.com/v1";
    public const string DefaultAnthropicUrl = "https://api.anthropic.com";
    public const string DefaultOllamaUrl = "http://localhost:11434";
    public const string DefaultGoogleUrl = "https://generativelanguage.googleapis.com/v1beta/openai/";

    /// <summary>Environment lookup; tests pass their own.</summary>
    public Func<string, string?> Environment { get; init; } = System.Environment.GetEnvironmentVariable;

    /// <summary>Retries of a 429 / 5xx / network failure inside the step, before the message's own retry policy.</summary>
    public int MaxRetries { get; init; } = 3;
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromMilliseconds(500);
    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>A Retry-After longer than this is not waited for inside the step: the message is retried later instead.</summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Per-request timeout of a provider call.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(5);

    public ProviderEndpoint Resolve(string provider) => provider switch
    {
        ModelProviders.OpenAI => new(provider, Url("OPENAI_BASE_URL", "OPENAI_API_BASE") ?? DefaultOpenAIUrl, Key("OPENAI_API_KEY"), "OPENAI_API_KEY"),
        ModelProviders.Anthropic => new(provider, Url("ANTHROPIC_BASE_URL") ?? DefaultAnthropicUrl, Key("ANTHROPIC_API_KEY"), "ANTHROPIC_API_KEY"),
        ModelProviders.Ollama => new(provider, OllamaUrl(), null, null),
        ModelProviders.Google => new(provider, Url("GOOGLE_BASE_URL", "GEMINI_BASE_URL") ?? DefaultGoogleUrl, Key("GOOGLE_API_KEY") ?? Key("GEMINI_API_KEY"), "GOOGLE_API_KEY"),
        _ => throw new ArgumentOutOfRangeException(nameof(provider), provider, "unknown provider"),
    };

    private string? Key(string name) => Environment(name) is { Length: > 0 } v ? v.Trim() : null;

    private string? Url(params string[] names) =>
        names.Select(Environment).FirstOrDefault(v => !string.IsNullOrWhiteSpace(v))?.Trim();

    // OLLAMA_HOST is often written without a scheme ("127.0.0.1:11434"), as the ollama CLI accepts it.
    private string OllamaUrl()
    {
        var host = Url("OLLAMA_HOST");
        if (host is null) return DefaultOllamaUrl;
        return host.Contains("://", StringComparison.Ordinal) ? host : "http://" + host;
    }
}

/// <summary>A provider's base URL and key; <see cref="KeyVariable"/> names the variable to set when the key is missing.</summary>
public sealed record ProviderEndpoint(string Provider, string BaseUrl, string? ApiKey, string? KeyVariable);
