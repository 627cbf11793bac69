namespace Aof.Gateway.Webhooks;

/// <summary>
/// One platform adapter behind <c>POST /webhook/{platform}</c>. The receiver has already applied the size
/// limit; the adapter verifies, parses, matches and publishes (through <see cref="EnvelopePublisher"/>).
/// </summary>
public interface IWebhookPlatform
{
    /// <summary>The route segment: "github".</summary>
    string Name { get; }

    /// <summary>False when no enabled trigger uses this platform: the route then answers 404.</summary>
    bool HasEnabledTriggers { get; }

    Task<WebhookResult> HandleAsync(HttpRequest request, ReadOnlyMemory<byte> body, CancellationToken ct);
}
