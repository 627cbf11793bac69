using System.Text.Json;
using System.Text.Json.Nodes;
using Aof.Core.Resources;
using Aof.Runtime.Flows.Expressions;
using Aof.Runtime.Flows.Nodes.Http;

namespace Aof.Runtime.Flows.Nodes;

/// <summary>
/// <c>type: HTTP</c>: one request. Config: <c>url</c> (template), <c>method</c> (GET), <c>headers</c> (map of
/// templates), <c>body</c> (any JSON, rendered; a string body is sent as text), <c>timeout_seconds</c> (30),
/// <c>fail_on_error</c> (true: a non-2xx status fails the node; 408/429/5xx are retried, other 4xx are not).
/// Output: <c>{status, body}</c>, the body parsed when the response is JSON.
/// </summary>
public sealed class HttpNode(IHttpClientFactory clients) : INodeHandler
{
    public const int DefaultTimeoutSecs = 30;

    public string Type => "HTTP";

    public async Task<NodeResult> ExecuteAsync(FlowNode node, FlowContext context, CancellationToken ct)
    {
        var config = node.Config;
        var url = context.RenderText(NodeConfig.GetString(config, "url") ?? throw NodeConfig.Missing("config.url"));
        var method = new HttpMethod((NodeConfig.GetString(config, "method") ?? "GET").Trim().ToUpperInvariant());
        var timeout = TimeSpan.FromSeconds(Math.Max(1, NodeConfig.GetInt(config, "timeout_seconds", DefaultTimeoutSecs)));
        var failOnError = NodeConfig.GetBool(config, "fail_on_error", true);

        using var request = new HttpRequestMessage(method, HttpCalls.ParseUrl(url, "url"));
        if (config["body"] is { } bodyTemplate)
        {
            var body = context.RenderTree(bodyTemplate);
            request.Content = body is JsonValue v && v.GetValueKind() == JsonValueKind.String
                ? new StringContent(v.GetValue<string>())
                : HttpCalls.Json(body ?? JsonValue.Create((string?)null)!);
        }
        if (NodeConfig.GetObject(config, "headers") is { } headers)
        {
            foreach (var (name, value) in headers)
            {
                var text = context.RenderText(value is null ? "" : JsonValues.ToText(value));
                // Content headers (Content-Type) belong to the content, the rest to the request.
                if (!request.Headers.TryAddWithoutValidation(name, text) && request.Content is not null)
                {
                    request.Content.Headers.Remove(name);
                    request.Content.Headers.TryAddWithoutValidation(name, text);
                }
            }
        }

        using var response = await HttpCalls.SendAsync(clients.CreateClient(HttpCalls.ClientName), request, timeout, ct);
        if (failOnError) HttpCalls.EnsureSuccess(request, response);
        var output = new JsonObject
        {
            ["status"] = (int)response.StatusCode,
            ["body"] = await HttpCalls.ReadBodyAsync(response, ct),
        };
        return new NodeResult(output);
    }
}
