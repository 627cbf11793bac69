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
    // One retrying handler chain per provider, shared by every HttpClient made on it (connections are pooled there).
    private readonly ConcurrentDictionary<string, HttpMessageHandler> _handlers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, HttpClient> _http = new(StringComparer.Ordinal);

    public ProviderOptions Options => options;

    public IChatClient Create(AgentDefinition agent)
    {
        var endpoint = options.Resolve(agent.Provider);
        if (endpoint.KeyVariable is not null && endpoint.ApiKey is null)
            throw new ProviderAuthException($"agent '{agent.Name}' uses {agent.Provider}:{agent.Model} but no API key is configured: set {endpoint.KeyVariable}");

        var handler = _handlers.GetOrAdd(endpoint.Provider, p => new ProviderRetryHandler(p, options) { InnerHandler = new SocketsHttpHandler() });
        if (agent.Provider == ModelProviders.Ollama) return CreateOllama(endpoint, handler, agent);

        // Per-try timeouts are the SDKs'; the step's own timeout bounds a whole call including in-step retries.
        var http = _http.GetOrAdd(endpoint.Provider, _ => new HttpClient(handler, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan });
        return agent.Provider == ModelProviders.Anthropic
            ? CreateAnthropic(endpoint, http, agent)
            : CreateOpenAICompatible(endpoint, http, agent); // openai, and google through its OpenAI-compatible endpoint
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

    // OllamaSharp addresses requests relative to its HttpClient's BaseAddress, so each client gets its own HttpClient
    // (OLLAMA_HOST may differ between runs in tests), over the shared handler chain.
    private static IChatClient CreateOllama(ProviderEndpoint endpoint, HttpMessageHandler handler, AgentDefinition agent)
    {
        var ollamaHttp = new HttpClient(handler, disposeHandler: false) { BaseAddress = new Uri(endpoint.BaseUrl), Timeout = Timeout.InfiniteTimeSpan };
        return new OllamaApiClient(ollamaHttp, agent.Model);
    }

    public void Dispose()
    {
        foreach (var h in _http.Values) h.Dispose();
        foreach (var h in _handlers.Values) h.Dispose();
        _http.Clear();
        _handlers.Clear();
    }
}
