using System.ComponentModel;
using System.Text;
using Microsoft.Extensions.AI;

namespace Aof.Runtime.Agents.Tools;

/// <summary>The <c>http</c> tool: requests to allow-listed hosts only (exact host, or "*.example.com"), allowed methods only, body capped.</summary>
internal static class HttpTool
{
    public static AIFunction Create(ToolSpec spec, HttpClient http, Func<string, string> redact)
    {
        return AIFunctionFactory.Create(
            async (
                [Description("Absolute http(s) URL")] string url,
                [Description("HTTP method, GET by default")] string? method,
                [Description("Request body, for POST/PUT/PATCH")] string? body,
                CancellationToken ct) =>
            {
                if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                    return $"refused: '{url}' is not an absolute http(s) URL";
                if (!HostAllowed(uri.Host, spec.AllowedHosts))
                    return spec.AllowedHosts.Count == 0
                        ? $"refused: host '{uri.Host}' is not allowed (this agent's http tool has no allowed_hosts)"
                        : $"refused: host '{uri.Host}' is not allowed (allowed: {string.Join(", ", spec.AllowedHosts)})";
                var verb = string.IsNullOrWhiteSpace(method) ? "GET" : method.Trim().ToUpperInvariant();
                if (!spec.AllowedMethods.Contains(verb))
                    return $"refused: method {verb} is not allowed (allowed: {string.Join(", ", spec.AllowedMethods)})";

                using var request = new HttpRequestMessage(new HttpMethod(verb), uri);
                if (!string.IsNullOrEmpty(body)) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
                using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
                limit.CancelAfter(spec.Timeout);
                try
                {
                    using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, limit.Token);
                    var text = await ReadCappedAsync(response.Content, spec.MaxOutputBytes, limit.Token);
                    return redact($"HTTP {(int)response.StatusCode} {response.ReasonPhrase}\n{text}");
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    return $"error: request timed out after {spec.Timeout.TotalSeconds:0}s";
                }
                catch (HttpRequestException ex)
                {
                    return redact($"error: {ex.Message}");
                }
            },
            BuiltinTools.Http,
            spec.AllowedHosts.Count == 0
                ? "Make an HTTP request (no hosts are allowed for this agent)."
                : $"Make an HTTP request to one of: {string.Join(", ", spec.AllowedHosts)}. Methods: {string.Join(", ", spec.AllowedMethods)}.");
    }

    public static bool HostAllowed(string host, IReadOnlyList<string> allowed) =>
        allowed.Any(a => a.StartsWith("*.", StringComparison.Ordinal)
            ? host.EndsWith(a[1..], StringComparison.OrdinalIgnoreCase)
            : string.Equals(host, a, StringComparison.OrdinalIgnoreCase));

    private static async Task<string> ReadCappedAsync(HttpContent content, int maxBytes, CancellationToken ct)
    {
        await using var stream = await content.ReadAsStreamAsync(ct);
        var buffer = new byte[maxBytes + 1];
        var total = 0;
        int read;
        while (total < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(total), ct)) > 0) total += read;
        var text = Encoding.UTF8.GetString(buffer, 0, Math.Min(total, maxBytes));
        return total > maxBytes ? text + $"\n[output truncated at {maxBytes} bytes]" : text;
    }
}
