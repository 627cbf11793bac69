using System.ClientModel;
using System.ClientModel.Primitives;
using System.Collections.Concurrent;
using Anthropic;
using Microsoft.Extensions.AI;
using OllamaSharp;
using OpenAI;

namespace Aof.Runtime.Agents.Providers;

/// <summary>
/// Makes the Microsoft.Extensions.AI <see cref="IChatClient"/> for an agent's provider and model. Every provider's
/// HTTP goes through one <see cref="ProviderRetryHandler"/> (the SDKs' own retries are off). A provider that needs a
/// key and has none fails with <see cref="ProviderAuthException"/> before any request: no retry can fix that.
/// </summary>
public sealed class ChatClientFactory(ProviderOptions options) : IDisposable
{
    private readonly ConcurrentDictionary<string, HttpClient> _http = new(StringComparer.Ordinal);

    public ProviderOptions Options => options;

    public IChatClient Create(AgentDefinition agent)
    {
        var endpoint = options.Resolve(agent.Provider);
        if (endpoint.KeyVariable is not null && endpoint.ApiKey is null)
            throw new ProviderAuthException($"agent '{agent.Name}' uses {agent.Provider}:{agent.Model} but no API key is configured: set {endpoint.KeyVariable}");

        var http = _http.GetOrAdd(endpoint.Provider, p => new HttpClient(new ProviderRetryHandler(p, options) { InnerHandler = new SocketsHttpHandler() })
        {
            // Per-try timeouts are the SDKs'; this bounds one whole call including in-step retries.
            Timeout = Timeout.InfiniteTimeSpan,
        });

        return agent.Provider switch
        {
            ModelProviders.Anthropic => CreateAnthropic(endpoint, http, agent),
            ModelProviders.Ollama => CreateOllama(endpoint, http, agent),
            _ => CreateOpenAICompatible(endpoint, http, agent), // openai, and google through its OpenAI-compatible endpoint
        };
    }

    private IChatClient CreateOpenAICompatible(ProviderEndpoint endpoint, HttpClient http, AgentDefinition agent)
    {
        var clientOptions = new OpenAIClientOptions
        {
            Endpoint = new Uri(endpoint.BaseUrl),
            Transport = new HttpClientPipelineTransport(http),
            RetryPolicy = new ClientRetryPolicy(0),
            NetworkTimeout = options.RequestTimeout,
        };
        return new OpenAI.Chat.ChatClient(agent.Model, new ApiKeyCredential(endpoint.ApiKey!), clientOptions).AsIChatClient();
    }

    private IChatClient CreateAnthropic(ProviderEndpoint endpoint, HttpClient http, AgentDefinition agent)
    {
        var client = new AnthropicClient
        {
            ApiKey = endpoint.ApiKey!,
            BaseUrl = endpoint.BaseUrl.TrimEnd('/'),
            HttpClient = http,
            MaxRetries = 0,
            Timeout = options.RequestTimeout,
        };
        return client.AsIChatClient(agent.Model, agent.MaxTokens ?? 4096);
    }

    private static IChatClient CreateOllama(ProviderEndpoint endpoint, HttpClient http, AgentDefinition agent)
    {
        var ollamaHttp = new HttpClient(new PassThroughHandler(http), disposeHandler: true) { BaseAddress = new Uri(endpoint.BaseUrl), Timeout = Timeout.InfiniteTimeSpan };
        return new OllamaApiClient(ollamaHttp, agent.Model);
    }

    public void Dispose()
    {
        foreach (var h in _http.Values) h.Dispose();
        _http.Clear();
    }

    /// <summary>OllamaSharp needs its own HttpClient (it sets BaseAddress); this one sends through the shared, retrying one.</summary>
    private sealed class PassThroughHandler(HttpClient shared) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct) =>
            shared.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
    }
}
