using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Aof.Core.Queue;
using Aof.Core.Resources;
using Aof.Runtime.Execution;
using Aof.Runtime.Flows.Nodes.Http;

namespace Aof.Runtime.Flows.Nodes.Messaging;

/// <summary>
/// <c>type: Slack</c>: posts a message with the Web API's <c>chat.postMessage</c>. Config: <c>channel</c>,
/// <c>message</c> (or <c>text</c>; template), <c>thread_ts</c> (reply in a thread), <c>blocks</c> (optional),
/// <c>token</c> (default env <c>SLACK_BOT_TOKEN</c>), <c>api_url</c> (default env <c>SLACK_API_URL</c>, else
/// https://slack.com/api). Slack answers 200 with <c>ok:false</c> for errors: <c>ratelimited</c> and server-side
/// errors are retried, the rest (invalid_auth, channel_not_found...) are permanent. Output: <c>{channel, ts}</c>.
/// </summary>
public sealed class SlackNode(IHttpClientFactory clients) : INodeHandler
{
    public const string TokenVariable = "SLACK_BOT_TOKEN";
    public const string ApiUrlVariable = "SLACK_API_URL";
    public const string DefaultApiUrl = "https://slack.com/api";

    private static readonly HashSet<string> RetryableErrors = ["ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"];

    public string Type => "Slack";

    public async Task<NodeResult> ExecuteAsync(FlowNode node, FlowContext context, CancellationToken ct)
    {
        var config = node.Config;
        var channel = context.RenderText(NodeConfig.GetString(config, "channel") ?? throw NodeConfig.Missing("config.channel"));
        var text = context.RenderText(NodeConfig.GetString(config, "message") ?? NodeConfig.GetString(config, "text")
            ?? throw NodeConfig.Missing("config.message"));
        var token = NodeConfig.SettingOrVariable(config, context, "token", TokenVariable, "Slack token");
        var apiUrl = NodeConfig.GetString(config, "api_url") ?? Environment.GetEnvironmentVariable(ApiUrlVariable) ?? DefaultApiUrl;

        var body = new JsonObject { ["channel"] = channel, ["text"] = text };
        if (NodeConfig.GetString(config, "thread_ts") is { Length: > 0 } thread && context.RenderText(thread) is { Length: > 0 } ts)
            body["thread_ts"] = ts;
        if (config["blocks"] is { } blocks) body["blocks"] = context.RenderTree(blocks);

        using var request = new HttpRequestMessage(HttpMethod.Post, HttpCalls.ParseUrl(apiUrl.TrimEnd('/') + "/chat.postMessage", "api_url"))
        {
            Content = HttpCalls.Json(body),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);

        using var response = await HttpCalls.SendAsync(clients.CreateClient(HttpCalls.ClientName), request, TimeSpan.FromSeconds(HttpNode.DefaultTimeoutSecs), ct);
        HttpCalls.EnsureSuccess(request, response);
        var answer = await HttpCalls.ReadBodyAsync(response, ct) as JsonObject
            ?? throw new ExecutionFailedException("Slack chat.postMessage answered without a JSON object");
        if (answer["ok"]?.GetValue<bool>() != true)
        {
            var error = answer["error"]?.ToString() ?? "unknown_error";
            var message = $"Slack chat.postMessage failed: {error}";
            if (RetryableErrors.Contains(error)) throw new ExecutionFailedException(message);
            throw new PermanentExecutionException(DeadLetterReasons.PermanentFailure, message);
        }
        return new NodeResult(new JsonObject { ["channel"] = answer["channel"]?.DeepClone(), ["ts"] = answer["ts"]?.DeepClone() });
    }
}
