using System.Net;

namespace Aof.Runtime.Agents.Providers;

/// <summary>
/// Sits under every provider SDK (their own retries are turned off, so there is one policy for all):
/// 429 and 5xx are retried with exponential backoff and jitter, honouring Retry-After; 401/403 end the call
/// with <see cref="ProviderAuthException"/> at once; when retries run out, <see cref="ProviderUnavailableException"/>.
/// </summary>
public sealed class ProviderRetryHandler(string provider, ProviderOptions options) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        // The body is buffered once so each try can send it again.
        byte[]? body = null;
        System.Net.Http.Headers.MediaTypeHeaderValue? contentType = null;
        if (request.Content is not null)
        {
            body = await request.Content.ReadAsByteArrayAsync(ct);
            contentType = request.Content.Headers.ContentType;
        }

        for (var attempt = 1; ; attempt++)
        {
            using var attemptRequest = Clone(request, body, contentType);
            HttpResponseMessage response;
            try
            {
                response = await base.SendAsync(attemptRequest, ct);
            }
            catch (HttpRequestException ex) when (!ct.IsCancellationRequested)
            {
                if (attempt > options.MaxRetries)
                    throw new ProviderUnavailableException($"{provider} is unreachable after {attempt} tries: {ex.Message}", ex);
                await Task.Delay(Backoff(attempt), ct);
                continue;
            }

            var status = (int)response.StatusCode;
            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            {
                var detail = await ShortBodyAsync(response, ct);
                response.Dispose();
                throw new ProviderAuthException($"{provider} rejected the credentials ({status} {response.ReasonPhrase}){detail}; check the API key");
            }

            if (status != 429 && status < 500) return response;

            var retryAfter = RetryAfter(response);
            if (attempt > options.MaxRetries || retryAfter > options.MaxRetryAfter)
            {
                var detail = await ShortBodyAsync(response, ct);
                response.Dispose();
                var why = retryAfter > options.MaxRetryAfter ? $"asked to retry after {retryAfter.Value.TotalSeconds:0}s" : $"after {attempt} tries";
                throw new ProviderUnavailableException($"{provider} answered {status} {response.ReasonPhrase} ({why}){detail}");
            }

            response.Dispose();
            await Task.Delay(retryAfter ?? Backoff(attempt), ct);
        }
    }

    private TimeSpan Backoff(int attempt)
    {
        var ceiling = Math.Min(options.RetryMaxDelay.TotalMilliseconds, options.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, attempt - 1));
        return TimeSpan.FromMilliseconds(ceiling / 2 + Random.Shared.NextDouble() * ceiling / 2);
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta) return delta;
        if (header?.Date is { } date) return date - DateTimeOffset.UtcNow is var d && d > TimeSpan.Zero ? d : TimeSpan.Zero;
        // OpenAI also sends retry-after-ms.
        if (response.Headers.TryGetValues("retry-after-ms", out var ms) && double.TryParse(ms.FirstOrDefault(), System.Globalization.CultureInfo.InvariantCulture, out var m))
            return TimeSpan.FromMilliseconds(m);
        return null;
    }

    private static async Task<string> ShortBodyAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            text = text.ReplaceLineEndings(" ").Trim();
            return text.Length == 0 ? "" : ": " + (text.Length > 300 ? text[..300] + "..." : text);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            return "";
        }
    }

    private static HttpRequestMessage Clone(HttpRequestMessage request, byte[]? body, System.Net.Http.Headers.MediaTypeHeaderValue? contentType)
    {
        var copy = new HttpRequestMessage(request.Method, request.RequestUri) { Version = request.Version, VersionPolicy = request.VersionPolicy };
        foreach (var h in request.Headers) copy.Headers.TryAddWithoutValidation(h.Key, h.Value);
        if (body is not null)
        {
            copy.Content = new ByteArrayContent(body);
            if (contentType is not null) copy.Content.Headers.ContentType = contentType;
            foreach (var h in request.Content!.Headers)
                if (!h.Key.Equals("Content-Type", StringComparison.OrdinalIgnoreCase) && !h.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                    copy.Content.Headers.TryAddWithoutValidation(h.Key, h.Value);
        }
        foreach (var o in request.Options) ((IDictionary<string, object?>)copy.Options)[o.Key] = o.Value;
        return copy;
    }
}
