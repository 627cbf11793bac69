using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Aof.Runtime.Replies;

/// <summary>Posts into the event's Slack thread with the Web API's <c>chat.postMessage</c>.</summary>
public sealed class SlackReplier(ReplyOptions options, HttpClient http)
{
    public bool Configured => options.SlackBotToken is not null;

    /// <summary>Returns "channel/ts" of the posted message.</summary>
    public async Task<string> PostAsync(ReplyTarget target, string text, CancellationToken ct)
    {
        if (options.SlackBotToken is null) throw new ReplyFailedException("SLACK_BOT_TOKEN is not set", retryable: false);
        var body = new JsonObject { ["channel"] = target.Channel, ["text"] = text };
        if (target.ThreadTs is not null) body["thread_ts"] = target.ThreadTs;

        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(new Uri(EnsureSlash(options.SlackApiUrl)), "chat.postMessage"))
        {
            Content = JsonContent.Create(body),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.SlackBotToken);

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, ct);
        }
        catch (HttpRequestException ex)
        {
            throw new ReplyFailedException($"Slack unreachable: {ex.Message}", retryable: true, null, ex);
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            if (response.StatusCode == HttpStatusCode.TooManyRequests || status >= 500)
                throw new ReplyFailedException($"Slack answered {status} to chat.postMessage", retryable: true, response.Headers.RetryAfter?.Delta);
            var json = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
            if (json.TryGetProperty("ok", out var ok) && ok.ValueKind == JsonValueKind.True)
                return $"{target.Channel}/{(json.TryGetProperty("ts", out var ts) ? ts.GetString() : "?")}";

            var error = json.TryGetProperty("error", out var e) ? e.GetString() : $"HTTP {status}";
            // Slack answers 200 with ok:false; only "ratelimited" and internal errors are worth another try.
            var retryable = error is "ratelimited" or "internal_error" or "fatal_error" or "service_unavailable" or "request_timeout";
            throw new ReplyFailedException($"Slack chat.postMessage failed: {error}", retryable);
        }
    }

    private static string EnsureSlash(string url) => url.EndsWith('/') ? url : url + "/";
}
