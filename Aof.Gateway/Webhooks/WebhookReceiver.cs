using Aof.Core.Configuration;
using Aof.Core.Telemetry;
using Microsoft.Extensions.Options;
using static Aof.Gateway.Webhooks.WebhookResult;

namespace Aof.Gateway.Webhooks;

/// <summary>
/// <c>POST /webhook/{platform}</c>: picks the platform adapter, enforces the body limit, lets the adapter
/// do the rest, then writes the answer and counts the outcome. Order (DESIGN.md, "Gateway rules"):
/// size limit -> signature -> parse -> dedup -> match -> publish -> answer.
/// </summary>
public sealed partial class WebhookReceiver
{
    private readonly Dictionary<string, IWebhookPlatform> _platforms;
    private readonly IOptions<AofOptions> _options;
    private readonly ILogger<WebhookReceiver> _logger;

    public WebhookReceiver(IEnumerable<IWebhookPlatform> platforms, IOptions<AofOptions> options, ILogger<WebhookReceiver> logger)
    {
        _platforms = platforms.ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        _options = options;
        _logger = logger;
    }

    public async Task HandleAsync(HttpContext context, string platformName)
    {
        var result = await ReceiveAsync(context, platformName);
        AofTelemetry.WebhooksReceived.Add(1,
            new("platform", _platforms.ContainsKey(platformName) ? platformName.ToLowerInvariant() : "unknown"),
            new("outcome", result.Outcome));
        if (result.StatusCode >= 400) LogRefused(_logger, platformName, result.StatusCode, result.Outcome);
        await result.WriteAsync(context);
    }

    /// <summary><c>GET /webhook/{platform}</c>: a platform's subscription handshake (WhatsApp); others answer 405.</summary>
    public async Task HandleHandshakeAsync(HttpContext context, string platformName)
    {
        var result = !_platforms.TryGetValue(platformName, out var platform)
            ? Error(Outcomes.NotFound, StatusCodes.Status404NotFound, $"unknown platform '{platformName}'")
            : platform is IWebhookHandshake handshake
                ? handshake.Handshake(context.Request)
                : Error(Outcomes.BadRequest, StatusCodes.Status405MethodNotAllowed, $"platform '{platform.Name}' takes POST only");
        AofTelemetry.WebhooksReceived.Add(1,
            new("platform", platform is null ? "unknown" : platformName.ToLowerInvariant()),
            new("outcome", result.Outcome));
        await result.WriteAsync(context);
    }

    private async Task<WebhookResult> ReceiveAsync(HttpContext context, string platformName)
    {
        if (!_platforms.TryGetValue(platformName, out var platform))
            return Error(Outcomes.NotFound, StatusCodes.Status404NotFound, $"unknown platform '{platformName}'");
        if (!platform.HasEnabledTriggers)
            return Error(Outcomes.NotFound, StatusCodes.Status404NotFound, $"no enabled trigger for platform '{platform.Name}'");

        var limit = _options.Value.Gateway.MaxBodyBytes;
        var body = await LimitedBodyReader.ReadAsync(context, limit, context.RequestAborted);
        if (body.TooLarge)
            return Error(Outcomes.TooLarge, StatusCodes.Status413PayloadTooLarge, $"body is larger than {limit} bytes");

        try
        {
            return await platform.HandleAsync(context.Request, body.Bytes, context.RequestAborted);
        }
        catch (WebhookFormatException ex)
        {
            return Error(Outcomes.BadRequest, StatusCodes.Status400BadRequest, ex.Message);
        }
    }

    // Debug: a flood of bad requests must not become a flood of log lines; aof.webhooks.received counts them.
    [LoggerMessage(Level = LogLevel.Debug, Message = "webhook for {Platform} refused with {StatusCode} ({Outcome})")]
    private static partial void LogRefused(ILogger logger, string platform, int statusCode, string outcome);
}
