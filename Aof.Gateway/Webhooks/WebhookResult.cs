using System.Text.Json;
using Aof.Core.Telemetry;

namespace Aof.Gateway.Webhooks;

/// <summary>The answer to one delivery and the outcome it is counted under in <see cref="AofTelemetry.WebhooksReceived"/>.</summary>
public sealed record WebhookResult(string Outcome, int StatusCode, object Body, int? RetryAfterSecs = null)
{
    public static class Outcomes
    {
        public const string Accepted = "accepted";
        public const string Duplicate = "duplicate";
        public const string Unmatched = "unmatched";
        public const string Unauthorized = "unauthorized";
        public const string BadRequest = "bad_request";
        public const string NotFound = "not_found";
        public const string TooLarge = "too_large";
        public const string Unavailable = "unavailable";
        public const string Ping = "ping";
        public const string Handshake = "handshake";
        public const string Forbidden = "forbidden";
        public const string Ignored = "ignored";
    }

    public static WebhookResult Error(string outcome, int status, string message) => new(outcome, status, new ErrorResponse(message));

    public static WebhookResult Published(PublishOutcome p) => p.Duplicate
        ? new(Outcomes.Duplicate, StatusCodes.Status202Accepted, new WebhookAccepted(p.Ids.Count, p.Ids, true))
        : new(Outcomes.Accepted, StatusCodes.Status202Accepted, new WebhookAccepted(p.Ids.Count, p.Ids));

    public static WebhookResult Unmatched() => new(Outcomes.Unmatched, StatusCodes.Status200OK, new WebhookUnmatched(0));

    public async Task WriteAsync(HttpContext context)
    {
        var response = context.Response;
        response.StatusCode = StatusCode;
        if (RetryAfterSecs is { } secs) response.Headers.RetryAfter = secs.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (Body is PlainText plain)
        {
            response.ContentType = "text/plain; charset=utf-8";
            await response.WriteAsync(plain.Text, context.RequestAborted);
            return;
        }
        var typeInfo = WebhookJsonContext.Default.GetTypeInfo(Body.GetType())
                       ?? throw new InvalidOperationException($"no JSON contract for {Body.GetType().Name}");
        // Serialized first, so the answer goes out with a Content-Length in one write instead of chunked.
        var json = JsonSerializer.SerializeToUtf8Bytes(Body, typeInfo);
        response.ContentType = "application/json; charset=utf-8";
        response.ContentLength = json.Length;
        await response.Body.WriteAsync(json, context.RequestAborted);
    }
}
