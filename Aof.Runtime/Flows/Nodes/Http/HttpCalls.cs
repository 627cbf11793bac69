using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Aof.Core.Queue;
using Aof.Runtime.Execution;

namespace Aof.Runtime.Flows.Nodes.Http;

/// <summary>
/// What the HTTP, Slack and Discord nodes share: sending with a per-call timeout, and sorting failures into
/// retryable (network, timeout, 408, 429, 5xx: the message's retry policy tries again) and permanent (other 4xx:
/// the same request would fail the same way). Error texts name the host, never the query or headers (secrets).
/// </summary>
internal static class HttpCalls
{
    public const string ClientName = "aof-flow-nodes";

    public static async Task<HttpResponseMessage> SendAsync(HttpClient client, HttpRequestMessage request, TimeSpan timeout, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            return await client.SendAsync(request, HttpCompletionOption.ResponseContentRead, cts.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new ExecutionFailedException($"{Describe(request)} timed out after {timeout.TotalSeconds:0}s");
        }
        catch (HttpRequestException ex)
        {
            throw new ExecutionFailedException($"{Describe(request)} failed: {ex.Message}", ex);
        }
    }

    /// <summary>Throws for a status that is not a success: retryable or permanent as the class says.</summary>
    public static void EnsureSuccess(HttpRequestMessage request, HttpResponseMessage response, string? detail = null)
    {
        if (response.IsSuccessStatusCode) return;
        var message = $"{Describe(request)} answered {(int)response.StatusCode} {response.ReasonPhrase}{(detail is null ? "" : ": " + detail)}";
        if (IsRetryable(response.StatusCode))
        {
            if (response.Headers.RetryAfter?.Delta is { } delta) message += $" (retry after {delta.TotalSeconds:0}s)";
            throw new ExecutionFailedException(message);
        }
        throw new PermanentExecutionException(DeadLetterReasons.PermanentFailure, message);
    }

    public static bool IsRetryable(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)status >= 500;

    /// <summary>Method and host only: paths and query strings can carry tokens (Discord webhook URLs do).</summary>
    public static string Describe(HttpRequestMessage request) =>
        $"{request.Method} {request.RequestUri?.GetLeftPart(UriPartial.Authority)}";

    public static Uri ParseUrl(string url, string key)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            throw new PermanentExecutionException(DeadLetterReasons.PermanentFailure, $"config.{key} must be an absolute http(s) URL");
        return uri;
    }

    public static StringContent Json(JsonNode body) =>
        new(body.ToJsonString(), System.Text.Encoding.UTF8, new MediaTypeHeaderValue("application/json"));

    /// <summary>The response body as JSON when it is JSON, else as a string (empty body: null).</summary>
    public static async Task<JsonNode?> ReadBodyAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct);
        if (text.Length == 0) return null;
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        if (mediaType is not null && (mediaType.EndsWith("/json", StringComparison.OrdinalIgnoreCase) || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase)))
        {
            try { return JsonNode.Parse(text); }
            catch (JsonException) { return JsonValue.Create(text); }
        }
        return JsonValue.Create(text);
    }
}
