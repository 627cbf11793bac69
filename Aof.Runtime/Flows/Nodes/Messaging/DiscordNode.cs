using System.Text.Json.Nodes;
using Aof.Core.Resources;
using Aof.Runtime.Flows.Nodes.Http;

namespace Aof.Runtime.Flows.Nodes.Messaging;

/// <summary>
/// <c>type: Discord</c>: posts through an incoming webhook (<c>POST {webhook_url}?wait=true</c>). Config:
/// <c>webhook_url</c> (default env <c>DISCORD_WEBHOOK_URL</c>), <c>message</c> (or <c>content</c>; template, cut to
/// Discord's 2000 characters), <c>username</c>. 429 and 5xx are retried, other 4xx are permanent.
/// Output: <c>{id, channel_id}</c> of the created message.
/// </summary>
public sealed class DiscordNode(IHttpClientFactory clients) : INodeHandler
{
    public const string WebhookVariable = "DISCORD_WEBHOOK_URL";
    public const int MaxContentLength = 2000;

    public string Type => "Discord";

    public async Task<NodeResult> ExecuteAsync(FlowNode node, FlowContext context, CancellationToken ct)
    {
        var config = node.Config;
        var webhook = NodeConfig.SettingOrVariable(config, context, "webhook_url", WebhookVariable, "Discord webhook");
        var content = context.RenderText(NodeConfig.GetString(config, "message") ?? NodeConfig.GetString(config, "content")
            ?? throw NodeConfig.Missing("config.message"));
        if (content.Length > MaxContentLength) content = content[..(MaxContentLength - 1)] + "…";

        var body = new JsonObject { ["content"] = content };
        if (NodeConfig.GetString(config, "username") is { Length: > 0 } user) body["username"] = context.RenderText(user);

        var uri = HttpCalls.ParseUrl(webhook, "webhook_url");
        var withWait = new UriBuilder(uri) { Query = string.IsNullOrEmpty(uri.Query) ? "wait=true" : uri.Query.TrimStart('?') + "&wait=true" }.Uri;
        using var request = new HttpRequestMessage(HttpMethod.Post, withWait) { Content = HttpCalls.Json(body) };
        using var response = await HttpCalls.SendAsync(clients.CreateClient(HttpCalls.ClientName), request, TimeSpan.FromSeconds(HttpNode.DefaultTimeoutSecs), ct);
        HttpCalls.EnsureSuccess(request, response);
        var answer = await HttpCalls.ReadBodyAsync(response, ct) as JsonObject;
        return new NodeResult(new JsonObject { ["id"] = answer?["id"]?.DeepClone(), ["channel_id"] = answer?["channel_id"]?.DeepClone() });
    }
}
